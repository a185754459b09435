/**
 * The package as a user gets it: the files `npm pack` would put in the tarball, and nothing else,
 * installed into a fresh CDK app that has only its own dependencies, imported by name from plain
 * JavaScript, and synthesized. aws-cdk-lib and constructs are links to this repository's copies,
 * as `npm install` makes for the app's `file:` dependencies (fast, offline); serinus is a real copy,
 * so it can only load what the package holds. The app has no esbuild, no lockfile of ours and no
 * Docker: the functions must deploy the bundles the package ships.
 *
 * npm itself says what the package holds (its own packlist, pack-list.cjs) and whether the app's
 * aws-cdk-lib and constructs meet the peer ranges (its own semver); the tarball is not gzipped and
 * unpacked again, and `npm install` is not run: for a package whose only dependency is bundled in
 * it and an app whose other dependencies are links, it would copy the same files and make the
 * same links.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureCli, HANDLERS } from '../../scripts/bundle-lambdas';
import { shippedBuild } from '../support/emitted';

const ROOT = path.join(__dirname, '..', '..');
/** The app's own dependencies besides serinus: the peers, linked as `npm install` links `file:` directories. */
const LINKED = ['aws-cdk-lib', 'constructs'];

/** What app.js reports about the stack it synthesized. */
interface Synthesized {
  readonly stateMachines: number;
  readonly functions: Array<{ handler: string; runtime: string; assetPath: string; description: string }>;
}

const APP = `
const { App, Stack } = require('aws-cdk-lib');
const cloudwatch = require('aws-cdk-lib/aws-cloudwatch');
const elbv2 = require('aws-cdk-lib/aws-elasticloadbalancingv2');
const { CanaryRollout, EksCluster, Approval, TrafficRouting } = require('serinus');

const app = new App({ outdir: 'cdk.out', context: { 'aws:cdk:disable-asset-staging': true, 'aws:cdk:enable-asset-metadata': true } });
const stack = new Stack(app, 'Shop', { env: { account: '123456789012', region: 'eu-west-1' } });
const targetGroup = (id, name, hash) =>
  elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, id, {
    targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/' + name + '/' + hash,
  });
new CanaryRollout(stack, 'Checkout', {
  serviceName: 'checkout',
  routing: TrafficRouting.albListenerArn('arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2', {
    stable: targetGroup('Stable', 'checkout', '73e2d6bc24d8a067'),
    canary: targetGroup('Canary', 'checkout-canary', '2b8f5c1d9a3e4f60'),
  }),
  cluster: EksCluster.fromName('shop'),
  namespace: 'checkout',
  stableDeployment: 'checkout',
  canaryDeployment: 'checkout-canary',
  containers: ['app'],
  alarms: [cloudwatch.Alarm.fromAlarmName(stack, 'Availability', 'checkout-availability')],
  approval: Approval.BEFORE_PROMOTE,
});
const { template } = app.synth().getStackByName('Shop');
const resources = Object.values(template.Resources);
console.log(JSON.stringify({
  stateMachines: resources.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine').length,
  functions: resources
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => ({
      handler: r.Properties.Handler,
      runtime: r.Properties.Runtime,
      assetPath: r.Metadata['aws:asset:path'],
      description: r.Properties.Description,
    })),
}));
`;

/** What npm's packlist and semver said (pack-list.cjs). */
interface PackList {
  readonly files: string[];
  readonly peers: Record<string, { range: string; version: string; satisfied: boolean }>;
}

/** The directory of the npm that runs the tests (`npm run jest` names its CLI), else the global one. */
function npmDirectory(): string {
  const cli = process.env.npm_execpath;
  if (cli && existsSync(cli)) {
    for (let dir = path.dirname(cli); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const manifest = path.join(dir, 'package.json');
      if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'npm') return dir;
    }
  }
  return path.join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(), 'npm');
}

describe('the packed package', () => {
  let workdir: string;
  let synthesized: Synthesized;
  let appDir: string;

  let packList: PackList;

  beforeAll(async () => {
    // Prepare: the package's file list (jest's global setup built the bundles; the command's bundle
    // is built here) and a fresh app around it.
    ensureCli();
    await shippedBuild();
    const modules = realpathSync(path.join(ROOT, 'node_modules'));
    packList = JSON.parse(
      execFileSync(process.execPath, [path.join(__dirname, 'pack-list.cjs'), npmDirectory(), ROOT, modules], { encoding: 'utf8' }),
    ) as PackList;
    workdir = mkdtempSync(path.join(tmpdir(), 'serinus-install-'));
    appDir = path.join(workdir, 'app');
    const installed = path.join(appDir, 'node_modules', 'serinus');
    mkdirSync(installed, { recursive: true });
    writeFileSync(
      path.join(appDir, 'package.json'),
      JSON.stringify({
        name: 'shop-infra',
        private: true,
        dependencies: {
          ...Object.fromEntries(LINKED.map((name) => [name, `file:${path.join(modules, name)}`])),
          serinus: (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
        },
      }),
    );
    writeFileSync(path.join(appDir, 'app.js'), APP);

    // Act
    for (const file of packList.files) {
      mkdirSync(path.dirname(path.join(installed, file)), { recursive: true });
      copyFileSync(path.join(ROOT, file), path.join(installed, file));
    }
    for (const name of LINKED) symlinkSync(path.join(modules, name), path.join(appDir, 'node_modules', name), 'dir');
    // Node with no V8 helper threads: the app's synth is mostly the CloudFormation validation's
    // WebAssembly engine, and on cores the other test files keep busy, V8's background garbage
    // collection and compilation for it cost more CPU than doing the same work on the main thread.
    // What the app runs is the same.
    const output = execFileSync(process.execPath, ['--single-threaded', 'app.js'], { cwd: appDir, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    synthesized = JSON.parse(output) as Synthesized;
  }, 180_000);

  afterAll(() => {
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it('carries its own dependencies and takes its peers from the app, in versions the peer ranges accept', () => {
    // Assess: what `npm install` would otherwise fetch, or refuse (ERESOLVE).
    const manifest = JSON.parse(readFileSync(path.join(appDir, 'node_modules', 'serinus', 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const carried = Object.keys(manifest.dependencies ?? {});
    expect(carried.length).toBeGreaterThan(0);
    for (const name of carried) expect(packList.files).toContain(`node_modules/${name}/package.json`);
    expect(packList.files.filter((file) => file.startsWith('node_modules/') && !carried.some((name) => file.startsWith(`node_modules/${name}/`)))).toEqual([]);
    expect(Object.keys(packList.peers).sort()).toEqual([...LINKED].sort());
    for (const [name, peer] of Object.entries(packList.peers)) expect({ name, ...peer }).toEqual({ name, ...peer, satisfied: true });
  });

  it('installs as a copy, with aws-cdk-lib and constructs from the app', () => {
    // Assess
    const installed = path.join(appDir, 'node_modules', 'serinus');
    expect(statSync(installed).isSymbolicLink()).toBe(false);
    expect(existsSync(path.join(installed, 'dist', 'lib', 'index.d.ts'))).toBe(true);
    expect(existsSync(path.join(installed, 'node_modules', 'aws-cdk-lib'))).toBe(false);
    expect(existsSync(path.join(installed, 'lib', 'index.ts'))).toBe(false);
  });

  it('ships the serinus command its bin names, which runs on Node alone', () => {
    // Prepare
    const installed = path.join(appDir, 'node_modules', 'serinus');
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
    const command = path.join(installed, manifest.bin.serinus);

    // Act
    const version = execFileSync(process.execPath, [command, '--version'], { cwd: appDir, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });

    // Assess: one interpreter line, as npm's bin shim and a direct `./serinus.js` need.
    expect(version.trim()).toBe(manifest.version);
    expect(readFileSync(command, 'utf8').split('\n', 2)).toEqual(['#!/usr/bin/env node', expect.not.stringMatching(/^#!/)]);
  });

  it('synthesizes a state machine and one function per handler, each from a bundle in the package', () => {
    // Assess
    const bundles = path.join(realpathSync(appDir), 'node_modules', 'serinus', 'dist', 'bundles');
    expect(synthesized.stateMachines).toBe(1);
    expect(synthesized.functions.map((fn) => fn.description).sort()).toEqual(HANDLERS.map((name) => `serinus: ${name}`).sort());
    for (const fn of synthesized.functions) {
      const name = fn.description.replace('serinus: ', '');
      expect({ name, handler: fn.handler, runtime: fn.runtime, assetPath: fn.assetPath }).toEqual({
        name,
        handler: 'index.handler',
        runtime: 'nodejs22.x',
        assetPath: path.join(bundles, name),
      });
    }
  });
});
