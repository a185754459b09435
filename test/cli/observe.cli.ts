/**
 * The commands that read: status, watch, list, history.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeExecutionCommand, type ExecutionListItem, GetExecutionHistoryCommand, type HistoryEvent, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-jest';
import {
  EXECUTION_ARN,
  EXECUTION_NAME,
  IMAGE,
  OLD_IMAGE,
  PAYMENTS_DISCOVERY,
  RULE_ARN,
  STARTED,
  STATE_MACHINE_ARN,
  TABLE,
  entered,
  execution,
  mocks,
  record,
  resetMocks,
  ruleWith,
  serinus,
} from './cli-support';

const { sfn, dynamodb, elbv2, cloudwatch } = mocks;

/** Newest first, as GetExecutionHistory returns them with reverseOrder. */
const RECENT: HistoryEvent[] = [
  entered(14, 'Bake', '2026-12-02T04:38:30Z'),
  entered(11, 'ShiftWeight', '2026-12-02T04:37:55Z'),
  { id: 10, type: 'TaskFailed', timestamp: new Date('2026-12-02T04:37:50Z'), taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'Lambda.TooManyRequestsException' } },
  entered(9, 'ShiftWeight', '2026-12-02T04:37:45Z'),
  entered(8, 'SelectStep', '2026-12-02T04:37:44Z'),
  { id: 1, type: 'ExecutionStarted', timestamp: STARTED },
];

beforeEach(() => {
  resetMocks();
  sfn.on(DescribeExecutionCommand).resolves(execution());
  sfn.on(GetExecutionHistoryCommand).resolves({ events: RECENT });
});

describe('serinus status', () => {
  it('shows the step, live weights, bake left, alarms, images and the last events of the running rollout', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'checkout-5xx', StateValue: 'OK' }],
      CompositeAlarms: [{ AlarmName: 'checkout-p99', StateValue: 'ALARM', StateUpdatedTimestamp: new Date('2026-12-02T04:39:00Z') }],
    });

    // Act
    const run = await serinus('status', 'checkout');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        `checkout · ${EXECUTION_NAME} · running for 10m (started by serinus CLI (user alice); reason "release 1.4.2")`,
        '  state     Bake (step 1 of 2, canary 10%)',
        '  weights   stable 90 / canary 10 (live)',
        '  bake      step 1: 4m left (ends 2026-12-02T04:44:00.000Z)',
        '  alarms    checkout-5xx OK, checkout-p99 ALARM',
        `  images    canary app=${IMAGE}; stable unchanged until promotion`,
        '  events    04:38:30 entered Bake',
        '            04:37:55 entered ShiftWeight',
        '            04:37:50 task failed: Lambda.TooManyRequestsException',
        '            04:37:45 entered ShiftWeight',
        '            04:37:44 entered SelectStep',
        '            04:30:00 execution started',
      ].join('\n'),
    );
    expect(dynamodb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { targetKey: RULE_ARN }, ConsistentRead: true });
    expect(elbv2).toHaveReceivedCommandWith(DescribeRulesCommand, { RuleArns: [RULE_ARN] });
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['checkout-5xx', 'checkout-p99'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      MaxRecords: 100,
    });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION_ARN });
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: EXECUTION_ARN, reverseOrder: true, maxResults: 25, includeExecutionData: true });
    // The record names the execution: no need to look for a running one.
    expect(sfn).not.toHaveReceivedCommand(ListExecutionsCommand);
  });

  it('prints one JSON document with a stable shape', async () => {
    // Prepare
    dynamodb.on(GetCommand).resolves({
      Item: record({ phase: 'shifting', bake: undefined, approval: { token: 'secret', gate: 'promotion', requestedAt: '2026-12-02T04:39:00.000Z' }, lastWrittenWeights: { stable: 0, canary: 100 } }),
    });
    elbv2.on(DescribeRulesCommand).resolves(ruleWith(0, 100));

    // Act
    const run = await serinus('status', 'checkout', '--json');

    // Assess
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({
      service: 'checkout',
      stateMachineArn: STATE_MACHINE_ARN,
      execution: { arn: EXECUTION_ARN, name: EXECUTION_NAME, status: 'RUNNING', result: 'running', startedAt: STARTED.toISOString(), durationSeconds: 600 },
      startedBy: 'serinus CLI (user alice)',
      reason: 'release 1.4.2',
      state: 'Bake',
      phase: 'shifting',
      step: { number: 2, count: 2, weight: 100 },
      weights: { stable: 0, canary: 100, others: [] },
      approval: { gate: 'promotion', requestedAt: '2026-12-02T04:39:00.000Z' },
      alarms: [
        { name: 'checkout-5xx', state: 'OK', updatedAt: '2026-12-01T10:00:00.000Z' },
        { name: 'checkout-p99', state: 'OK', updatedAt: '2026-12-01T10:00:00.000Z' },
      ],
      images: { canary: { app: IMAGE } },
      events: expect.arrayContaining([{ id: 14, at: '2026-12-02T04:38:30.000Z', type: 'TaskStateEntered', summary: 'entered Bake' }]),
    });
    expect(run.stdout).not.toContain('secret');
  });

  it('shows a finished rollout by its execution ARN: result, cause and stable images', async () => {
    // Prepare
    dynamodb.on(GetCommand).resolves({});
    elbv2.on(DescribeRulesCommand).resolves(ruleWith(100, 0));
    sfn.on(DescribeExecutionCommand).resolves(
      execution({ status: 'FAILED', stopDate: new Date('2026-12-02T04:36:00Z'), error: 'CanaryUnhealthy', cause: 'step 1 (10%): alarm checkout-5xx is in ALARM' }),
    );
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 30, type: 'ExecutionFailed', timestamp: new Date('2026-12-02T04:36:00Z'), executionFailedEventDetails: { error: 'CanaryUnhealthy' } }] });

    // Act
    const run = await serinus('status', EXECUTION_ARN);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        `checkout · ${EXECUTION_NAME} · rolled back after 6m (CanaryUnhealthy) (started by serinus CLI (user alice); reason "release 1.4.2")`,
        '  cause     step 1 (10%): alarm checkout-5xx is in ALARM',
        '  weights   stable 100 / canary 0 (live)',
        '  alarms    checkout-5xx OK, checkout-p99 OK',
        '  images    stable unchanged',
        '  events    04:36:00 execution failed: CanaryUnhealthy',
      ].join('\n'),
    );
  });

  it('shows stable images during promotion, with what stable ran before', async () => {
    // Prepare
    dynamodb.on(GetCommand).resolves({ Item: record({ phase: 'promoting', bake: undefined, previousStable: { images: { app: OLD_IMAGE }, replicas: 3 } }) });

    // Act
    const run = await serinus('status', 'checkout', '--json');

    // Assess
    expect(run.json()).toMatchObject({ phase: 'promoting', images: { canary: { app: IMAGE }, stable: { app: IMAGE }, stableBefore: { app: OLD_IMAGE } } });
  });
});

describe('serinus watch', () => {
  it('follows the rollout until it ends and exits 1 when it rolled back', async () => {
    // Prepare
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(execution())
      .resolvesOnce(execution())
      .resolves(execution({ status: 'FAILED', stopDate: new Date('2026-12-02T04:41:00Z'), error: 'CanaryUnhealthy', cause: 'step 1 (10%): alarm checkout-5xx is in ALARM' }));
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'checkout-5xx', StateValue: 'OK' }, { AlarmName: 'checkout-p99', StateValue: 'OK' }] })
      .resolves({ MetricAlarms: [{ AlarmName: 'checkout-5xx', StateValue: 'ALARM' }, { AlarmName: 'checkout-p99', StateValue: 'OK' }] });

    // Act
    const run = await serinus('watch', 'checkout');

    // Assess
    expect(run.code).toBe(1);
    expect(run.sleeps).toEqual([5000, 5000]);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('04:40:00 · Bake · step 1/2 (10%) · stable 90 / canary 10 · bake 4m left · alarms OK');
    expect(lines[1]).toBe('04:40:05 · Bake · step 1/2 (10%) · stable 90 / canary 10 · bake 3m55s left · alarms checkout-5xx ALARM');
    expect(run.stdout).toContain('  cause     step 1 (10%): alarm checkout-5xx is in ALARM');
    expect(lines[lines.length - 1]).toBe('Result: rolled back (exit 1)');
  });

  it('--json prints JSON lines, the last one the result', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolvesOnce(execution()).resolves(execution({ status: 'ABORTED', stopDate: new Date('2026-12-02T04:41:00Z') }));

    // Act
    const run = await serinus('watch', EXECUTION_ARN, '--json', '--interval', '1');

    // Assess
    expect(run.code).toBe(5);
    expect(run.sleeps).toEqual([1000]);
    const lines = run.lines();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ type: 'status', at: '2026-12-02T04:40:00.000Z', execution: { status: 'RUNNING' }, weights: { stable: 90, canary: 10 } });
    expect(lines[1]).toMatchObject({ type: 'status', execution: { status: 'ABORTED', result: 'aborted' } });
    expect(lines[2]).toEqual({ type: 'result', result: 'aborted', status: 'ABORTED', exitCode: 5 });
  });

  it('exits 0 for a promoted rollout, and 3 when nothing runs', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves(execution({ status: 'SUCCEEDED', stopDate: new Date('2026-12-02T04:41:00Z') }));

    // Act
    const promoted = await serinus('watch', EXECUTION_ARN);
    dynamodb.on(GetCommand).resolves({});
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    const idle = await serinus('watch', 'checkout', '--json');

    // Assess
    expect(promoted.code).toBe(0);
    expect(promoted.stdout.split('\n').pop()).toBe('Result: promoted (exit 0)');
    expect(idle.code).toBe(3);
    expect(idle.json()).toEqual({
      error: { message: 'No running rollout of checkout. checkout has no rollouts yet. Start one with: serinus start checkout --image <image>', exitCode: 3 },
    });
  });
});

const PIPELINE_NAME = 'deploy-checkout-3f2a9c4e-1b2d-4c5e-8f9a-0b1c2d3e4f5a';
const CONSOLE_NAME = '7d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a';
const arnOf = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:serinus-checkout:${name}`;
const EXECUTIONS: ExecutionListItem[] = [
  { executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, name: EXECUTION_NAME, status: 'RUNNING', startDate: STARTED },
  {
    executionArn: arnOf(PIPELINE_NAME),
    stateMachineArn: STATE_MACHINE_ARN,
    name: PIPELINE_NAME,
    status: 'FAILED',
    startDate: new Date('2026-12-02T03:00:00Z'),
    stopDate: new Date('2026-12-02T03:20:00Z'),
  },
  {
    executionArn: arnOf(CONSOLE_NAME),
    stateMachineArn: STATE_MACHINE_ARN,
    name: CONSOLE_NAME,
    status: 'SUCCEEDED',
    startDate: new Date('2026-12-01T09:00:00Z'),
    stopDate: new Date('2026-12-01T09:30:30Z'),
  },
];

describe('serinus list', () => {
  it('lists the rollouts of one service with result and duration', async () => {
    // Prepare
    sfn.on(ListExecutionsCommand).resolves({ executions: EXECUTIONS });

    // Act
    const run = await serinus('list', 'checkout', '--limit', '3');

    // Assess
    expect(run.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, maxResults: 3 });
    expect(run.stdout).toBe(
      [
        'SERVICE   RESULT       STARTED            DURATION  EXECUTION',
        `checkout  running      2026-12-02 04:30Z  10m       ${EXECUTION_NAME}`,
        `checkout  rolled back  2026-12-02 03:00Z  20m       ${PIPELINE_NAME}`,
        `checkout  promoted     2026-12-01 09:00Z  30m30s    ${CONSOLE_NAME}`,
      ].join('\n'),
    );
  });

  it('lists every service when none is named, as JSON', async () => {
    // Prepare
    sfn.on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN }).resolves({ executions: [EXECUTIONS[1]] });
    sfn.on(ListExecutionsCommand, { stateMachineArn: PAYMENTS_DISCOVERY.stateMachineArn }).resolves({ executions: [] });

    // Act
    const run = await serinus('list', '--json');

    // Assess
    expect(run.code).toBe(0);
    expect(mocks.ssm).toHaveReceivedCommandWith(GetParametersByPathCommand, { Path: '/serinus/services/', Recursive: false });
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: PAYMENTS_DISCOVERY.stateMachineArn, maxResults: 10 });
    expect(run.json()).toEqual({
      rollouts: [
        {
          service: 'checkout',
          executionArn: arnOf(PIPELINE_NAME),
          name: PIPELINE_NAME,
          status: 'FAILED',
          result: 'rolled back',
          startedAt: '2026-12-02T03:00:00.000Z',
          stoppedAt: '2026-12-02T03:20:00.000Z',
          durationSeconds: 1200,
        },
      ],
    });
  });
});

describe('serinus history', () => {
  const baked = (id: number, weight: number): HistoryEvent =>
    entered(id, 'Bake', '2026-12-02T03:05:00Z', { cursor: { index: 0, step: { index: 0, weight } }, rollout: { stepCount: 3 } });

  beforeEach(() => {
    sfn.on(ListExecutionsCommand).resolves({ executions: EXECUTIONS.slice(1) });
    sfn.on(DescribeExecutionCommand, { executionArn: arnOf(PIPELINE_NAME) }).resolves(
      execution({
        name: PIPELINE_NAME,
        status: 'FAILED',
        input: JSON.stringify({ image: IMAGE, reason: 'pipeline run 42' }),
        error: 'CanaryUnhealthy',
        cause: 'step 2 (50%): alarm checkout-5xx is in ALARM',
      }),
    );
    sfn.on(DescribeExecutionCommand, { executionArn: arnOf(CONSOLE_NAME) }).resolves(
      execution({ name: CONSOLE_NAME, status: 'SUCCEEDED', input: JSON.stringify({ images: { app: OLD_IMAGE } }) }),
    );
    sfn.on(GetExecutionHistoryCommand, { executionArn: arnOf(PIPELINE_NAME) }).resolves({ events: [baked(5, 10), baked(9, 50)] });
    sfn.on(GetExecutionHistoryCommand, { executionArn: arnOf(CONSOLE_NAME) }).resolves({
      events: [
        baked(5, 10),
        baked(9, 100),
        { id: 12, type: 'TaskStateExited', timestamp: new Date('2026-12-01T09:20:00Z'), stateExitedEventDetails: { name: 'ApprovePromotion' } },
      ],
    });
  });

  it('shows each rollout: steps reached, why it ended, who started it', async () => {
    // Act
    const run = await serinus('history', 'checkout', '--limit', '2');

    // Assess
    expect(run.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, maxResults: 2 });
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: arnOf(PIPELINE_NAME), maxResults: 1000, includeExecutionData: true });
    expect(run.stdout).toBe(
      [
        'checkout: last 2 rollouts',
        `2026-12-02 03:00Z  ROLLED BACK after 20m  ${PIPELINE_NAME}`,
        '  by       CodePipeline (prefix "deploy-checkout"): "pipeline run 42"',
        `  image    ${IMAGE}`,
        '  steps    10% → 50% (of 3)',
        '  why      CanaryUnhealthy: step 2 (50%): alarm checkout-5xx is in ALARM',
        `2026-12-01 09:00Z  PROMOTED after 30m30s  ${CONSOLE_NAME}`,
        '  by       console or API (unnamed execution)',
        `  image    app=${OLD_IMAGE}`,
        '  steps    10% → 100% (of 3), 1 approval',
      ].join('\n'),
    );
  });

  it('prints the same as one JSON document', async () => {
    // Act
    const run = await serinus('history', 'checkout', '--json');

    // Assess
    expect(run.json()).toEqual({
      service: 'checkout',
      rollouts: [
        expect.objectContaining({
          name: PIPELINE_NAME,
          result: 'rolled back',
          startedBy: { kind: 'pipeline', description: 'CodePipeline (prefix "deploy-checkout")' },
          reason: 'pipeline run 42',
          images: IMAGE,
          stepsReached: [10, 50],
          stepCount: 3,
          approvals: 0,
          error: 'CanaryUnhealthy',
          cause: 'step 2 (50%): alarm checkout-5xx is in ALARM',
        }),
        expect.objectContaining({ name: CONSOLE_NAME, result: 'promoted', startedBy: { kind: 'console', description: 'console or API (unnamed execution)' }, stepsReached: [10, 100], approvals: 1 }),
      ],
    });
  });
});
