/**
 * Stateful fake of the Step Functions calls serinus makes: task-token callbacks and execution
 * status. The workflow interpreter used in tests has no real callbacks, so the flow harness
 * registers each token here and awaits it; the real adapters (and the fake scheduler) end it.
 */
import {
  ExecutionDoesNotExist,
  InvalidOutput,
  InvalidToken,
  SFNClient,
  TaskTimedOut,
  ValidationException,
  type DescribeExecutionCommandInput,
  type DescribeExecutionCommandOutput,
  type ExecutionStatus,
  type SendTaskFailureCommandInput,
  type SendTaskFailureCommandOutput,
  type SendTaskSuccessCommandInput,
  type SendTaskSuccessCommandOutput,
  type StopExecutionCommandInput,
  type StopExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { routeTable, serveFromFake, type FakeRoute, type Interception } from './sdk-intercept';
import { copyData } from '../copy-data';

export interface FakeStepFunctionsOptions {
  /** The clock behind execution start and stop dates. @default - the system clock */
  readonly now?: () => Date;
}

export type TaskTokenState = 'waiting' | 'succeeded' | 'failed' | 'timed-out';

/** How a task that received SendTaskFailure (or timed out) rejects its `register` promise. */
export class TaskFailedError extends Error {
  constructor(
    readonly error: string | undefined,
    readonly taskCause: string | undefined,
  ) {
    super(taskCause ?? '');
    // Step Functions' Catch matches on the error name, so the harness sees it as `name`.
    this.name = error ?? '';
  }
}

export interface FakeExecution {
  readonly executionArn: string;
  status: ExecutionStatus;
  readonly startDate: Date;
  stopDate?: Date;
  error?: string;
  cause?: string;
}

export interface SfnLogEntry {
  readonly command: string;
  readonly input: unknown;
}

interface TaskRecord {
  state: TaskTokenState;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
}

const OK = { $metadata: { httpStatusCode: 200 } } as const;
const FAILED = { $metadata: { httpStatusCode: 400 } } as const;

export class FakeStepFunctions {
  readonly log: SfnLogEntry[] = [];
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly executions = new Map<string, FakeExecution>();
  private readonly stopListeners = new Set<(execution: FakeExecution) => void>();
  private readonly now: () => Date;

  constructor(options: FakeStepFunctionsOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  /** Serves every SFNClient (module-level ones included) from this fake, inside the SDK's middleware stack. */
  install(): Interception {
    return serveFromFake(SFNClient, this.route());
  }

  /** The fake's answers by command, for a harness that serves the client itself (`installAwsFakes`). */
  route(): FakeRoute {
    return routeTable('FakeStepFunctions', {
      SendTaskSuccessCommand: (input: SendTaskSuccessCommandInput) => this.sendTaskSuccess(input),
      SendTaskFailureCommand: (input: SendTaskFailureCommandInput) => this.sendTaskFailure(input),
      DescribeExecutionCommand: (input: DescribeExecutionCommandInput) => this.describeExecution(input),
      StopExecutionCommand: (input: StopExecutionCommandInput) => this.stopExecution(input),
    });
  }

  // ---- test hooks ---------------------------------------------------------------------------

  /**
   * Starts waiting on a task token. The promise resolves with the parsed `output` of
   * SendTaskSuccess and rejects with a `TaskFailedError` on SendTaskFailure or `expire`.
   */
  register(taskToken: string): Promise<unknown> {
    const existing = this.tasks.get(taskToken);
    if (existing?.state === 'waiting') {
      throw new Error(`Task token ${taskToken} is already waiting`);
    }
    let resolve!: (output: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A harness that stops awaiting (a test that ends early) must not leave an unhandled rejection.
    promise.catch(() => undefined);
    this.tasks.set(taskToken, { state: 'waiting', resolve, reject });
    return promise;
  }

  /** Times the task out, as a task timeout (`TimeoutSeconds`) would. Later callbacks get TaskTimedOut. */
  expire(taskToken: string): void {
    const task = this.waitingTask(taskToken);
    task.state = 'timed-out';
    task.reject(new TaskFailedError('States.Timeout', 'The task timed out'));
  }

  tokenState(taskToken: string): TaskTokenState | undefined {
    return this.tasks.get(taskToken)?.state;
  }

  /** Tokens still waiting for a callback. */
  waitingTokens(): string[] {
    return [...this.tasks].filter(([, task]) => task.state === 'waiting').map(([token]) => token);
  }

  setExecutionStatus(executionArn: string, status: ExecutionStatus, details: { error?: string; cause?: string } = {}): void {
    const existing = this.executions.get(executionArn);
    const execution: FakeExecution = existing ?? { executionArn, status, startDate: this.now() };
    execution.status = status;
    execution.stopDate = status === 'RUNNING' ? undefined : (execution.stopDate ?? this.now());
    execution.error = details.error;
    execution.cause = details.cause;
    this.executions.set(executionArn, execution);
  }

  execution(executionArn: string): FakeExecution | undefined {
    const execution = this.executions.get(executionArn);
    return execution && { ...execution };
  }

  /** Called when StopExecution aborts a running execution (the harness stops its interpreter). */
  onExecutionStopped(listener: (execution: FakeExecution) => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  // ---- commands -----------------------------------------------------------------------------

  sendTaskSuccess(input: SendTaskSuccessCommandInput): SendTaskSuccessCommandOutput {
    this.record('SendTaskSuccess', input);
    const task = this.taskForCallback(input.taskToken);
    const output = parseOutput(input.output);
    task.state = 'succeeded';
    task.resolve(output);
    return { ...OK };
  }

  sendTaskFailure(input: SendTaskFailureCommandInput): SendTaskFailureCommandOutput {
    this.record('SendTaskFailure', input);
    if (input.error !== undefined && input.error.length > 256) {
      throw validation('error: Member must have length less than or equal to 256');
    }
    if (input.cause !== undefined && input.cause.length > 32768) {
      throw validation('cause: Member must have length less than or equal to 32768');
    }
    const task = this.taskForCallback(input.taskToken);
    task.state = 'failed';
    task.reject(new TaskFailedError(input.error, input.cause));
    return { ...OK };
  }

  describeExecution(input: DescribeExecutionCommandInput): DescribeExecutionCommandOutput {
    this.record('DescribeExecution', input);
    const execution = this.existingExecution(input.executionArn);
    const { stateMachineArn, name } = parseExecutionArn(execution.executionArn);
    return {
      ...OK,
      executionArn: execution.executionArn,
      stateMachineArn,
      name,
      status: execution.status,
      startDate: new Date(execution.startDate),
      ...(execution.stopDate && { stopDate: new Date(execution.stopDate) }),
      ...(execution.error !== undefined && { error: execution.error }),
      ...(execution.cause !== undefined && { cause: execution.cause }),
    };
  }

  stopExecution(input: StopExecutionCommandInput): StopExecutionCommandOutput {
    this.record('StopExecution', input);
    const execution = this.existingExecution(input.executionArn);
    if (execution.status === 'RUNNING') {
      execution.status = 'ABORTED';
      execution.stopDate = this.now();
      execution.error = input.error;
      execution.cause = input.cause;
      for (const listener of this.stopListeners) listener({ ...execution });
    }
    return { ...OK, stopDate: new Date(execution.stopDate ?? this.now()) };
  }

  // ---- internals ----------------------------------------------------------------------------

  private record(command: string, input: unknown): void {
    this.log.push({ command, input: copyData(input) });
  }

  private waitingTask(taskToken: string): TaskRecord {
    const task = this.tasks.get(taskToken);
    if (!task || task.state !== 'waiting') {
      throw new Error(`Task token ${taskToken} is not waiting (${task?.state ?? 'never registered'})`);
    }
    return task;
  }

  /** Step Functions tells an unknown token apart from one whose task already ended. */
  private taskForCallback(taskToken: string | undefined): TaskRecord {
    if (typeof taskToken !== 'string' || taskToken.length === 0 || taskToken.length > 2048) {
      throw validation('taskToken: Member must have length between 1 and 2048');
    }
    const task = this.tasks.get(taskToken);
    if (!task) {
      throw new InvalidToken({ message: 'Invalid Token', $metadata: FAILED.$metadata });
    }
    if (task.state !== 'waiting') {
      throw new TaskTimedOut({ message: 'Task Timed Out', $metadata: FAILED.$metadata });
    }
    return task;
  }

  private existingExecution(executionArn: string | undefined): FakeExecution {
    const execution = executionArn === undefined ? undefined : this.executions.get(executionArn);
    if (!execution) {
      throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${executionArn}'`, $metadata: FAILED.$metadata });
    }
    return execution;
  }
}

function parseOutput(output: unknown): unknown {
  if (typeof output !== 'string') {
    throw new InvalidOutput({ message: 'Invalid Output: output must be a JSON string', $metadata: FAILED.$metadata });
  }
  try {
    return JSON.parse(output) as unknown;
  } catch {
    throw new InvalidOutput({ message: `Invalid Output: '${output.slice(0, 100)}' is not valid JSON`, $metadata: FAILED.$metadata });
  }
}

function validation(detail: string): ValidationException {
  return new ValidationException({ message: `1 validation error detected: Value at '${detail}`, $metadata: FAILED.$metadata });
}

/** `arn:aws:states:<region>:<account>:execution:<stateMachine>:<name>` */
function parseExecutionArn(executionArn: string): { stateMachineArn: string; name: string } {
  const parts = executionArn.split(':');
  if (parts.length >= 8 && parts[5] === 'execution') {
    return { stateMachineArn: [...parts.slice(0, 5), 'stateMachine', parts[6]].join(':'), name: parts.slice(7).join(':') };
  }
  return { stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:unknown', name: executionArn };
}
