import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  InvalidOutput,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { Interception } from '../../local/fakes/sdk-intercept';
import { FakeStepFunctions, TaskFailedError, type FakeExecution } from '../../local/fakes/sfn';

const client = new SFNClient({ region: 'eu-west-1' });
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:serinus-checkout:release-1-4-2';
const STARTED = new Date('2025-03-01T10:00:00.000Z');

describe('FakeStepFunctions', () => {
  let fake: FakeStepFunctions;
  let stub: Interception;
  let clock: Date;

  beforeEach(() => {
    clock = STARTED;
    fake = new FakeStepFunctions({ now: () => clock });
    stub = fake.install();
  });

  afterEach(() => stub.restore());

  describe('task tokens', () => {
    it('resolves the registered task with the parsed output, then treats the token as ended', async () => {
      // Prepare
      const task = fake.register('token-1');

      // Act
      await client.send(new SendTaskSuccessCommand({ taskToken: 'token-1', output: '{"healthy":true}' }));

      // Assess
      await expect(task).resolves.toEqual({ healthy: true });
      expect(fake.tokenState('token-1')).toBe('succeeded');
      await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'token-1', output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
      await expect(client.send(new SendTaskFailureCommand({ taskToken: 'token-1', error: 'X' }))).rejects.toBeInstanceOf(TaskTimedOut);
    });

    it('rejects the registered task with the error as name and the cause as message', async () => {
      // Prepare
      const task = fake.register('token-2');

      // Act
      await client.send(new SendTaskFailureCommand({ taskToken: 'token-2', error: 'CanaryUnhealthy', cause: 'checkout-5xx is in ALARM' }));

      // Assess
      const error = await task.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskFailedError);
      expect(error).toMatchObject({ name: 'CanaryUnhealthy', message: 'checkout-5xx is in ALARM' });
      expect(fake.waitingTokens()).toEqual([]);
    });

    it('answers an unknown token with InvalidToken', async () => {
      // Act & Assess
      await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'never-issued', output: '{}' }))).rejects.toBeInstanceOf(InvalidToken);
    });

    it('expires a task like a task timeout', async () => {
      // Prepare
      const task = fake.register('token-3');

      // Act
      fake.expire('token-3');

      // Assess
      await expect(task).rejects.toMatchObject({ name: 'States.Timeout' });
      await expect(client.send(new SendTaskFailureCommand({ taskToken: 'token-3', error: 'Late' }))).rejects.toBeInstanceOf(TaskTimedOut);
    });

    it('rejects output that is not JSON and leaves the task waiting', async () => {
      // Prepare
      fake.register('token-4').catch(() => undefined);

      // Act
      const send = client.send(new SendTaskSuccessCommand({ taskToken: 'token-4', output: 'not json' }));

      // Assess
      await expect(send).rejects.toBeInstanceOf(InvalidOutput);
      expect(fake.tokenState('token-4')).toBe('waiting');
    });
  });

  describe('executions', () => {
    it('describes an execution from the status the test set, and ExecutionDoesNotExist otherwise', async () => {
      // Prepare
      fake.setExecutionStatus(EXECUTION, 'RUNNING');

      // Act
      const described = await client.send(new DescribeExecutionCommand({ executionArn: EXECUTION }));

      // Assess
      expect(described).toMatchObject({
        executionArn: EXECUTION,
        stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:serinus-checkout',
        name: 'release-1-4-2',
        status: 'RUNNING',
        startDate: STARTED,
      });
      expect(described.stopDate).toBeUndefined();
      await expect(client.send(new DescribeExecutionCommand({ executionArn: `${EXECUTION}-x` }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    });

    it('aborts a running execution on StopExecution and tells the listeners', async () => {
      // Prepare
      fake.setExecutionStatus(EXECUTION, 'RUNNING');
      const stopped: FakeExecution[] = [];
      fake.onExecutionStopped((execution) => stopped.push(execution));
      clock = new Date('2025-03-01T10:02:00.000Z');

      // Act
      const result = await client.send(new StopExecutionCommand({ executionArn: EXECUTION, cause: 'operator abort' }));

      // Assess
      expect(result.stopDate).toEqual(clock);
      expect(stopped).toEqual([
        { executionArn: EXECUTION, status: 'ABORTED', startDate: STARTED, stopDate: clock, error: undefined, cause: 'operator abort' },
      ]);
      expect(fake.execution(EXECUTION)?.status).toBe('ABORTED');
      expect(fake.log.map((entry) => entry.command)).toEqual(['StopExecution']);
    });
  });
});
