/**
 * The variants of the sample's workflow the flows run besides the sample itself: each synthesized
 * once per test run and kept (local/run-cache.ts). A whole run (`npm test`) synthesizes them in
 * jest's global setup, where aws-cdk-lib is loaded for the sample already; a flow file then reads
 * them and loads no aws-cdk-lib, which cost each flow file that synthesized one about 1.5 s of CPU
 * under jest. So aws-cdk-lib and the app's stacks are required inside the builders, never above.
 */
import type { CanaryRolloutProps } from '../../lib/canary-rollout';
import { OnDrift } from '../../lib/policies';
import { keptInRun } from '../../local/run-cache';
import { FIXTURE_CONFIG, fixtureContext } from '../../local/sample-config';
import { synthesizeSampleVariant, withScratchAssembly } from '../../local/sample-workflow';
import type { SynthesizedWorkflow } from '../../local/synthesized-workflow';

const SAMPLE = { ...FIXTURE_CONFIG, alarmNames: FIXTURE_CONFIG.alarmNames ?? [] };

/** The functions of the hooks variant, by hook point. */
export const HOOK_FUNCTIONS = {
  beforeTraffic: 'checkout-smoke-test',
  afterStep: 'checkout-after-step',
  beforePromote: 'checkout-before-promote',
  afterPromote: 'checkout-after-promote',
} as const;

/** A rule of the sample's listener (its id is made up, as the sample's ARNs are). */
export const RULE_ARN = SAMPLE.listenerArn.replace(':listener/', ':listener-rule/') + '/9683b2d02a6cabee';

/**
 * Deployment windows and lifecycle hooks: a window (`MON-SUN 00:00-24:00 UTC`, so the input's
 * freezes decide) and a hook at every point.
 */
export function hooksWorkflow(): SynthesizedWorkflow {
  return synthesizeSampleVariant({
    ...FIXTURE_CONFIG,
    windows: ['MON-SUN 00:00-24:00 UTC'],
    hooks: {
      beforeTraffic: { functionName: HOOK_FUNCTIONS.beforeTraffic },
      afterStep: { functionName: HOOK_FUNCTIONS.afterStep },
      // A long-running check: it answers through its task token.
      beforePromote: { functionName: HOOK_FUNCTIONS.beforePromote, taskToken: true, timeoutSeconds: 3600 },
      afterPromote: { functionName: HOOK_FUNCTIONS.afterPromote },
    },
  });
}

/** The sample steering one listener rule instead of the listener's default action. */
export function ruleWorkflow(): SynthesizedWorkflow {
  return synthesizeSampleVariant({ ...SAMPLE, listenerRuleArn: RULE_ARN });
}

/** The sample's rollout with `onDrift: OnDrift.ADOPT`. */
export function adoptWorkflow(): SynthesizedWorkflow {
  return keptInRun('flow-workflow-adopt.json', () => sampleRolloutWith({ onDrift: OnDrift.ADOPT }));
}

/** The `search` rollout of the sample app's release-train stack (bin/pipelines.ts). */
export function releaseTrainWorkflow(): SynthesizedWorkflow {
  return keptInRun('flow-workflow-release-train.json', () => {
    const { App } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const { SerinusReleaseTrainStack } = require('../../bin/pipelines') as typeof import('../../bin/pipelines');
    const { extractWorkflow } = require('../../local/synthesized-workflow') as typeof import('../../local/synthesized-workflow');
    return withScratchAssembly((outdir) => {
      const app = new App({ outdir, context: { ...fixtureContext(), 'aws:cdk:disable-asset-staging': true }, builtinCloudFormationValidation: false });
      const stack = new SerinusReleaseTrainStack(app, 'SerinusReleaseTrain', {
        env: { account: FIXTURE_CONFIG.account, region: FIXTURE_CONFIG.region },
        listenerArn: FIXTURE_CONFIG.listenerArn,
        clusterName: FIXTURE_CONFIG.clusterName,
      });
      return extractWorkflow(stack.search.stateMachine, stack.search.engine._functions);
    });
  });
}

/** Every variant above, for the global setup of a whole run. */
export function synthesizeFlowWorkflows(): void {
  hooksWorkflow();
  ruleWorkflow();
  adoptWorkflow();
  releaseTrainWorkflow();
}

/** The sample's rollout built with extra construct props. */
function sampleRolloutWith(extra: Partial<CanaryRolloutProps>): SynthesizedWorkflow {
  const { App, Duration, Stack } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const cloudwatch = require('aws-cdk-lib/aws-cloudwatch') as typeof import('aws-cdk-lib/aws-cloudwatch');
  const elbv2 = require('aws-cdk-lib/aws-elasticloadbalancingv2') as typeof import('aws-cdk-lib/aws-elasticloadbalancingv2');
  const { CanaryRollout } = require('../../lib/canary-rollout') as typeof import('../../lib/canary-rollout');
  const { EksCluster } = require('../../lib/cluster') as typeof import('../../lib/cluster');
  const { TrafficRouting } = require('../../lib/routing') as typeof import('../../lib/routing');
  const { extractWorkflow } = require('../../local/synthesized-workflow') as typeof import('../../local/synthesized-workflow');
  return withScratchAssembly((outdir) => {
    const app = new App({ outdir, context: { ...fixtureContext(), 'aws:cdk:disable-asset-staging': true }, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'SerinusCheckout', { env: { account: SAMPLE.account, region: SAMPLE.region } });
    const managed = SAMPLE.managedAlarms;
    const rollout = new CanaryRollout(stack, 'Checkout', {
      serviceName: SAMPLE.serviceName,
      routing: TrafficRouting.albListenerArn(SAMPLE.listenerArn, {
        stable: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'Stable', { targetGroupArn: SAMPLE.stableTargetGroupArn }),
        canary: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'Canary', { targetGroupArn: SAMPLE.canaryTargetGroupArn }),
      }),
      cluster: EksCluster.fromName(SAMPLE.clusterName),
      namespace: SAMPLE.namespace,
      stableDeployment: SAMPLE.stableDeployment,
      canaryDeployment: SAMPLE.canaryDeployment,
      containers: SAMPLE.containers,
      alarms: SAMPLE.alarmNames.map((name, i) => cloudwatch.Alarm.fromAlarmName(stack, `Alarm${i}`, name)),
      managedAlarms: managed && {
        errorRateThresholdPercent: managed.errorRateThresholdPercent,
        minimumRequests: managed.minimumRequests,
        compareWithStable: managed.compareWithStable,
        p99LatencyThreshold: managed.p99LatencyMilliseconds === undefined ? undefined : Duration.millis(managed.p99LatencyMilliseconds),
      },
      strategy: SAMPLE.strategy,
      ...extra,
    });
    return extractWorkflow(rollout.stateMachine, rollout.engine._functions);
  });
}
