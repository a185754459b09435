/**
 * The sample app: one stack, `SerinusCheckout`, with one CanaryRollout, configured from the
 * `serinus` key of cdk.json's context. It names existing resources by ARN and name only, so it
 * synthesizes without an AWS account: `npx cdk synth -q`.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { z } from 'zod';
import { CanaryRollout } from '../lib/canary-rollout';
import { EksCluster } from '../lib/cluster';
import { ensureBundles } from '../scripts/bundle-lambdas';
import { addNagChecks } from './nag';
import { SerinusPipelinesStack, SerinusReleaseTrainStack } from './pipelines';
import { HOOK_POINTS, LifecycleHook, type LifecycleHooks } from '../lib/hooks';
import { DeploymentWindow, FreezePeriod } from '../lib/windows';

/** The context key that holds the sample's configuration. */
export const SAMPLE_CONTEXT_KEY = 'serinus';

const sampleConfigSchema = z
  .object({
    account: z.string().regex(/^\d{12}$/),
    region: z.string().min(1),
    serviceName: z.string().min(1),
    listenerArn: z.string().min(1),
    listenerRuleArn: z.string().min(1).optional(),
    stableTargetGroupArn: z.string().min(1),
    canaryTargetGroupArn: z.string().min(1),
    clusterName: z.string().min(1),
    namespace: z.string().min(1),
    stableDeployment: z.string().min(1),
    canaryDeployment: z.string().min(1),
    containers: z.array(z.string()).min(1),
    alarmNames: z.array(z.string().min(1)).default([]),
    strategy: z.string().optional(),
    managedAlarms: z
      .object({
        errorRateThresholdPercent: z.number().optional(),
        minimumRequests: z.number().optional(),
        p99LatencyMilliseconds: z.number().optional(),
        compareWithStable: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** Deployment windows, e.g. "MON-FRI 09:00-17:00 Europe/Berlin". */
    windows: z.array(z.string()).optional(),
    freezes: z.array(z.object({ start: z.string(), end: z.string(), reason: z.string().optional() }).strict()).optional(),
    /** Lifecycle hooks by hook point: an existing function's name. */
    hooks: z
      .partialRecord(
        z.enum(HOOK_POINTS),
        z.object({ functionName: z.string().min(1), taskToken: z.boolean().optional(), timeoutSeconds: z.number().int().positive().optional() }).strict(),
      )
      .optional(),
  })
  .strict();

export type SampleConfig = z.infer<typeof sampleConfigSchema>;

/** Reads and checks the sample's configuration from the app's context. */
function sampleConfig(app: App): SampleConfig {
  const parsed = sampleConfigSchema.safeParse(app.node.tryGetContext(SAMPLE_CONTEXT_KEY));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`cdk.json context "${SAMPLE_CONTEXT_KEY}" is not usable: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export interface SerinusCheckoutStackProps extends StackProps {
  readonly config: SampleConfig;
}

/** One service's rollouts against existing ALB, target groups, cluster and alarms. */
export class SerinusCheckoutStack extends Stack {
  readonly rollout: CanaryRollout;

  constructor(scope: Construct, id: string, props: SerinusCheckoutStackProps) {
    super(scope, id, props);
    const { config } = props;
    const managed = config.managedAlarms;
    this.rollout = new CanaryRollout(this, 'Checkout', {
      serviceName: config.serviceName,
      listenerArn: config.listenerArn,
      listenerRuleArn: config.listenerRuleArn,
      stableTargetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(this, 'StableTargetGroup', {
        targetGroupArn: config.stableTargetGroupArn,
      }),
      canaryTargetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(this, 'CanaryTargetGroup', {
        targetGroupArn: config.canaryTargetGroupArn,
      }),
      cluster: EksCluster.fromName(config.clusterName),
      namespace: config.namespace,
      stableDeployment: config.stableDeployment,
      canaryDeployment: config.canaryDeployment,
      containers: config.containers,
      alarms: config.alarmNames.map((name, i) => cloudwatch.Alarm.fromAlarmName(this, `Alarm${i}`, name)),
      managedAlarms: managed && {
        errorRateThresholdPercent: managed.errorRateThresholdPercent,
        minimumRequests: managed.minimumRequests,
        compareWithStable: managed.compareWithStable,
        p99LatencyThreshold:
          managed.p99LatencyMilliseconds === undefined ? undefined : Duration.millis(managed.p99LatencyMilliseconds),
      },
      strategy: config.strategy,
      windows: config.windows?.map((text) => DeploymentWindow.of(text)),
      freezes: config.freezes?.map((freeze) => FreezePeriod.of(freeze)),
      hooks: config.hooks && this.hooks(config.hooks),
    });
  }

  private hooks(config: NonNullable<SampleConfig['hooks']>): LifecycleHooks {
    const hooks: Partial<Record<(typeof HOOK_POINTS)[number], LifecycleHook>> = {};
    for (const point of HOOK_POINTS) {
      const hook = config[point];
      if (!hook) continue;
      const fn = lambda.Function.fromFunctionName(this, `${point}Hook`, hook.functionName);
      const options = hook.timeoutSeconds === undefined ? {} : { timeout: Duration.seconds(hook.timeoutSeconds) };
      hooks[point] = hook.taskToken ? LifecycleHook.withTaskToken(fn, options) : LifecycleHook.invoke(fn, options);
    }
    return hooks;
  }
}

/**
 * Adds the sample stack to `app`, configured from its context. Builds the Lambda bundles first
 * when lambda/ changed since they were built: in this repository nothing else would.
 */
export function buildSampleStack(app: App): SerinusCheckoutStack {
  ensureBundles();
  const config = sampleConfig(app);
  return new SerinusCheckoutStack(app, 'SerinusCheckout', {
    config,
    env: { account: config.account, region: config.region },
    description: `serinus: canary rollouts of ${config.serviceName}`,
  });
}

/** Adds the entry-point examples (bin/pipelines.ts) next to the sample stack, on its listener and cluster. */
export function buildEntryPointStacks(app: App): { pipelines: SerinusPipelinesStack; releaseTrain: SerinusReleaseTrainStack } {
  const config = sampleConfig(app);
  const props = { env: { account: config.account, region: config.region }, listenerArn: config.listenerArn, clusterName: config.clusterName };
  return {
    pipelines: new SerinusPipelinesStack(app, 'SerinusPipelines', { ...props, description: 'serinus: rollouts from CodePipeline' }),
    releaseTrain: new SerinusReleaseTrainStack(app, 'SerinusReleaseTrain', { ...props, description: 'serinus: a weekly release train' }),
  };
}

/** The `context` of cdk.json, for a run without the CDK CLI (which otherwise passes it in). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

if (require.main === module) {
  // The CLI runs the app with CDK_OUTDIR and the context set and collects the assembly itself.
  // Run directly (`npx tsx bin/serinus.ts`), the app reads cdk.json and writes cdk.out/ on its
  // own, so the sample synthesizes, bundles and passes cdk-nag without any CLI.
  const runByCli = process.env.CDK_OUTDIR !== undefined;
  const app = new App(runByCli ? {} : { outdir: 'cdk.out', context: cdkJsonContext() });
  addNagChecks(app);
  buildSampleStack(app);
  buildEntryPointStacks(app);
  if (!runByCli) app.synth();
}
