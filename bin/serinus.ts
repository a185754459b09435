/**
 * The sample app: one stack, `serinus-<serviceName>`, with one CanaryRollout, configured from the
 * `serinus` key of cdk.json's context (README: "The sample app"). Tests and the sandbox do not read
 * it: they use local/sample-config.ts, so cdk.json can point at your own service. It names existing resources by ARN and name only, so it
 * synthesizes without an AWS account: `npx cdk synth -q`.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack, Stage, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import * as z from 'zod';
import { ValidationFailedError } from '../lambda/errors';
import { CanaryRollout } from '../lib/canary-rollout';
import { EksCluster } from '../lib/cluster';
import { TrafficRouting } from '../lib/routing';
import { HOOK_POINTS, LifecycleHook, type LifecycleHooks } from '../lib/hooks';
import { Approval } from '../lib/policies';
import { didYouMean } from '../lib/prop-checks';
import { DeploymentWindow, FreezePeriod } from '../lib/windows';
import { ensureBundles } from '../scripts/bundle-lambdas';
import { addNagChecks } from './nag';
import { SerinusPipelinesStack, SerinusReleaseTrainStack } from './pipelines';

/** The context key that holds the sample's configuration. */
export const SAMPLE_CONTEXT_KEY = 'serinus';

const arnOf = z.string().min(1);
const sampleConfigSchema = z
  .object({
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    region: z.string().min(1),
    serviceName: z.string().min(1),
    listenerArn: arnOf,
    listenerRuleArn: arnOf.optional(),
    stableTargetGroupArn: arnOf,
    canaryTargetGroupArn: arnOf,
    clusterName: z.string().min(1),
    namespace: z.string().min(1),
    stableDeployment: z.string().min(1),
    canaryDeployment: z.string().min(1),
    containers: z.array(z.string()).min(1),
    alarmNames: z.array(z.string().min(1)).default([]),
    strategy: z.string().optional(),
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
    approval: z.string().optional(),
    approvalTopicArn: arnOf.optional(),
    notificationTopicArn: arnOf.optional(),
    stateMachineName: z.string().optional(),
    dashboard: z.boolean().optional(),
    vpc: z
      .object({
        vpcId: z.string().min(1),
        availabilityZones: z.array(z.string().min(1)).min(1),
        privateSubnetIds: z.array(z.string().min(1)).min(1),
        securityGroupIds: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    managedAlarms: z
      .object({
        errorRateThresholdPercent: z.number().optional(),
        minimumRequests: z.number().optional(),
        p99LatencyMilliseconds: z.number().optional(),
        compareWithStable: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SampleConfig = z.input<typeof sampleConfigSchema>;
type ParsedSampleConfig = z.output<typeof sampleConfigSchema>;

/** Every key the sample reads, for did-you-mean hints. */
const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(sampleConfigSchema.shape),
  vpc: Object.keys(sampleConfigSchema.shape.vpc.unwrap().shape),
  managedAlarms: Object.keys(sampleConfigSchema.shape.managedAlarms.unwrap().shape),
};

/** The construct's prop names, where the sample's key differs. */
const PROP_KEYS: Record<string, string> = {
  cluster: 'clusterName',
  'routing.listener': 'listenerArn',
  'routing.rule': 'listenerRuleArn',
  'routing.stable': 'stableTargetGroupArn',
  'routing.canary': 'canaryTargetGroupArn',
  alarms: 'alarmNames',
  approvalTopic: 'approvalTopicArn',
  notificationTopic: 'notificationTopicArn',
  vpcSubnets: 'vpc.privateSubnetIds',
  securityGroups: 'vpc.securityGroupIds',
  'managedAlarms.p99LatencyThreshold': 'managedAlarms.p99LatencyMilliseconds',
};

/** The sample's configuration is not usable: `problems`, one a line, name the cdk.json keys. */
export class SampleConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`cdk.json context "${SAMPLE_CONTEXT_KEY}" is not usable:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SampleConfigError';
  }
}

/** Reads and checks the sample's configuration from the app's context. */
function sampleConfig(app: App): ParsedSampleConfig {
  const parsed = sampleConfigSchema.safeParse(app.node.tryGetContext(SAMPLE_CONTEXT_KEY));
  if (!parsed.success) {
    throw new SampleConfigError(parsed.error.issues.flatMap((issue) => configIssue(issue)));
  }
  return parsed.data;
}

function configIssue(issue: z.core.$ZodIssue): string[] {
  const at = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const name = at ? `${at}.${key}` : key;
      return `${name}: unknown key${didYouMean(key, KNOWN_KEYS[at] ?? [])}`;
    });
  }
  return [`${at || '(the whole value)'}: ${issue.message}`];
}

export interface SampleServiceStackProps extends StackProps {
  readonly config: SampleConfig;
}

/** One service's rollouts against existing ALB, target groups, cluster and alarms. */
export class SampleServiceStack extends Stack {
  readonly rollout: CanaryRollout;

  constructor(scope: Construct, id: string, props: SampleServiceStackProps) {
    super(scope, id, props);
    const config = sampleConfigSchema.parse(props.config);
    const managed = config.managedAlarms;
    const vpc = config.vpc && ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: config.vpc.vpcId,
      availabilityZones: config.vpc.availabilityZones,
      privateSubnetIds: config.vpc.privateSubnetIds,
    });
    try {
      this.rollout = new CanaryRollout(this, 'Rollout', {
        serviceName: config.serviceName,
        routing: sampleRouting(this, config),
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
        // Checked by the construct, which names the allowed values.
        approval: config.approval as Approval | undefined,
        approvalTopic: config.approvalTopicArn === undefined ? undefined : sns.Topic.fromTopicArn(this, 'ApprovalTopic', config.approvalTopicArn),
        notificationTopic:
          config.notificationTopicArn === undefined ? undefined : sns.Topic.fromTopicArn(this, 'NotificationTopic', config.notificationTopicArn),
        stateMachineName: config.stateMachineName,
        dashboard: config.dashboard,
        vpc,
        securityGroups: config.vpc?.securityGroupIds?.map((id, i) => ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, id)),
      });
    } catch (error) {
      if (error instanceof ValidationFailedError) throw new SampleConfigError(error.problems.map(asConfigProblem));
      throw error;
    }
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

/** A construct problem (`CanaryRollout <path>: <prop> …`) in the sample's own key names. */
function asConfigProblem(problem: string): string {
  const sentence = problem.replace(/^CanaryRollout \S+: /, '');
  const match = /^([A-Za-z]+(?:\.[A-Za-z0-9]+)?)(\[\d+\])?(.*)$/s.exec(sentence);
  if (!match) return sentence;
  const [, prop, index = '', rest] = match as unknown as [string, string, string | undefined, string];
  const key = PROP_KEYS[prop] ?? PROP_KEYS[prop.split('.')[0]!] ?? prop;
  return `${key}${index}${rest.startsWith(' ') ? ':' : ''}${rest}`;
}

/** The sample's stack name: `serinus-<service>`. */
export function sampleStackName(config: Pick<SampleConfig, 'serviceName'>): string {
  return `serinus-${config.serviceName}`;
}

/**
 * Adds the sample stack to `app`, configured from its context. Builds the Lambda bundles first
 * when lambda/ changed since they were built: in this repository nothing else would.
 */
export function buildSampleStack(app: App): SampleServiceStack {
  ensureBundles();
  const config = sampleConfig(app);
  return new SampleServiceStack(app, sampleStackName(config), {
    config,
    env: { account: config.account, region: config.region },
    description: `serinus: canary rollouts of ${config.serviceName}`,
  });
}

/**
 * Adds the entry-point examples (bin/pipelines.ts) on the sample's listener and cluster, in a stage
 * of their own, `Examples`: `cdk synth` synthesizes them with the sample (and stays quiet with
 * `-q`, the sample being the app's one top-level stack); `cdk deploy 'Examples/*'` deploys them.
 */
export function buildEntryPointStacks(app: App): { pipelines: SerinusPipelinesStack; releaseTrain: SerinusReleaseTrainStack } {
  const config = sampleConfig(app);
  const env = { account: config.account, region: config.region };
  const examples = new Stage(app, 'Examples', { env });
  const props = { env, listenerArn: config.listenerArn, clusterName: config.clusterName };
  return {
    pipelines: new SerinusPipelinesStack(examples, 'SerinusPipelines', { ...props, description: 'serinus: rollouts from CodePipeline' }),
    releaseTrain: new SerinusReleaseTrainStack(examples, 'SerinusReleaseTrain', { ...props, description: 'serinus: a weekly release train' }),
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
  try {
    buildSampleStack(app);
    buildEntryPointStacks(app);
  } catch (error) {
    // A list a person reads, not a stack trace.
    if (!(error instanceof SampleConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  if (!runByCli) app.synth();
}

/** The sample's ALB listener, or one of its rules, and its two target groups. */
function sampleRouting(scope: Construct, config: SampleConfig): TrafficRouting {
  const targetGroups = {
    stable: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(scope, 'StableTargetGroup', { targetGroupArn: config.stableTargetGroupArn }),
    canary: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(scope, 'CanaryTargetGroup', { targetGroupArn: config.canaryTargetGroupArn }),
  };
  return config.listenerRuleArn
    ? TrafficRouting.albRuleArn(config.listenerArn, config.listenerRuleArn, targetGroups)
    : TrafficRouting.albListenerArn(config.listenerArn, targetGroups);
}
