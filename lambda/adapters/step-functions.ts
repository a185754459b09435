import { DescribeExecutionCommand, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionStatus, Executions, TaskCallbacks } from '../ports';
import { clientConfig, withoutSdkLogging } from './client-config';

/** One client for both adapters of this module. */
const defaultClient = withoutSdkLogging(new SFNClient({ ...clientConfig }));

/** SendTaskFailure's limits on `error` and `cause`, in characters. */
export const MAX_ERROR_LENGTH = 256;
export const MAX_CAUSE_LENGTH = 32768;

/**
 * The task already ended (timed out, failed by the alarm rule, succeeded by the schedule, or its
 * execution stopped). A callback that comes second has nothing left to do.
 */
const TASK_ALREADY_ENDED: ReadonlySet<string> = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** Step Functions task-token callbacks. */
export class StepFunctionsCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient = defaultClient) {}

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<void> {
    await ignoreEndedTask(this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })));
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    await ignoreEndedTask(
      this.client.send(
        new SendTaskFailureCommand({
          taskToken,
          error: truncate(error, MAX_ERROR_LENGTH),
          cause: truncate(cause, MAX_CAUSE_LENGTH),
        }),
      ),
    );
  }
}

const KNOWN_STATUSES: ReadonlySet<string> = new Set<ExecutionStatus>([
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
]);

/** Step Functions executions. */
export class StepFunctionsExecutions implements Executions {
  constructor(private readonly client: SFNClient = defaultClient) {}

  async status(executionArn: string): Promise<ExecutionStatus> {
    try {
      const output = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      const status = output.status;
      // An unknown status must not be mistaken for an ended execution by the sweeper.
      if (status === undefined || !KNOWN_STATUSES.has(status)) {
        throw new Error(`Execution ${executionArn} reported an unknown status ${String(status)}`);
      }
      return status as ExecutionStatus;
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return 'NOT_FOUND';
      throw error;
    }
  }
}

async function ignoreEndedTask(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (error instanceof Error && TASK_ALREADY_ENDED.has(error.name)) return;
    throw error;
  }
}

/** Cuts at a code point, not inside a surrogate pair, and marks the cut with an ellipsis. */
export function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const codePoints = Array.from(text);
  if (codePoints.length <= maxLength) return text;
  return codePoints.slice(0, maxLength - 1).join('') + '…';
}
