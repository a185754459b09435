/**
 * Prints each Lambda bundle's size and its cold-init time: a fresh Node process that requires the
 * bundle, median of 10 runs, minus the median of a bare process. Once without and once with
 * `--enable-source-maps` (the `lambdaSourceMaps` prop). Builds the bundles first when they are stale.
 *
 *   npm run bundles
 *
 * The bundles leave the AWS SDK to the Lambda runtime; here it resolves from node_modules, so the
 * time includes loading the SDK clients a function imports. It only prints: timings depend on the
 * machine and are never asserted.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { BUNDLE_FILE, BUNDLES_DIR } from '../lib/lambda-code';
import { HANDLER_NEEDS } from '../lambda/handler-names';
import { ensureBundles, HANDLERS } from './bundle-lambdas';

const RUNS = 10;
const KB = 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Wall time of a fresh `node [flags] -e <code>`, in ms, median of RUNS. */
function processMs(flags: string[], code: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    execFileSync(process.execPath, [...flags, '-e', code], { stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(times);
}

function main(): void {
  ensureBundles();
  const baseline = processMs([], '');
  const baselineMaps = processMs(['--enable-source-maps'], '');
  console.log(`node ${process.version}; cold init = median of ${RUNS} fresh processes requiring the bundle, minus a bare process (${baseline.toFixed(0)} ms)`);
  console.log('');
  const header = ['function', 'calls', 'bundle KB', 'map KB', 'init ms', 'init ms, source maps'];
  const rows: string[][] = [];
  for (const name of HANDLERS) {
    const file = path.join(BUNDLES_DIR, name, BUNDLE_FILE);
    const require = `require(${JSON.stringify(file)})`;
    const init = processMs([], require) - baseline;
    const initMaps = processMs(['--enable-source-maps'], require) - baselineMaps;
    rows.push([
      name,
      HANDLER_NEEDS[name].kubernetes ? 'AWS + Kubernetes' : 'AWS only',
      (statSync(file).size / KB).toFixed(0),
      (statSync(`${file}.map`).size / KB).toFixed(0),
      init.toFixed(0),
      initMaps.toFixed(0),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i < 2 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

main();
