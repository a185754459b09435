import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidOutput,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  MAX_CAUSE_LENGTH,
  MAX_ERROR_LENGTH,
  StepFunctionsCallbacks,
  StepFunctionsExecutions,
  truncate,
} from '../../lambda/adapters/step-functions';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd1NTY2Vb3Z5ZXhhbXBsZXRva2Vu';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:checkout-rollout:release-1-4-2';

const sfn = mockClient(SFNClient);

beforeEach(() => {
  sfn.reset();
});

const endedTaskErrors = [
  ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
  ['InvalidToken', () => new InvalidToken({ message: 'Invalid Token', $metadata: {} })],
  ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
] as const;

describe('StepFunctionsCallbacks.succeed', () => {
  it('sends task success with the output as a JSON string', async () => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).resolves({});

    // Act
    await new StepFunctionsCallbacks().succeed(TOKEN, { stepIndex: 2, verdict: { status: 'healthy' } });

    // Assess
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input).toEqual({
      taskToken: TOKEN,
      output: '{"stepIndex":2,"verdict":{"status":"healthy"}}',
    });
  });

  it.each(endedTaskErrors)('resolves quietly when the task already ended (%s)', async (_name, error) => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).rejects(error());

    // Act
    const succeeding = new StepFunctionsCallbacks().succeed(TOKEN, {});

    // Assess
    await expect(succeeding).resolves.toBeUndefined();
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN, output: '{}' });
  });

  it('lets other errors through', async () => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).rejects(new InvalidOutput({ message: 'Output is too large', $metadata: {} }));

    // Act
    const succeeding = new StepFunctionsCallbacks().succeed(TOKEN, {});

    // Assess
    await expect(succeeding).rejects.toThrow(InvalidOutput);
  });
});

describe('StepFunctionsCallbacks.fail', () => {
  it('sends task failure with the error and cause', async () => {
    // Prepare
    sfn.on(SendTaskFailureCommand).resolves({});

    // Act
    await new StepFunctionsCallbacks().fail(TOKEN, 'CanaryUnhealthy', 'Alarm checkout-5xx went to ALARM at 12:03:10Z.');

    // Assess
    expect(sfn.commandCalls(SendTaskFailureCommand)[0].args[0].input).toEqual({
      taskToken: TOKEN,
      error: 'CanaryUnhealthy',
      cause: 'Alarm checkout-5xx went to ALARM at 12:03:10Z.',
    });
  });

  it('cuts the error and the cause to the lengths Step Functions accepts', async () => {
    // Prepare
    sfn.on(SendTaskFailureCommand).resolves({});

    // Act
    await new StepFunctionsCallbacks().fail(TOKEN, 'E'.repeat(300), 'c'.repeat(40000));

    // Assess
    expect(sfn.commandCalls(SendTaskFailureCommand)[0].args[0].input).toEqual({
      taskToken: TOKEN,
      error: `${'E'.repeat(255)}…`,
      cause: `${'c'.repeat(32767)}…`,
    });
  });

  it.each(endedTaskErrors)('resolves quietly when the task already ended (%s)', async (_name, error) => {
    // Prepare
    sfn.on(SendTaskFailureCommand).rejects(error());

    // Act
    const failing = new StepFunctionsCallbacks().fail(TOKEN, 'CanaryUnhealthy', 'alarm');

    // Assess
    await expect(failing).resolves.toBeUndefined();
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: TOKEN, error: 'CanaryUnhealthy', cause: 'alarm' });
  });

  it('lets other errors through', async () => {
    // Prepare
    sfn.on(SendTaskFailureCommand).rejects(new Error('ThrottlingException'));

    // Act
    const failing = new StepFunctionsCallbacks().fail(TOKEN, 'CanaryUnhealthy', 'alarm');

    // Assess
    await expect(failing).rejects.toThrow('ThrottlingException');
  });
});

describe('StepFunctionsExecutions.status', () => {
  it.each(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const)(
    'returns %s',
    async (status) => {
      // Prepare
      sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, status });

      // Act
      const result = await new StepFunctionsExecutions().status(EXECUTION);

      // Assess
      expect(result).toBe(status);
      expect(sfn.commandCalls(DescribeExecutionCommand)[0].args[0].input).toEqual({ executionArn: EXECUTION });
    },
  );

  it('returns NOT_FOUND for an execution that does not exist', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    // Act
    const result = await new StepFunctionsExecutions().status(EXECUTION);

    // Assess
    expect(result).toBe('NOT_FOUND');
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION });
  });

  it('lets other errors through', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).rejects(new InvalidArn({ message: 'Invalid Arn', $metadata: {} }));

    // Act
    const checking = new StepFunctionsExecutions().status('not-an-arn');

    // Assess
    await expect(checking).rejects.toThrow(InvalidArn);
  });

  it('refuses a status it does not know rather than guess', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION });

    // Act
    const checking = new StepFunctionsExecutions().status(EXECUTION);

    // Assess
    await expect(checking).rejects.toThrow(`Execution ${EXECUTION} reported an unknown status undefined`);
  });
});

describe('truncate', () => {
  it('keeps text within the limit as it is', () => {
    // Act
    const kept = truncate('x'.repeat(MAX_ERROR_LENGTH), MAX_ERROR_LENGTH);

    // Assess
    expect(kept).toBe('x'.repeat(MAX_ERROR_LENGTH));
  });

  it('counts characters, not UTF-16 units, and never splits a surrogate pair', () => {
    // Prepare: 200 emoji are 400 UTF-16 units but 200 characters, within the limit
    const emoji = '🐤'.repeat(200);

    // Act
    const kept = truncate(emoji, MAX_ERROR_LENGTH);
    const cut = truncate('🐤'.repeat(MAX_CAUSE_LENGTH + 1), MAX_CAUSE_LENGTH);

    // Assess
    expect(kept).toBe(emoji);
    expect(Array.from(cut)).toHaveLength(MAX_CAUSE_LENGTH);
    expect(cut.endsWith('🐤…')).toBe(true);
  });
});
