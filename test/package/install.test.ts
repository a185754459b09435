/**
 * The package as a user gets it: packed, installed from the tarball into a fresh CDK app that has
 * only its own dependencies, imported by name from plain JavaScript, and synthesized. aws-cdk-lib
 * and constructs are `file:` links to this repository's copies (fast, offline); serinus is a real
 * copy, so it can only load what the tarball holds. The app has no esbuild, no lockfile of ours and
 * no Docker: the functions must deploy the bundles the package ships.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HANDLERS } from '../../scripts/bundle-lambdas';
import { shippedBuild } from '../support/emitted';

const ROOT = path.join(__dirname, '..', '..');
const NPM_FLAGS = ['--offline', '--no-audit', '--no-fund', '--loglevel=error'];

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

const app = new App({ context: { 'aws:cdk:disable-asset-staging': true, 'aws:cdk:enable-asset-metadata': true } });
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

describe('the packed package', () => {
  let workdir: string;
  let synthesized: Synthesized;
  let appDir: string;

  beforeAll(async () => {
    // Prepare: the tarball (jest's global setup built the bundles) and a fresh app around it.
    await shippedBuild();
    workdir = mkdtempSync(path.join(tmpdir(), 'serinus-install-'));
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workdir, ...NPM_FLAGS], { cwd: ROOT, encoding: 'utf8' }),
    ) as Array<{ filename: string }>;
    appDir = path.join(workdir, 'app');
    execFileSync('mkdir', [appDir]);
    const modules = realpathSync(path.join(ROOT, 'node_modules'));
    writeFileSync(
      path.join(appDir, 'package.json'),
      JSON.stringify({
        name: 'shop-infra',
        private: true,
        dependencies: {
          'aws-cdk-lib': `file:${path.join(modules, 'aws-cdk-lib')}`,
          constructs: `file:${path.join(modules, 'constructs')}`,
          serinus: `file:${path.join(workdir, packed.filename)}`,
        },
      }),
    );
    writeFileSync(path.join(appDir, 'app.js'), APP);

    // Act
    execFileSync('npm', ['install', '--ignore-scripts', ...NPM_FLAGS], { cwd: appDir, stdio: 'pipe' });
    const output = execFileSync(process.execPath, ['app.js'], { cwd: appDir, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    synthesized = JSON.parse(output) as Synthesized;
  }, 180_000);

  afterAll(() => {
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it('installs as a copy, with aws-cdk-lib and constructs from the app', () => {
    // Assess
    const installed = path.join(appDir, 'node_modules', 'serinus');
    expect(statSync(installed).isSymbolicLink()).toBe(false);
    expect(existsSync(path.join(installed, 'dist', 'lib', 'index.d.ts'))).toBe(true);
    expect(existsSync(path.join(installed, 'node_modules', 'aws-cdk-lib'))).toBe(false);
    expect(existsSync(path.join(installed, 'lib', 'index.ts'))).toBe(false);
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
