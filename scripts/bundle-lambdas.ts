/**
 * Builds the Lambda code the package ships: one esbuild bundle per handler listed in
 * lambda/handler-names.ts, at dist/bundles/<handler>/index.js with its source map beside it. The
 * construct deploys these directories as they are (lib/lambda-code.ts), so a consumer's synth needs
 * neither esbuild nor this repository's lockfile nor Docker.
 *
 *   npx tsx scripts/bundle-lambdas.ts            # build (what `npm run build` runs)
 *   npx tsx scripts/bundle-lambdas.ts --if-stale # build only when lambda/ changed since the last build
 */
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';
import { EVENT_HANDLERS, WORKFLOW_HANDLERS, type HandlerName } from '../lambda/handler-names';
import { BUNDLE_FILE, BUNDLES_DIR } from '../lib/lambda-code';

const ROOT = path.join(__dirname, '..');
/** Written last: a build that failed half-way leaves no stamp, so the next run builds again. */
const STAMP = path.join(BUNDLES_DIR, '.built');
/** What a bundle depends on besides lambda/: the bundling options here and the locked dependency versions. */
const INPUTS = [path.join(ROOT, 'lambda'), __filename, path.join(ROOT, 'package-lock.json')];

/** Modules @kubernetes/client-node loads for features serinus does not use. */
const UNUSED_KUBERNETES_MODULES = [
  'ws',
  'isomorphic-ws',
  'tar-fs',
  'tar-stream',
  'socks',
  'socks-proxy-agent',
  'hpagent',
  'openid-client',
  'oauth4webapi',
  'jsonpath-plus',
  'js-yaml',
  'stream-buffers',
];
const UNAVAILABLE_MODULE = path.join(ROOT, 'scripts', 'unavailable-module.cjs');

export const HANDLERS: readonly HandlerName[] = [...WORKFLOW_HANDLERS, ...EVENT_HANDLERS];

export function bundleOptions(): BuildOptions {
  return {
    entryPoints: Object.fromEntries(
      HANDLERS.map((name) => [`${name}/${path.parse(BUNDLE_FILE).name}`, path.join(ROOT, 'lambda', 'handlers', `${name}.ts`)]),
    ),
    outdir: BUNDLES_DIR,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // ESM entry points first: the AWS SDK's ESM builds tree-shake far better than its CJS ones.
    mainFields: ['module', 'main'],
    minify: true,
    // Written beside each bundle; the construct ships them only with `lambdaSourceMaps`.
    sourcemap: 'linked',
    sourcesContent: false,
    // The AWS SDK v3 comes with the Lambda Node.js runtime, as NodejsFunction's defaults have it
    // (and cdk.json's sdkV3ExcludeSmithyPackages): bundled, it would be most of every bundle.
    external: ['@aws-sdk/*', '@smithy/*'],
    // The Kubernetes client's optional transports and auth plugins, which serinus never calls
    // (it talks to the EKS endpoint with a bearer token and the cluster CA), stay out of the bundles.
    alias: Object.fromEntries(UNUSED_KUBERNETES_MODULES.map((name) => [name, UNAVAILABLE_MODULE])),
    logLevel: 'error',
    metafile: false,
  };
}

/** Builds every bundle from scratch; returns the handler names. */
export function buildBundles(): readonly HandlerName[] {
  rmSync(BUNDLES_DIR, { recursive: true, force: true });
  buildSync(bundleOptions());
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return HANDLERS;
}

/** Newest modification time (ms) of a file, or of anything under a directory. */
export function newestMtime(file: string): number {
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(file).reduce((newest, entry) => Math.max(newest, newestMtime(path.join(file, entry))), stat.mtimeMs);
}

/** Whether every handler has a bundle built after the last change to its inputs. */
export function bundlesAreFresh(): boolean {
  if (!existsSync(STAMP)) return false;
  if (!HANDLERS.every((name) => existsSync(path.join(BUNDLES_DIR, name, BUNDLE_FILE)))) return false;
  return !changedSince(INPUTS, statSync(STAMP).mtimeMs);
}

/** Whether any of `inputs` that exists was modified after `builtMs`. */
function changedSince(inputs: readonly string[], builtMs: number): boolean {
  return inputs.some((input) => existsSync(input) && newestMtime(input) > builtMs);
}

/**
 * Builds the bundles when they are missing or older than lambda/. Inside this repository the sample
 * app, the sandbox and the tests call it before they synthesize, so they deploy what ships. Silent,
 * so `cdk synth -q` stays quiet.
 */
export function ensureBundles(): void {
  if (!bundlesAreFresh()) buildBundles();
}

/** Where the `serinus` command's single-file bundle goes (package.json `bin`). */
export const CLI_BUNDLE = path.join(ROOT, 'dist', 'cli', 'serinus.js');

/** What the command's bundle depends on: its sources, the bundling options here and the locked dependency versions. */
const CLI_INPUTS = [path.join(ROOT, 'cli'), ...INPUTS];

/**
 * The `serinus` command as one file with everything it imports (commander, the AWS SDK clients,
 * zod): an installed package needs no runtime dependency for it, as the Lambda bundles need none.
 * Its first line is cli/main.ts's own `#!/usr/bin/env node`, which esbuild keeps.
 */
export function buildCli(): void {
  buildSync({
    entryPoints: [path.join(ROOT, 'cli', 'main.ts')],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    minify: true,
    logLevel: 'error',
  });
}

/** Builds the command's bundle when it is missing or older than what it is built from (the package test runs it). */
export function ensureCli(): void {
  if (changedSince(CLI_INPUTS, existsSync(CLI_BUNDLE) ? statSync(CLI_BUNDLE).mtimeMs : 0)) buildCli();
}

if (require.main === module) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && bundlesAreFresh()) process.exit(0);
  const started = Date.now();
  const built = buildBundles();
  console.log(`bundled ${built.length} handlers into ${path.relative(process.cwd(), BUNDLES_DIR)}/ in ${Date.now() - started} ms`);
  if (!ifStale) {
    buildCli();
    console.log(`bundled the serinus command into ${path.relative(process.cwd(), CLI_BUNDLE)}`);
  }
}
