/**
 * What the package test packs: dist/, as `npm run build` compiles it (tsconfig.build.json).
 * - Under `npm test`, the check beside jest (scripts/check.ts) writes it, and then creates the file
 *   SERINUS_EMITTED names, saying whether the emit succeeded: the test waits for that file.
 * - Run alone, the test compiles dist/ itself when it is older than its sources.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, watch } from 'node:fs';
import * as path from 'node:path';
import { newestMtime } from '../../scripts/bundle-lambdas';

const ROOT = path.join(__dirname, '..', '..');
const EMITTED_ENV = 'SERINUS_EMITTED';
/** Longer than the check's type check and emit on a busy two-core machine. */
const WAIT_MS = 300_000;

export async function shippedBuild(): Promise<void> {
  const marker = process.env[EMITTED_ENV];
  if (!marker) {
    compileWhenStale();
    return;
  }
  await appears(marker);
  const { ok } = JSON.parse(readFileSync(marker, 'utf8')) as { ok: boolean };
  if (!ok) throw new Error("the check's emit of dist/ failed: its errors are printed after jest's output");
}

/** Resolves once `file` exists; the directory is watched before the first look, so no creation is missed. */
function appears(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = watch(path.dirname(file), () => {
      if (existsSync(file)) done();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`dist/ was not emitted within ${WAIT_MS / 1000} s (no ${file}): did the check beside jest start?`));
    }, WAIT_MS);
    function done(): void {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
    if (existsSync(file)) done();
  });
}

function compileWhenStale(): void {
  const entry = path.join(ROOT, 'dist', 'lib', 'index.js');
  const sources = ['lib', 'lambda'].map((dir) => newestMtime(path.join(ROOT, dir)));
  if (existsSync(entry) && statSync(entry).mtimeMs >= Math.max(...sources)) return;
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'pipe' });
}
