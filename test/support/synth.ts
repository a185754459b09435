/**
 * Builds the sample stack (and variants of it) for infra tests, on the prebuilt Lambda bundles
 * (jest's global setup builds them), so a test synthesizes in about a second. The context is cdk.json's, feature flags included, so the
 * tests see what `cdk synth` sees.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { buildSampleStack, type SampleConfig, type SampleServiceStack } from '../../bin/serinus';
import type { CanaryRolloutProps } from '../../lib/canary-rollout';
import { EksCluster } from '../../lib/cluster';
import { TrafficRouting, type TesterRouteOptions } from '../../lib/routing';
import { WORKFLOW_CACHE_ENV } from '../../local/run-cache';
import { FIXTURE_CONFIG, fixtureContext } from '../../local/sample-config';

const CONTEXT = fixtureContext();

/**
 * One cloud assembly directory for every app a test file synthesizes (jest gives each file its own
 * copy of this module), in the run's directory when there is one (the global teardown removes it).
 * aws-cdk-lib keeps an asset's hash for the rest of the process, keyed by the assembly directory
 * among others: with a directory of its own per app, as by default, every app hashed all the
 * Lambda bundles again. Apps synthesize one after another, and each rewrites the manifest and the
 * templates it reads.
 */
export const OUTDIR = mkdtempSync(path.join(process.env[WORKFLOW_CACHE_ENV] ?? tmpdir(), 'cdk.out-'));

/** The tests' configuration of the sample app (local/sample-config.ts; cdk.json is the user's). */
export const SAMPLE: SampleConfig & { alarmNames: string[] } = { alarmNames: [], ...FIXTURE_CONFIG };

/** Other resources of the sample's account and region, for a second rollout in the same stack. */
export const OTHER = {
  ruleArn:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
  stableTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/payments/8a1f4b2c3d4e5f60',
  canaryTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/payments-canary/0f1e2d3c4b5a6978',
} as const;

export interface TestAppOptions {
  /** Registers cdk-nag's AwsSolutions checks, as bin/serinus.ts does. */
  readonly nag?: boolean;
  /**
   * Runs CDK's built-in CloudFormation validation at synth, as `cdk synth` does (cdk.json adds the
   * default rules). It costs about five seconds a synth, so only the tests of that validation ask for it.
   * @default false
   */
  readonly cfnValidation?: boolean;
}

/** An app with cdk.json's context; assets are not staged. */
export function newTestApp(options: TestAppOptions = {}): App {
  const app = new App({
    outdir: OUTDIR,
    context: {
      ...CONTEXT,
      // The prebuilt bundles are hashed where they are, not copied into each test's assembly.
      'aws:cdk:disable-asset-staging': true,
    },
    builtinCloudFormationValidation: options.cfnValidation ?? false,
  });
  if (options.nag) {
    // Loaded here, not at the top: cdk-nag loads for the files whose tests ask for the checks only.
    const { addNagChecks } = require('../../bin/nag') as typeof import('../../bin/nag');
    addNagChecks(app);
  }
  return app;
}

/** The sample app's stack, not yet synthesized: a test may add to it first. */
export function sampleStack(options: TestAppOptions = {}): { app: App; stack: SampleServiceStack } {
  const app = newTestApp(options);
  return { app, stack: buildSampleStack(app) };
}

/** The sample app's stack and its template. */
export function synthSample(options: TestAppOptions = {}): { app: App; stack: SampleServiceStack; template: Template } {
  const { app, stack } = sampleStack(options);
  return { app, stack, template: Template.fromStack(stack) };
}

/**
 * `make`, called once: the first call makes the stack, and every later one in the test file
 * returns the same, for tests that only read it. Its construct tree is locked, so a test that adds
 * to it throws instead of changing what the other tests read.
 */
export function once<T extends { readonly stack: Stack }>(make: () => T): () => T {
  let made: T | undefined;
  return () => {
    if (!made) {
      made = make();
      made.stack.node.root.node.lock();
    }
    return made;
  };
}

/** The sample app's stack and its template, synthesized once per test file (see `once`). */
export const sharedSample = once(() => synthSample());

/** An empty stack in the sample's account and region, for constructs built by hand. */
export function emptyStack(): { app: App; stack: Stack } {
  const app = newTestApp();
  const stack = new Stack(app, 'Test', { env: { account: SAMPLE.account, region: SAMPLE.region } });
  return { app, stack };
}

/** The ALB routing of a test's rollout, field by field: a test overrides one thing. */
export interface AlbOverrides {
  readonly listener?: elbv2.IApplicationListener;
  readonly listenerArn?: string;
  readonly listenerRuleArn?: string;
  readonly stableTargetGroup?: elbv2.ITargetGroup;
  readonly canaryTargetGroup?: elbv2.ITargetGroup;
  readonly testerRoute?: TesterRouteOptions;
}

/** Valid props for a CanaryRollout in `stack`, from the sample's configuration; a test overrides one thing. */
export function validRolloutProps(stack: Stack, overrides: Partial<CanaryRolloutProps> & AlbOverrides = {}): CanaryRolloutProps {
  const unique = stack.node.children.length;
  const { listener, listenerArn, listenerRuleArn, stableTargetGroup, canaryTargetGroup, testerRoute, ...props } = overrides;
  const targetGroups = {
    stable:
      stableTargetGroup ??
      elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, `Stable${unique}`, { targetGroupArn: SAMPLE.stableTargetGroupArn }),
    canary:
      canaryTargetGroup ??
      elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, `Canary${unique}`, { targetGroupArn: SAMPLE.canaryTargetGroupArn }),
    ...(testerRoute && { testerRoute }),
  };
  const listenerOf = listener?.listenerArn ?? listenerArn ?? SAMPLE.listenerArn;
  const routing = listenerRuleArn
    ? TrafficRouting.albRuleArn(listenerOf, listenerRuleArn, targetGroups)
    : TrafficRouting.albListenerArn(listenerOf, targetGroups);
  return {
    serviceName: SAMPLE.serviceName,
    routing,
    cluster: EksCluster.fromName(SAMPLE.clusterName),
    namespace: SAMPLE.namespace,
    stableDeployment: SAMPLE.stableDeployment,
    canaryDeployment: SAMPLE.canaryDeployment,
    containers: [...SAMPLE.containers],
    alarms: [cloudwatch.Alarm.fromAlarmName(stack, `Alarm${unique}`, 'checkout-availability')],
    ...props,
  };
}
