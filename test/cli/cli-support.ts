/**
 * Runs the serinus CLI in-process against aws-sdk-client-mock, with a clock whose sleep returns at
 * once (and moves the time on), and captures what it prints.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRulesCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DescribeExecutionOutput, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { CliEnvironment, GlobalOptions } from '../../cli/context';
import { runCli } from '../../cli/program';
import type { DiscoveryValue } from '../../lambda/domain/discovery';
import type { RolloutRecord, TargetConfig } from '../../lambda/domain/types';

export const ACCOUNT = '123456789012';
export const SERVICE = 'checkout';
export const STATE_MACHINE_ARN = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:serinus-checkout`;
export const EXECUTION_NAME = 'cli-alice-20261202T043000-0a1b2c3d';
export const EXECUTION_ARN = `arn:aws:states:eu-west-1:${ACCOUNT}:execution:serinus-checkout:${EXECUTION_NAME}`;
export const TABLE = 'serinus-rollouts';
export const LISTENER_ARN = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:listener/app/shop/0123456789abcdef/fedcba9876543210`;
export const RULE_ARN = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:listener-rule/app/shop/0123456789abcdef/fedcba9876543210/1111222233334444`;
export const STABLE_TG = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/checkout/aaaa000011112222`;
export const CANARY_TG = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/checkout-canary/bbbb000011112222`;
export const IMAGE = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2`;
export const OLD_IMAGE = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.1`;
export const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd1NTY2Vb3Z5ZXhhbXBsZXRva2Vu';
/** The test clock's start: ten minutes after the execution started. */
export const NOW = new Date('2026-12-02T04:40:00.000Z');
export const STARTED = new Date('2026-12-02T04:30:00.000Z');

export const TARGET: TargetConfig = {
  service: SERVICE,
  traffic: { kind: 'alb', key: RULE_ARN, listenerArn: LISTENER_ARN, ruleArn: RULE_ARN, stableTargetGroupArn: STABLE_TG, canaryTargetGroupArn: CANARY_TG },
  workload: { clusterName: 'shop', namespace: 'shop', stableDeployment: 'checkout', canaryDeployment: 'checkout-canary', containers: ['app'], canaryReplicas: 1 },
  alarmNames: ['checkout-5xx', 'checkout-p99'],
  defaults: { strategy: 'Canary10Percent5Minutes', approval: 'beforePromote' },
  timing: { settleSeconds: 30, readyTimeoutSeconds: 600, pollSeconds: 15 },
  onDrift: 'revert',
};

export const DISCOVERY: DiscoveryValue = {
  schemaVersion: 1,
  service: SERVICE,
  stateMachineArn: STATE_MACHINE_ARN,
  stateMachineName: 'serinus-checkout',
  tableName: TABLE,
  approvalTopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:serinus-checkout-approvals`,
  eventBusName: 'default',
  target: TARGET,
};

export const PAYMENTS_DISCOVERY: DiscoveryValue = {
  ...DISCOVERY,
  service: 'payments',
  stateMachineArn: `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:serinus-payments`,
  stateMachineName: 'serinus-payments',
  target: { ...TARGET, service: 'payments' },
};

/** A record of a rollout baking its first step (10%), started a minute ago. */
export function record(overrides: Partial<RolloutRecord> & Record<string, unknown> = {}): RolloutRecord & Record<string, unknown> {
  return {
    targetKey: RULE_ARN,
    executionArn: EXECUTION_ARN,
    service: SERVICE,
    phase: 'baking',
    startedAt: STARTED.toISOString(),
    expiresAt: 1_900_000_000,
    target: TARGET,
    request: {
      images: { app: IMAGE },
      steps: [
        { weight: 10, bakeSeconds: 300 },
        { weight: 100, bakeSeconds: 0 },
      ],
      strategyName: 'Canary10Percent5Minutes',
      approval: 'beforePromote',
      insufficientData: 'unhealthy',
      afterPromotion: 'scaleCanaryToZero',
      dryRun: false,
      reason: 'release 1.4.2',
    },
    startWeights: { stable: 100, canary: 0 },
    lastWrittenWeights: { stable: 90, canary: 10 },
    previousCanary: { images: { app: OLD_IMAGE }, replicas: 0 },
    bake: { taskToken: 'bake-token', scheduleName: 'serinus-x-step-0', stepIndex: 0, startedAt: '2026-12-02T04:38:30.000Z' },
    generation: 3,
    ...overrides,
  };
}

export function execution(overrides: Partial<DescribeExecutionOutput> = {}): DescribeExecutionOutput {
  return {
    executionArn: EXECUTION_ARN,
    stateMachineArn: STATE_MACHINE_ARN,
    name: EXECUTION_NAME,
    status: 'RUNNING',
    startDate: STARTED,
    input: JSON.stringify({ image: IMAGE, reason: 'release 1.4.2' }),
    ...overrides,
  };
}

/** The forward action of the rule, with an authenticate action before it. */
export function ruleWith(stable: number, canary: number) {
  return {
    Rules: [
      {
        RuleArn: RULE_ARN,
        IsDefault: false,
        Actions: [
          { Type: 'authenticate-cognito' as const, Order: 1 },
          {
            Type: 'forward' as const,
            Order: 2,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: STABLE_TG, Weight: stable },
                { TargetGroupArn: CANARY_TG, Weight: canary },
              ],
            },
          },
        ],
      },
    ],
  };
}

export function entered(id: number, name: string, at: string, input?: unknown): HistoryEvent {
  return {
    id,
    type: name === 'Bake' || name === 'ShiftWeight' ? 'TaskStateEntered' : 'PassStateEntered',
    timestamp: new Date(at),
    previousEventId: id - 1,
    stateEnteredEventDetails: { name, ...(input !== undefined ? { input: JSON.stringify(input) } : {}) },
  };
}

export const mocks = {
  sfn: mockClient(SFNClient),
  ssm: mockClient(SSMClient),
  cloudwatch: mockClient(CloudWatchClient),
  elbv2: mockClient(ElasticLoadBalancingV2Client),
  dynamodb: mockClient(DynamoDBDocumentClient),
};

/** Resets every mock and answers the reads every command makes for a healthy, baking rollout. */
export function resetMocks(): void {
  for (const mock of Object.values(mocks)) mock.reset();
  clientOptions.length = 0;
  mocks.ssm.on(GetParameterCommand, { Name: '/serinus/services/checkout' }).resolves({ Parameter: { Name: '/serinus/services/checkout', Value: JSON.stringify(DISCOVERY) } });
  mocks.ssm.on(GetParameterCommand, { Name: '/serinus/services/payments' }).resolves({ Parameter: { Name: '/serinus/services/payments', Value: JSON.stringify(PAYMENTS_DISCOVERY) } });
  mocks.ssm.on(GetParametersByPathCommand).resolves({
    Parameters: [
      { Name: '/serinus/services/checkout', Value: JSON.stringify(DISCOVERY) },
      { Name: '/serinus/services/payments', Value: JSON.stringify(PAYMENTS_DISCOVERY) },
    ],
  });
  mocks.dynamodb.on(GetCommand).resolves({ Item: record() });
  mocks.elbv2.on(DescribeRulesCommand).resolves(ruleWith(90, 10));
  mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      { AlarmName: 'checkout-5xx', StateValue: 'OK', StateUpdatedTimestamp: new Date('2026-12-01T10:00:00Z') },
      { AlarmName: 'checkout-p99', StateValue: 'OK', StateUpdatedTimestamp: new Date('2026-12-01T10:00:00Z') },
    ],
  });
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Every sleep the command asked for, in milliseconds. */
  readonly sleeps: number[];
  /** stdout as one JSON document. */
  json(): unknown;
  /** stdout as JSON lines. */
  lines(): unknown[];
}

/** One set per file, as the CLI builds one set per process. */
const clients = {
  sfn: new SFNClient({ region: 'eu-west-1' }),
  ssm: new SSMClient({ region: 'eu-west-1' }),
  cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
  elbv2: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
  dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
};

/** What each run asked the client factory for (region, profile). */
export const clientOptions: GlobalOptions[] = [];

/** Runs `serinus <argv>` in-process. */
export async function serinus(...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const sleeps: number[] = [];
  let now = NOW.getTime();
  const env: CliEnvironment = {
    clients: (options) => {
      clientOptions.push(options);
      return clients;
    },
    output: { out: (text) => out.push(text), err: (text) => err.push(text) },
    clock: {
      now: () => new Date(now),
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    },
    newId: () => '0a1b2c3d',
    user: 'alice',
  };
  const code = await runCli(argv, env);
  const stdout = out.join('\n');
  return {
    code,
    stdout,
    stderr: err.join('\n'),
    sleeps,
    json: () => JSON.parse(stdout) as unknown,
    lines: () => out.map((line) => JSON.parse(line) as unknown),
  };
}
