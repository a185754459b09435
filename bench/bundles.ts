/**
 * Bundle size and cold init of each Lambda handler: a fresh Node process loads the bundle; the
 * median of 10 such processes, minus the median of a bare process, with and without source maps.
 *
 * Until the package ships prebuilt bundles, the bench builds them with esbuild using the settings
 * of lib/engine.ts (minify, source map, node22, CJS, the AWS SDK bundled). `--bundles <dir>` measures
 * shipped ones instead: `<dir>/<handler>/index.js` or `<dir>/<handler>.js`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { EVENT_HANDLERS, WORKFLOW_HANDLERS, type HandlerName } from '../lambda/handler-names';

const HANDLER_NAMES: readonly HandlerName[] = [...WORKFLOW_HANDLERS, ...EVENT_HANDLERS];
import { percentile } from './metrics';

const ROOT = path.resolve(__dirname, '..');

export interface BundleFigures {
  readonly handler: HandlerName;
  readonly bundleKb: number;
  readonly sourceMapKb: number;
  readonly coldInitMs: number;
  readonly coldInitWithSourceMapsMs: number;
}

export interface BundleRun {
  /** `esbuild (bench, lib/engine.ts settings)` or the directory of shipped bundles. */
  readonly source: string;
  readonly baselineMs: number;
  readonly handlers: readonly BundleFigures[];
}

export async function measureBundles(options: { runs: number; shippedDir?: string }): Promise<BundleRun> {
  const files = options.shippedDir ? shippedBundles(options.shippedDir) : await buildBundles();
  const baselineMs = medianLoadMs(undefined, options.runs, false);
  const handlers: BundleFigures[] = [];
  for (const [handler, file] of files) {
    const map = `${file}.map`;
    handlers.push({
      handler,
      bundleKb: statSync(file).size / 1024,
      sourceMapKb: existsSync(map) ? statSync(map).size / 1024 : 0,
      coldInitMs: Math.max(0, medianLoadMs(file, options.runs, false) - baselineMs),
      coldInitWithSourceMapsMs: Math.max(0, medianLoadMs(file, options.runs, true) - baselineMs),
    });
  }
  return { source: options.shippedDir ?? 'esbuild in the bench, lib/engine.ts settings', baselineMs, handlers };
}

function shippedBundles(dir: string): Array<[HandlerName, string]> {
  return HANDLER_NAMES.map((handler) => {
    const candidates = [path.join(dir, handler, 'index.js'), path.join(dir, `${handler}.js`)];
    const file = candidates.find((c) => existsSync(c));
    if (!file) throw new Error(`no bundle for ${handler} in ${dir} (looked for ${candidates.join(', ')})`);
    return [handler, path.resolve(file)];
  });
}

/** The NodejsFunction bundling of lib/engine.ts, done directly with esbuild. */
async function buildBundles(): Promise<Array<[HandlerName, string]>> {
  const out = mkdtempSync(path.join(tmpdir(), 'serinus-bench-'));
  const result: Array<[HandlerName, string]> = [];
  for (const handler of HANDLER_NAMES) {
    const outfile = path.join(out, handler, 'index.js');
    await build({
      entryPoints: [path.join(ROOT, 'lambda', 'handlers', `${handler}.ts`)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      minify: true,
      sourcemap: true,
      // bundleAwsSDK: true in lib/engine.ts: nothing is external.
      logLevel: 'error',
    });
    result.push([handler, outfile]);
  }
  return result;
}

/** Median wall time of a fresh `node` that loads `file` (or nothing) and exits. */
function medianLoadMs(file: string | undefined, runs: number, sourceMaps: boolean): number {
  const script = file ? `require(${JSON.stringify(file)})` : '';
  const args = [...(sourceMaps ? ['--enable-source-maps'] : []), '-e', script];
  const env = { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'eu-west-1', NODE_OPTIONS: '' };
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    execFileSync(process.execPath, args, { env, stdio: 'ignore' });
    times.push(performance.now() - start);
  }
  return percentile(times, 50);
}
