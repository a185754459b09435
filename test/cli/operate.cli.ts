/**
 * The commands that change a rollout: start, approve, reject, abort; and the errors every command
 * shares (unknown service, credentials, permissions, usage).
 */
import { DescribeListenersCommand, DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, GetParametersByPathCommand, ParameterNotFound } from '@aws-sdk/client-ssm';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-jest';
import {
  DISCOVERY,
  EXECUTION_ARN,
  EXECUTION_NAME,
  IMAGE,
  LISTENER_ARN,
  RULE_ARN,
  STARTED,
  STATE_MACHINE_ARN,
  TABLE,
  TOKEN,
  TARGET,
  clientOptions,
  execution,
  mocks,
  record,
  resetMocks,
  ruleWith,
  serinus,
} from './cli-support';

const { sfn, ssm, dynamodb, elbv2 } = mocks;
const NEW_NAME = 'cli-alice-20261202T044000-0a1b2c3d';
const NEW_ARN = `arn:aws:states:eu-west-1:123456789012:execution:serinus-checkout:${NEW_NAME}`;

beforeEach(() => {
  resetMocks();
});

function accessDenied(action: string): Error {
  return Object.assign(new Error(`User: arn:aws:iam::123456789012:user/alice is not authorized to perform: ${action}`), { name: 'AccessDeniedException' });
}

describe('serinus start', () => {
  it('validates the input with the execution schema first and starts nothing when any of it is wrong', async () => {
    // Act
    const run = await serinus('start', 'checkout', '--image', 'registry/checkout:latest', '--steps', '50:5m,10', '--approval', 'none');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('serinus: The execution input for checkout is not valid; nothing was started.');
    expect(run.stderr).toContain('  - image "registry/checkout:latest" uses the tag "latest"');
    expect(run.stderr).toContain('  - steps[1].weight must be greater than steps[0].weight (50): weights only grow');
    expect(run.stderr).toContain(`  - approval "none" would drop an approval the service requires (the construct's approval is "beforePromote")`);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('reports a --steps item it cannot read with the schema problems, as JSON too', async () => {
    // Act
    const run = await serinus('start', 'checkout', '--image', IMAGE, '--steps', '10:5x,100', '--strategy', 'Canary10Percent5Minutes', '--json');

    // Assess
    expect(run.code).toBe(2);
    expect(run.json()).toEqual({ error: { message: 'Give either --strategy or --steps, not both.', exitCode: 2 } });
    const steps = await serinus('start', 'checkout', '--image', IMAGE, '--steps', '10:5x,100', '--json');
    expect(steps.json()).toEqual({
      error: {
        message: 'The execution input for checkout is not valid; nothing was started.',
        exitCode: 2,
        problems: ['--steps item 1 "10:5x" is not weight[:bake] such as 10:5m, 50:300 or 100'],
      },
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('refuses an execution ARN: a new rollout starts on a service', async () => {
    // Act
    const run = await serinus('start', EXECUTION_ARN, '--image', IMAGE);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('serinus: start takes a service name or a state machine ARN, not an execution ARN: serinus start checkout --image <image>');
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('--dry-run prints the input and the plan and starts nothing', async () => {
    // Act
    const run = await serinus('start', 'checkout', '--image', IMAGE, '--steps', '10:5m,50:2m,100', '--reason', 'release 1.4.2', '--dry-run');
    const json = await serinus('start', 'checkout', '--image', IMAGE, '--dry-run', '--json');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        'Dry run for checkout: nothing was started.',
        `  input  {"image":"${IMAGE}","steps":[{"weight":10,"bakeSeconds":300},{"weight":50,"bakeSeconds":120},{"weight":100,"bakeSeconds":0}],"reason":"release 1.4.2"}`,
        `  images     app=${IMAGE}`,
        '  steps      10%·5m → 50%·2m → 100% (custom)',
        '  approval   before promotion',
        '  at most    43m30s (without approval waits)',
        '  reason     release 1.4.2',
      ].join('\n'),
    );
    expect(json.code).toBe(0);
    expect(json.json()).toMatchObject({
      service: 'checkout',
      stateMachineArn: STATE_MACHINE_ARN,
      dryRun: true,
      input: { image: IMAGE },
      request: { images: { app: IMAGE }, strategyName: 'Canary10Percent5Minutes', approval: 'beforePromote' },
      plan: { steps: [{ index: 0, weight: 10, bakeSeconds: 300 }, { index: 1, weight: 100, bakeSeconds: 0 }], approvalBeforePromote: true },
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('starts the execution with the input as written and a name that says the CLI and the user started it', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: NEW_ARN, startDate: new Date('2026-12-02T04:40:00Z') });

    // Act
    const run = await serinus('start', 'checkout', '--image', IMAGE, '--strategy', 'Linear50PercentEvery2Minutes', '--approval', 'everyStep', '--reason', 'release 1.4.2');

    // Assess
    expect(run.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: NEW_NAME,
      input: JSON.stringify({ image: IMAGE, strategy: 'Linear50PercentEvery2Minutes', approval: 'everyStep', reason: 'release 1.4.2' }),
    });
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/serinus/services/checkout' });
    expect(run.stdout).toBe(
      [
        `Started checkout rollout ${NEW_NAME}`,
        `  execution  ${NEW_ARN}`,
        `  images     app=${IMAGE}`,
        '  steps      50%·2m → 100% (Linear50PercentEvery2Minutes)',
        '  approval   before step 1, before step 2, before promotion',
        '  at most    37m (without approval waits)',
        '  reason     release 1.4.2',
        '  follow     serinus watch checkout',
      ].join('\n'),
    );
  });

  it('maps container=image pairs to images and prints the started execution as JSON', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: NEW_ARN, startDate: new Date('2026-12-02T04:40:00Z') });

    // Act
    const run = await serinus('start', STATE_MACHINE_ARN, '--image', `app=${IMAGE}`, '--json');

    // Assess
    expect(run.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN, name: NEW_NAME, input: JSON.stringify({ images: { app: IMAGE } }) });
    expect(ssm).toHaveReceivedCommandWith(GetParametersByPathCommand, { Path: '/serinus/services/', Recursive: false });
    expect(run.json()).toEqual({
      service: 'checkout',
      stateMachineArn: STATE_MACHINE_ARN,
      executionArn: NEW_ARN,
      name: NEW_NAME,
      startedAt: '2026-12-02T04:40:00.000Z',
      input: { images: { app: IMAGE } },
      plan: expect.objectContaining({ approvalBeforePromote: true }),
    });
  });

  it('--watch follows the new execution and exits with its result', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: NEW_ARN, startDate: new Date('2026-12-02T04:40:00Z') });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(execution({ executionArn: NEW_ARN, name: NEW_NAME }))
      .resolves(execution({ executionArn: NEW_ARN, name: NEW_NAME, status: 'SUCCEEDED', stopDate: new Date('2026-12-02T04:52:00Z') }));
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });

    // Act
    const run = await serinus('start', 'checkout', '--image', IMAGE, '--watch', '--interval', '2');

    // Assess
    expect(run.code).toBe(0);
    expect(run.sleeps).toEqual([2000]);
    expect(run.stdout).toContain('Result: promoted (exit 0)');
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: NEW_ARN });
  });
});

describe('serinus approve / reject', () => {
  const awaiting = (gate: 'step' | 'promotion', step?: number) =>
    record({ phase: 'shifting', bake: undefined, approval: { token: TOKEN, gate, ...(step !== undefined ? { step } : {}), requestedAt: '2026-12-02T04:39:00.000Z' } });

  it('approve reads the token from the rollout record and sends task success', async () => {
    // Prepare
    dynamodb.on(GetCommand).resolves({ Item: awaiting('promotion') });
    sfn.on(SendTaskSuccessCommand).resolves({});

    // Act
    const run = await serinus('approve', 'checkout');

    // Assess
    expect(run.code).toBe(0);
    expect(dynamodb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { targetKey: RULE_ARN }, ConsistentRead: true });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN, output: '{}' });
    expect(run.stdout).toBe(`Approved promotion of checkout (${EXECUTION_ARN}); the rollout goes on. Follow it: serinus watch checkout`);
  });

  it('reject sends task failure ApprovalRejected with the reason as the cause', async () => {
    // Prepare
    dynamodb.on(GetCommand).resolves({ Item: awaiting('step', 1) });
    sfn.on(SendTaskFailureCommand).resolves({});

    // Act
    const run = await serinus('reject', 'checkout', '--reason', 'p99 too high in the dashboard', '--json');

    // Assess
    expect(run.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: TOKEN, error: 'ApprovalRejected', cause: 'p99 too high in the dashboard' });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(run.json()).toEqual({ service: 'checkout', executionArn: EXECUTION_ARN, decision: 'rejected', gate: 'step', step: 2, reason: 'p99 too high in the dashboard' });
  });

  it('says nothing awaits approval when the record carries no token', async () => {
    // Act (the default record is baking, with no approval)
    const run = await serinus('approve', 'checkout');

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`serinus: Nothing awaits approval: the rollout of checkout (${EXECUTION_ARN}) is baking, not at an approval gate. See: serinus status checkout`);
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it.each([
    ['no record', undefined],
    ['an ended record', awaitingEnded()],
  ])('says there is no running rollout when the target has %s', async (_case, item) => {
    // Prepare
    dynamodb.on(GetCommand).resolves({ Item: item });

    // Act
    const run = await serinus('reject', 'checkout', '--json');

    // Assess
    expect(run.code).toBe(3);
    expect(run.json()).toEqual({ error: { message: 'No running rollout of checkout, so nothing awaits approval. See: serinus status checkout', exitCode: 3 } });
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  it('refuses to answer for another execution than the one given', async () => {
    // Prepare
    dynamodb.on(GetCommand).resolves({ Item: awaiting('promotion') });
    const other = EXECUTION_ARN.replace(EXECUTION_NAME, 'older-run');

    // Act
    const run = await serinus('approve', other);

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`Execution ${other} is not the running rollout of checkout`);
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('reads TaskTimedOut as nothing awaiting approval', async () => {
    // Prepare
    dynamodb.on(GetCommand).resolves({ Item: awaiting('step', 0) });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    // Act
    const run = await serinus('approve', 'checkout');

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('serinus: Nothing awaits approval: the step 1 gate of checkout was already answered, timed out or stopped (TaskTimedOut). See: serinus status checkout');
  });

  function awaitingEnded() {
    return { ...awaiting('promotion'), phase: 'ended', endedAt: '2026-12-02T04:39:30.000Z' };
  }
});

describe('serinus abort', () => {
  beforeEach(() => {
    sfn.on(DescribeExecutionCommand).resolves(execution());
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
  });

  it('stops the execution and waits until traffic is on stable and the record is ended', async () => {
    // Prepare
    elbv2.on(DescribeRulesCommand).resolvesOnce(ruleWith(90, 10)).resolves(ruleWith(100, 0));
    dynamodb
      .on(GetCommand)
      .resolvesOnce({ Item: record() })
      .resolvesOnce({ Item: record() })
      .resolvesOnce({ Item: record({ phase: 'ended' }) })
      .resolves({ Item: record({ phase: 'ended', endedAt: '2026-12-02T04:40:10.000Z', endReason: 'execution ABORTED' }) });

    // Act
    const run = await serinus('abort', 'checkout', '--reason', 'bad release', '--interval', '5');

    // Assess
    expect(run.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { executionArn: EXECUTION_ARN, error: 'Aborted', cause: 'bad release' });
    expect(elbv2).toHaveReceivedCommandWith(DescribeRulesCommand, { RuleArns: [RULE_ARN] });
    expect(run.sleeps).toEqual([5000, 5000]);
    expect(run.stdout).toBe(
      [
        `Stopped checkout rollout ${EXECUTION_NAME}; waiting for cleanup to put traffic back on stable…`,
        '  04:40:00 stable 90 / canary 10, record held, phase baking',
        '  04:40:05 stable 100 / canary 0, record held, phase ended',
        '  04:40:10 stable 100 / canary 0, record ended (execution ABORTED)',
        'Traffic is back on stable (stable 100 / canary 0) and the rollout record is ended (execution ABORTED), 10s after the stop.',
      ].join('\n'),
    );
  });

  it('gives up after --wait with a message that says what to check', async () => {
    // Prepare (cleanup never runs)

    // Act
    const run = await serinus('abort', 'checkout', '--wait', '30', '--interval', '10', '--json');

    // Assess
    expect(run.code).toBe(5);
    expect(run.sleeps).toEqual([10000, 10000, 10000]);
    const lines = run.lines();
    expect(lines[0]).toEqual({ at: '2026-12-02T04:40:00.000Z', type: 'stopped', service: 'checkout', executionArn: EXECUTION_ARN, cause: 'stopped with serinus abort by alice' });
    expect(lines[1]).toMatchObject({ type: 'progress', weights: { stable: 90, canary: 10, others: [] }, record: 'held, phase baking' });
    expect(lines[lines.length - 1]).toEqual({
      error: {
        message:
          "The execution is stopped, but after 30s traffic is not confirmed back on stable: stable 90 / canary 10, record held, phase baking. Cleanup runs on the execution's ABORTED event (and the safety sweep within minutes); check the cleanup function's logs, and run serinus status checkout.",
        exitCode: 5,
      },
    });
  });

  it('does not count stable at 100 as done while the record still holds the target', async () => {
    // Prepare
    elbv2.on(DescribeRulesCommand).resolves(ruleWith(100, 0));

    // Act
    const run = await serinus('abort', 'checkout', '--wait', '10', '--interval', '10');

    // Assess
    expect(run.code).toBe(5);
  });

  it('says there is no running rollout, and stops nothing, when none runs', async () => {
    // Prepare
    dynamodb.on(GetCommand).resolves({});
    const last = { executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, name: EXECUTION_NAME, status: 'SUCCEEDED' as const, startDate: STARTED, stopDate: new Date('2026-12-02T04:45:00Z') };
    sfn.on(ListExecutionsCommand).callsFake((input: { statusFilter?: string }) => ({ executions: input.statusFilter === 'RUNNING' ? [] : [last] }));

    // Act
    const run = await serinus('abort', 'checkout');

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      `serinus: No running rollout of checkout. The last one, ${EXECUTION_NAME}, ended promoted at 2026-12-02T04:45:00.000Z. Start one with: serinus start checkout --image <image>`,
    );
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, maxResults: 1, statusFilter: 'RUNNING' });
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('stops nothing when the given execution already ended', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves(execution({ status: 'FAILED' }));

    // Act
    const run = await serinus('abort', EXECUTION_ARN);

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`No running rollout to abort: ${EXECUTION_ARN} already ended rolled back.`);
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });
});

describe('errors every command shares', () => {
  it('an unknown service lists the services found, with a did-you-mean', async () => {
    // Prepare
    ssm.on(GetParameterCommand, { Name: '/serinus/services/chekout' }).rejects(new ParameterNotFound({ message: '', $metadata: {} }));

    // Act
    const run = await serinus('status', 'chekout');
    const json = await serinus('approve', 'chekout', '--json');

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('serinus: Unknown service "chekout": no parameter /serinus/services/chekout. Did you mean "checkout"? Services found: checkout, payments.');
    expect(json.code).toBe(3);
    expect(json.json()).toEqual({ error: { message: expect.stringContaining('Did you mean "checkout"?'), exitCode: 3 } });
    expect(ssm).toHaveReceivedCommandWith(GetParametersByPathCommand, { Path: '/serinus/services/', Recursive: false });
  });

  it('an unknown service in an empty account says nothing is deployed there', async () => {
    // Prepare
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: '', $metadata: {} }));
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });

    // Act
    const run = await serinus('list', 'checkout');

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('no serinus service is deployed here (nothing under /serinus/services/). Check --region and --profile.');
  });

  it('no credentials says how to get some', async () => {
    // Prepare
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));

    // Act
    const run = await serinus('status', 'checkout');

    // Assess
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(
      'serinus: No usable AWS credentials (Could not load credentials from any providers). Pass --profile, set AWS_PROFILE, or run "aws sso login" / "aws configure", then try again.',
    );
  });

  it.each([
    ['start', ['start', 'checkout', '--image', IMAGE], 'states:StartExecution', () => sfn.on(StartExecutionCommand).rejects(accessDenied('states:StartExecution'))],
    ['approve', ['approve', 'checkout'], 'dynamodb:GetItem', () => dynamodb.on(GetCommand).rejects(accessDenied('dynamodb:GetItem'))],
    ['status', ['status', 'checkout'], 'elasticloadbalancing:DescribeRules', () => elbv2.on(DescribeRulesCommand).rejects(accessDenied('elasticloadbalancing:DescribeRules'))],
    ['list', ['list', 'checkout'], 'states:ListExecutions', () => sfn.on(ListExecutionsCommand).rejects(accessDenied('states:ListExecutions'))],
  ])('access denied names the action (%s)', async (_name, argv, action, deny) => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves(execution());
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    deny();

    // Act
    const run = await serinus(...argv);

    // Assess
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`serinus: Access denied: your identity may not call ${action}. Ask for ${action} on this resource in your IAM policy.`);
  });

  it('a service parameter that is not a serinus description says to redeploy', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ ...DISCOVERY, schemaVersion: 2 }) } });

    // Act
    const run = await serinus('status', 'checkout');

    // Assess
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('does not hold a serinus service description (schemaVersion 1); redeploy the stack');
  });

  it('usage errors exit 2; --help shows the exit codes and exits 0', async () => {
    // Act
    const unknownOption = await serinus('status', 'checkout', '--colour');
    const missing = await serinus('approve');
    const badName = await serinus('status', 'no/such');
    const help = await serinus('--help');

    // Assess
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("error: unknown option '--colour'");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: missing required argument 'service|arn'");
    expect(badName.code).toBe(2);
    expect(badName.stderr).toBe('serinus: "no/such" is neither a service name (letters, digits, "-" and "_") nor a state machine or execution ARN.');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:\n  0  ok; a watched rollout was promoted');
    expect(help.stdout).toContain('  5  a watched rollout was aborted or timed out');
    expect(ssm).not.toHaveReceivedCommand(GetParameterCommand);
  });

  it('builds the clients for --region and --profile, and takes the global options before the command too', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves(execution());
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });

    // Act
    const run = await serinus('--json', '--region', 'us-east-2', 'status', 'checkout', '--profile', 'ops');

    // Assess
    expect(run.code).toBe(0);
    expect(clientOptions).toEqual([{ json: true, region: 'us-east-2', profile: 'ops' }]);
    expect(run.json()).toMatchObject({ service: 'checkout', execution: { arn: EXECUTION_ARN } });
  });

  it('reads the listener itself when the target is a listener default action', async () => {
    // Prepare
    const listenerOnly = { ...DISCOVERY, target: { ...TARGET, traffic: { ...TARGET.traffic, ruleArn: undefined, key: TARGET.traffic.listenerArn } } };
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(listenerOnly) } });
    elbv2.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: LISTENER_ARN, DefaultActions: ruleWith(100, 0).Rules[0].Actions }] });
    dynamodb.on(GetCommand).resolves({});
    sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, name: EXECUTION_NAME, status: 'SUCCEEDED', startDate: STARTED }] });
    sfn.on(DescribeExecutionCommand).resolves(execution({ status: 'SUCCEEDED', stopDate: new Date('2026-12-02T04:45:00Z') }));
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });

    // Act
    const run = await serinus('status', 'checkout', '--json');

    // Assess
    expect(run.code).toBe(0);
    expect(elbv2).toHaveReceivedCommandWith(DescribeListenersCommand, { ListenerArns: [LISTENER_ARN] });
    expect(dynamodb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { targetKey: LISTENER_ARN }, ConsistentRead: true });
    expect(run.json()).toMatchObject({ weights: { stable: 100, canary: 0, others: [] }, execution: { status: 'SUCCEEDED', result: 'promoted' } });
  });
});
