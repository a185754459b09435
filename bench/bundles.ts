/**
 * Bundle size and cold init of each Lambda handler: a fresh Node process loads the bundle; the
 * median of 10 such processes, minus the median of a bare process, with and without source maps.
 *
 * By default the bench measures the bundles the package ships, dist/bundles/<handler>/index.js,
 * built by scripts/bundle-lambdas.ts (rebuilt first when lambda/ changed since the last build), the
 * code the construct deploys. Those leave the AWS SDK v3 out, as the Lambda Node.js runtime provides
 * it: a load here resolves it from node_modules, as the runtime resolves its own copy.
 * `--bundles <dir>` measures other bundles instead: `<dir>/<handler>/index.js` or `<dir>/<handler>.js`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { EVENT_HANDLERS, WORKFLOW_HANDLERS, type HandlerName } from '../lambda/handler-names';
import { BUNDLES_DIR } from '../lib/lambda-code';
import { bundlesAreFresh, ensureBundles } from '../scripts/bundle-lambdas';
import { percentile } from './metrics';

const HANDLER_NAMES: readonly HandlerName[] = [...WORKFLOW_HANDLERS, ...EVENT_HANDLERS];
const ROOT = path.resolve(__dirname, '..');

export interface BundleFigures {
  readonly handler: HandlerName;
  readonly bundleKb: number;
  readonly sourceMapKb: number;
  /** Absent with `--skip-cold`. */
  readonly coldInitMs?: number;
  readonly coldInitWithSourceMapsMs?: number;
}

export interface BundleRun {
  /** Which bundles were measured: the shipped dist/bundles (and whether the bench rebuilt them) or the `--bundles` directory. */
  readonly source: string;
  /** 0 with `--skip-cold`. */
  readonly baselineMs: number;
  readonly handlers: readonly BundleFigures[];
}

/** `coldInit: false` measures sizes only (`--skip-cold`): no node process is spawned. */
export async function measureBundles(options: { runs: number; shippedDir?: string; coldInit?: boolean }): Promise<BundleRun> {
  const coldInit = options.coldInit ?? true;
  let source: string;
  if (options.shippedDir) {
    source = `${options.shippedDir} (--bundles)`;
  } else {
    const fresh = bundlesAreFresh();
    ensureBundles();
    source = `${path.relative(ROOT, BUNDLES_DIR)} (shipped, scripts/bundle-lambdas.ts${fresh ? '' : '; rebuilt by the bench: lambda/ had changed'})`;
  }
  const files = shippedBundles(options.shippedDir ?? BUNDLES_DIR);
  const baselineMs = coldInit ? medianLoadMs(undefined, options.runs, false) : 0;
  const handlers: BundleFigures[] = [];
  for (const [handler, file] of files) {
    const map = `${file}.map`;
    handlers.push({
      handler,
      bundleKb: statSync(file).size / 1024,
      sourceMapKb: existsSync(map) ? statSync(map).size / 1024 : 0,
      ...(coldInit
        ? {
            coldInitMs: Math.max(0, medianLoadMs(file, options.runs, false) - baselineMs),
            coldInitWithSourceMapsMs: Math.max(0, medianLoadMs(file, options.runs, true) - baselineMs),
          }
        : {}),
    });
  }
  return { source, baselineMs, handlers };
}

function shippedBundles(dir: string): Array<[HandlerName, string]> {
  return HANDLER_NAMES.map((handler) => {
    const candidates = [path.join(dir, handler, 'index.js'), path.join(dir, `${handler}.js`)];
    const file = candidates.find((c) => existsSync(c));
    if (!file) throw new Error(`no bundle for ${handler} in ${dir} (looked for ${candidates.join(', ')})`);
    return [handler, path.resolve(file)];
  });
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
