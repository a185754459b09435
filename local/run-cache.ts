/**
 * What a test run keeps for all its files: a jest run sets a fresh directory
 * (test/support/global-setup.ts, SERINUS_WORKFLOW_CACHE) where the first file to make something the
 * same for every file (a synthesized workflow, the test CA, the fault matrix's call points) writes
 * it, and later files, in any worker, read it instead of making it again. Outside a run there is no
 * directory, and each caller makes its own.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const WORKFLOW_CACHE_ENV = 'SERINUS_WORKFLOW_CACHE';

/** The run's file of that name, or undefined outside a test run. */
export function runFile(name: string): string | undefined {
  const dir = process.env[WORKFLOW_CACHE_ENV];
  return dir && existsSync(dir) ? path.join(dir, name) : undefined;
}

/** What the run kept under `name`, if anything. */
export function readKept<T>(name: string): T | undefined {
  const file = runFile(name);
  if (!file || !existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Keeps `value` under `name` for the rest of the run (nothing outside a run), and returns it. */
export function keep<T>(name: string, value: T, options: { secret?: boolean } = {}): T {
  const file = runFile(name);
  if (file) {
    // Written whole, then renamed: a reader in another worker never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, JSON.stringify(value), options.secret ? { mode: 0o600 } : {});
    renameSync(partial, file);
  }
  return value;
}

/** What the run kept under `name`, else `make()`'s value, kept for the later files. */
export function keptInRun<T>(name: string, make: () => T, options: { secret?: boolean } = {}): T {
  return readKept<T>(name) ?? keep(name, make(), options);
}
