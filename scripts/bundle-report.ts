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

interface Timing {
  /** Wall time of the whole process. */
  readonly wallMs: number;
  /** CPU time (user + system) the process used by the end of `code`: steadier on a busy machine. */
  readonly cpuMs: number;
}

/** A fresh `node [flags] -e <code>`, median of RUNS for each measure. */
function processMs(flags: string[], code: string): Timing {
  const wall: number[] = [];
  const cpu: number[] = [];
  const report = ';const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));';
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const out = execFileSync(process.execPath, [...flags, '-e', code + report], { encoding: 'utf8' });
    wall.push(Number(process.hrtime.bigint() - started) / 1e6);
    cpu.push(Number(out));
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

const minus = (a: Timing, b: Timing): Timing => ({ wallMs: a.wallMs - b.wallMs, cpuMs: a.cpuMs - b.cpuMs });

function main(): void {
  ensureBundles();
  const baseline = processMs([], '');
  const baselineMaps = processMs(['--enable-source-maps'], '');
  console.log(
    `node ${process.version}; cold init = median of ${RUNS} fresh processes requiring the bundle, minus a bare process ` +
      `(${baseline.wallMs.toFixed(0)} ms wall, ${baseline.cpuMs.toFixed(0)} ms CPU)`,
  );
  console.log('');
  const header = ['function', 'calls', 'bundle KB', 'map KB', 'init ms', 'init CPU ms', 'maps: init ms', 'maps: init CPU ms'];
  const rows: string[][] = [];
  for (const name of HANDLERS) {
    const file = path.join(BUNDLES_DIR, name, BUNDLE_FILE);
    const require = `require(${JSON.stringify(file)})`;
    const init = minus(processMs([], require), baseline);
    const initMaps = minus(processMs(['--enable-source-maps'], require), baselineMaps);
    rows.push([
      name,
      HANDLER_NEEDS[name].kubernetes ? 'AWS + Kubernetes' : 'AWS only',
      (statSync(file).size / KB).toFixed(0),
      (statSync(`${file}.map`).size / KB).toFixed(0),
      init.wallMs.toFixed(0),
      init.cpuMs.toFixed(0),
      initMaps.wallMs.toFixed(0),
      initMaps.cpuMs.toFixed(0),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i < 2 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

main();
