/**
 * Stateful fake of EventBridge Scheduler. Unlike a stub it fires one-time `at(...)` schedules on a
 * real timer (optionally compressed by `speed`), so a bake ends the way it does in AWS: the
 * schedule's universal target sends Step Functions task success.
 */
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ValidationException,
  type ActionAfterCompletion,
  type CreateScheduleCommandInput,
  type CreateScheduleCommandOutput,
  type DeleteScheduleCommandInput,
  type DeleteScheduleCommandOutput,
  type FlexibleTimeWindow,
  type GetScheduleCommandInput,
  type GetScheduleCommandOutput,
  type ScheduleState,
  type Target,
} from '@aws-sdk/client-scheduler';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { FakeStepFunctions } from './sfn';

export interface FakeSchedulerOptions {
  /** Where `aws-sdk:sfn:*` targets deliver. Without it, firing such a target is a delivery error. */
  readonly sfn?: FakeStepFunctions;
  /** Time compression: a schedule `d` ms away fires after `d / speed` ms. @default 1 */
  readonly speed?: number;
  /** The clock `at(...)` is compared with. @default - the system clock */
  readonly now?: () => Date;
}

export interface ScheduleSummary {
  readonly name: string;
  readonly groupName: string;
  readonly expression: string;
  /** The fire time of an `at(...)` schedule. */
  readonly at?: Date;
  readonly target: Target;
  readonly actionAfterCompletion: ActionAfterCompletion;
}

/** One invocation of a schedule's target. A failed one is what AWS would put on the DLQ. */
export interface Delivery {
  readonly name: string;
  readonly groupName: string;
  readonly targetArn: string;
  readonly firedAt: Date;
  readonly ok: boolean;
  readonly error?: Error;
}

interface ScheduleRecord {
  readonly name: string;
  readonly groupName: string;
  readonly arn: string;
  readonly expression: string;
  readonly timezone: string;
  readonly at?: Date;
  readonly target: Target;
  readonly flexibleTimeWindow: FlexibleTimeWindow;
  readonly actionAfterCompletion: ActionAfterCompletion;
  readonly state: ScheduleState;
  readonly description?: string;
  readonly createdAt: Date;
  fired: boolean;
  timer?: NodeJS.Timeout;
}

const OK = { $metadata: { httpStatusCode: 200 } } as const;
const FAILED = { $metadata: { httpStatusCode: 400 } } as const;
const NAME_PATTERN = /^[0-9a-zA-Z-_.]{1,64}$/;
const AT_PATTERN = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const RATE_PATTERN = /^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$/;
const CRON_PATTERN = /^cron\(\S+( \S+){5}\)$/;
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT']);
const SFN_TARGET = /^arn:aws[a-z-]*:scheduler:::aws-sdk:sfn:(sendTaskSuccess|sendTaskFailure)$/;
const MAX_TIMER_MS = 2_147_483_647;

export class FakeScheduler {
  readonly deliveries: Delivery[] = [];
  private readonly speed: number;
  private readonly schedules = new Map<string, ScheduleRecord>();
  private readonly groups = new Set<string>(['default']);
  private readonly sfn?: FakeStepFunctions;
  private readonly now: () => Date;

  constructor(options: FakeSchedulerOptions = {}) {
    this.sfn = options.sfn;
    this.speed = options.speed ?? 1;
    this.now = options.now ?? (() => new Date());
  }

  /** Stubs every SchedulerClient (module-level ones included) with this fake. */
  install(): AwsClientStub<SchedulerClient> {
    const stub = mockClient(SchedulerClient);
    stub.send.callsFake(async (command: object) => {
      throw new Error(`FakeScheduler does not implement ${command.constructor.name}`);
    });
    stub.on(CreateScheduleCommand).callsFake(async (input: CreateScheduleCommandInput) => this.createSchedule(input));
    stub.on(DeleteScheduleCommand).callsFake(async (input: DeleteScheduleCommandInput) => this.deleteSchedule(input));
    stub.on(GetScheduleCommand).callsFake(async (input: GetScheduleCommandInput) => this.getSchedule(input));
    return stub;
  }

  // ---- test hooks ---------------------------------------------------------------------------

  /** Schedule groups other than `default` must exist before schedules are created in them. */
  addGroup(name: string): void {
    this.groups.add(name);
  }

  /** Schedules that have not fired yet. */
  pending(): ScheduleSummary[] {
    return [...this.schedules.values()].filter((schedule) => !schedule.fired).map(summary);
  }

  /** Fires the schedule now, whatever its time. Rejects when the target invocation fails. */
  async fireNow(name: string, groupName = 'default'): Promise<void> {
    const schedule = this.schedules.get(key(groupName, name));
    if (!schedule) throw new Error(`No schedule ${groupName}/${name}`);
    const delivery = await this.fire(schedule);
    if (delivery.error) throw delivery.error;
  }

  /** Clears every timer; schedules stay, unfired. */
  close(): void {
    for (const schedule of this.schedules.values()) {
      clearTimeout(schedule.timer);
      schedule.timer = undefined;
    }
  }

  // ---- commands -----------------------------------------------------------------------------

  createSchedule(input: CreateScheduleCommandInput): CreateScheduleCommandOutput {
    const groupName = input.GroupName ?? 'default';
    const problems = validateCreate(input, groupName);
    if (problems.length > 0) throw validation(problems.join('; '));
    if (!this.groups.has(groupName)) {
      throw notFound(`Schedule group ${groupName} does not exist.`);
    }
    if (this.schedules.has(key(groupName, input.Name!))) {
      const message = `Schedule ${input.Name} already exists.`;
      throw new ConflictException({ message, Message: message, $metadata: FAILED.$metadata });
    }
    const timezone = input.ScheduleExpressionTimezone ?? 'UTC';
    const at = parseAt(input.ScheduleExpression!);
    if (at && !UTC_ZONES.has(timezone)) {
      throw new Error(`FakeScheduler only evaluates at(...) in UTC, not ${timezone}`);
    }
    const now = this.now();
    // Scheduler requires a future time.
    if (at && at.getTime() < Math.floor(now.getTime() / 1000) * 1000) {
      throw validation(`The schedule expression ${input.ScheduleExpression} is in the past.`);
    }
    const createdAt = new Date(now);
    const schedule: ScheduleRecord = {
      name: input.Name!,
      groupName,
      arn: `arn:aws:scheduler:eu-west-1:123456789012:schedule/${groupName}/${input.Name}`,
      expression: input.ScheduleExpression!,
      timezone,
      at,
      target: structuredClone(input.Target!),
      flexibleTimeWindow: structuredClone(input.FlexibleTimeWindow!),
      actionAfterCompletion: input.ActionAfterCompletion ?? 'NONE',
      state: input.State ?? 'ENABLED',
      description: input.Description,
      createdAt,
      fired: false,
    };
    this.schedules.set(key(groupName, schedule.name), schedule);
    this.arm(schedule, now);
    return { ...OK, ScheduleArn: schedule.arn };
  }

  deleteSchedule(input: DeleteScheduleCommandInput): DeleteScheduleCommandOutput {
    const schedule = this.existing(input.Name, input.GroupName);
    clearTimeout(schedule.timer);
    this.schedules.delete(key(schedule.groupName, schedule.name));
    return { ...OK };
  }

  getSchedule(input: GetScheduleCommandInput): GetScheduleCommandOutput {
    const schedule = this.existing(input.Name, input.GroupName);
    return {
      ...OK,
      Arn: schedule.arn,
      Name: schedule.name,
      GroupName: schedule.groupName,
      ScheduleExpression: schedule.expression,
      ScheduleExpressionTimezone: schedule.timezone,
      State: schedule.state,
      Target: structuredClone(schedule.target),
      FlexibleTimeWindow: structuredClone(schedule.flexibleTimeWindow),
      ActionAfterCompletion: schedule.actionAfterCompletion,
      CreationDate: new Date(schedule.createdAt),
      LastModificationDate: new Date(schedule.createdAt),
      ...(schedule.description !== undefined && { Description: schedule.description }),
    };
  }

  // ---- internals ----------------------------------------------------------------------------

  private existing(name: string | undefined, groupName = 'default'): ScheduleRecord {
    const schedule = name === undefined ? undefined : this.schedules.get(key(groupName, name));
    if (!schedule) {
      throw notFound(`Schedule ${name} does not exist.`);
    }
    return schedule;
  }

  private arm(schedule: ScheduleRecord, now: Date): void {
    if (!schedule.at || schedule.state !== 'ENABLED') return;
    const delayMs = Math.max(0, schedule.at.getTime() - now.getTime()) / this.speed;
    if (delayMs > MAX_TIMER_MS) return;
    schedule.timer = setTimeout(() => void this.fire(schedule), delayMs);
    // A forgotten fake must not keep a test process alive.
    schedule.timer.unref();
  }

  private async fire(schedule: ScheduleRecord): Promise<Delivery> {
    clearTimeout(schedule.timer);
    schedule.timer = undefined;
    schedule.fired = true;
    let delivery: Delivery;
    const base = { name: schedule.name, groupName: schedule.groupName, targetArn: schedule.target.Arn ?? '', firedAt: this.now() };
    try {
      await this.invoke(schedule.target);
      delivery = { ...base, ok: true };
    } catch (error) {
      delivery = { ...base, ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
    this.deliveries.push(delivery);
    // Scheduler deletes a completed one-time schedule whatever the invocation's outcome.
    if (schedule.actionAfterCompletion === 'DELETE' && this.schedules.get(key(schedule.groupName, schedule.name)) === schedule) {
      this.schedules.delete(key(schedule.groupName, schedule.name));
    }
    return delivery;
  }

  private async invoke(target: Target): Promise<void> {
    const match = SFN_TARGET.exec(target.Arn ?? '');
    if (!match) throw new Error(`FakeScheduler cannot invoke target ${target.Arn}`);
    if (!this.sfn) throw new Error('FakeScheduler has no FakeStepFunctions to deliver to');
    // A universal target's Input is the API request in its own (PascalCase) member names.
    const request = JSON.parse(target.Input ?? '{}') as Record<string, unknown>;
    if (match[1] === 'sendTaskSuccess') {
      this.sfn.sendTaskSuccess({ taskToken: request.TaskToken as string, output: request.Output as string });
    } else {
      this.sfn.sendTaskFailure({
        taskToken: request.TaskToken as string,
        error: request.Error as string | undefined,
        cause: request.Cause as string | undefined,
      });
    }
  }
}

function key(groupName: string, name: string): string {
  return `${groupName}/${name}`;
}

function summary(schedule: ScheduleRecord): ScheduleSummary {
  return {
    name: schedule.name,
    groupName: schedule.groupName,
    expression: schedule.expression,
    ...(schedule.at && { at: new Date(schedule.at) }),
    target: structuredClone(schedule.target),
    actionAfterCompletion: schedule.actionAfterCompletion,
  };
}

function validateCreate(input: CreateScheduleCommandInput, groupName: string): string[] {
  const problems: string[] = [];
  if (!input.Name || !NAME_PATTERN.test(input.Name)) problems.push(`Name '${input.Name}' must match [0-9a-zA-Z-_.]{1,64}`);
  if (!NAME_PATTERN.test(groupName)) problems.push(`GroupName '${groupName}' must match [0-9a-zA-Z-_.]{1,64}`);
  const expression = input.ScheduleExpression ?? '';
  if (!AT_PATTERN.test(expression) && !RATE_PATTERN.test(expression) && !CRON_PATTERN.test(expression)) {
    problems.push(`Invalid Schedule Expression ${expression}`);
  } else if (AT_PATTERN.test(expression) && !parseAt(expression)) {
    problems.push(`Invalid Schedule Expression ${expression}`);
  }
  const window = input.FlexibleTimeWindow;
  if (!window || (window.Mode !== 'OFF' && window.Mode !== 'FLEXIBLE')) {
    problems.push('FlexibleTimeWindow.Mode must be OFF or FLEXIBLE');
  } else if (window.Mode === 'FLEXIBLE' && !window.MaximumWindowInMinutes) {
    problems.push('FlexibleTimeWindow.MaximumWindowInMinutes is required when Mode is FLEXIBLE');
  }
  if (!input.Target?.Arn) problems.push('Target.Arn is required');
  if (!input.Target?.RoleArn) problems.push('Target.RoleArn is required');
  if (input.ActionAfterCompletion !== undefined && input.ActionAfterCompletion !== 'NONE' && input.ActionAfterCompletion !== 'DELETE') {
    problems.push(`ActionAfterCompletion must be NONE or DELETE`);
  }
  return problems;
}

/** `at(yyyy-mm-ddThh:mm:ss)` as a UTC instant, or undefined when it is not a valid one. */
function parseAt(expression: string): Date | undefined {
  const match = AT_PATTERN.exec(expression);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const roundTrips =
    at.getUTCFullYear() === year &&
    at.getUTCMonth() === month - 1 &&
    at.getUTCDate() === day &&
    at.getUTCHours() === hour &&
    at.getUTCMinutes() === minute &&
    at.getUTCSeconds() === second;
  return roundTrips ? at : undefined;
}

function validation(message: string): ValidationException {
  return new ValidationException({ message, Message: message, $metadata: FAILED.$metadata });
}

function notFound(message: string): ResourceNotFoundException {
  return new ResourceNotFoundException({ message, Message: message, $metadata: FAILED.$metadata });
}
