/**
 * Stateful fake of EventBridge Scheduler. Unlike a stub it fires one-time `at(...)` schedules
 * (on a timer compressed by `speed`, at once, or only when the test says), so a bake ends the way
 * it does in AWS: the schedule's universal target sends Step Functions task success. A schedule
 * whose target is a Lambda function is delivered to the `onLambdaTarget` hook. Recurring
 * `rate(...)`/`cron(...)` schedules never fire by themselves: a test fires them (`fireNow`).
 */
import {
  ConflictException,
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
  type UpdateScheduleCommandInput,
  type UpdateScheduleCommandOutput,
  type ScheduleState,
  type Target,
} from '@aws-sdk/client-scheduler';
import { routeTable, serveFromFake, type FakeRoute, type Interception } from './sdk-intercept';
import type { FakeStepFunctions } from './sfn';
import { copyData } from '../copy-data';

/**
 * - `timer`: an `at(...)` schedule fires when its time comes, compressed by `speed`.
 * - `immediate`: it fires as soon as it is created (on the next macrotask), whatever its time.
 * - `manual`: nothing fires until the test calls `fireNow`.
 */
export type SchedulerFiring = 'timer' | 'immediate' | 'manual';

/** Delivers a schedule's Input (parsed JSON) to the Lambda function its target names. */
export type LambdaTargetHook = (functionArn: string, input: unknown) => Promise<void>;

export interface FakeSchedulerOptions {
  /** @default 'timer' */
  readonly firing?: SchedulerFiring;
  /** Account and region of the schedules' ARNs. @default eu-west-1, 123456789012 */
  readonly region?: string;
  readonly accountId?: string;
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
  /** `true` for `rate(...)`/`cron(...)`. */
  readonly recurring: boolean;
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
  readonly modifiedAt: Date;
  fired: boolean;
  timer?: NodeJS.Timeout;
}

interface HeldFiring {
  readonly match: (schedule: ScheduleSummary) => boolean;
  readonly reach: (schedule: ScheduleSummary) => void;
  released: boolean;
  readonly waiting: ScheduleRecord[];
}

const OK = { $metadata: { httpStatusCode: 200 } } as const;
const FAILED = { $metadata: { httpStatusCode: 400 } } as const;
const NAME_PATTERN = /^[0-9a-zA-Z-_.]{1,64}$/;
const AT_PATTERN = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const RATE_PATTERN = /^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$/;
const CRON_PATTERN = /^cron\(\S+( \S+){5}\)$/;
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT']);
const SFN_TARGET = /^arn:aws[a-z-]*:scheduler:::aws-sdk:sfn:(sendTaskSuccess|sendTaskFailure)$/;
const LAMBDA_TARGET = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9-_]+(:[A-Za-z0-9-_$]+)?$/;
const ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$/;
const MAX_TIMER_MS = 2_147_483_647;

export class FakeScheduler {
  readonly deliveries: Delivery[] = [];
  private readonly speed: number;
  private readonly schedules = new Map<string, ScheduleRecord>();
  private readonly groups = new Set<string>(['default']);
  private readonly sfn?: FakeStepFunctions;
  private readonly now: () => Date;
  private readonly firing: SchedulerFiring;
  private readonly arnPrefix: string;
  private lambdaTarget?: LambdaTargetHook;
  private readonly holds: HeldFiring[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(options: FakeSchedulerOptions = {}) {
    this.sfn = options.sfn;
    this.speed = options.speed ?? 1;
    this.now = options.now ?? (() => new Date());
    this.firing = options.firing ?? 'timer';
    this.arnPrefix = `arn:aws:scheduler:${options.region ?? 'eu-west-1'}:${options.accountId ?? '123456789012'}:schedule`;
  }

  /** Serves every SchedulerClient (module-level ones included) from this fake, inside the SDK's middleware stack. */
  install(): Interception {
    return serveFromFake(SchedulerClient, this.route());
  }

  /** The fake's answers by command, for a harness that serves the client itself (`installAwsFakes`). */
  route(): FakeRoute {
    return routeTable('FakeScheduler', {
      CreateScheduleCommand: (input: CreateScheduleCommandInput) => this.createSchedule(input),
      DeleteScheduleCommand: (input: DeleteScheduleCommandInput) => this.deleteSchedule(input),
      GetScheduleCommand: (input: GetScheduleCommandInput) => this.getSchedule(input),
      UpdateScheduleCommand: (input: UpdateScheduleCommandInput) => this.updateSchedule(input),
    });
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

  /** Where schedules whose target is a Lambda function ARN are delivered (the engine maps ARNs to handlers). */
  onLambdaTarget(hook: LambdaTargetHook): void {
    this.lambdaTarget = hook;
  }

  /**
   * Fires the schedule now, whatever its time (one occurrence of a recurring one, which stays).
   * Rejects when the target invocation fails.
   */
  async fireNow(name: string, groupName = 'default'): Promise<void> {
    const schedule = this.schedules.get(key(groupName, name));
    if (!schedule) throw new Error(`No schedule ${groupName}/${name}`);
    const delivery = await this.fire(schedule);
    if (delivery.error) throw delivery.error;
  }

  /**
   * Keeps matching `at(...)` schedules from firing by themselves until `release()` (then a due one
   * fires). `reached` resolves with the first matching schedule created. `fireNow` is not held.
   */
  hold(match: (schedule: ScheduleSummary) => boolean = () => true): { reached: Promise<ScheduleSummary>; release(): void } {
    let reach!: (schedule: ScheduleSummary) => void;
    const reached = new Promise<ScheduleSummary>((resolve) => (reach = resolve));
    const hold: HeldFiring = { match, reach, released: false, waiting: [] };
    this.holds.push(hold);
    return {
      reached,
      release: () => {
        hold.released = true;
        this.holds.splice(this.holds.indexOf(hold), 1);
        for (const schedule of hold.waiting) {
          if (this.schedules.get(key(schedule.groupName, schedule.name)) === schedule && !schedule.fired) this.arm(schedule, this.now());
        }
      },
    };
  }

  /** Whether a delivery is under way. */
  busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Resolves once every delivery under way has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
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
      arn: `${this.arnPrefix}/${groupName}/${input.Name}`,
      expression: input.ScheduleExpression!,
      timezone,
      at,
      target: copyData(input.Target!),
      flexibleTimeWindow: copyData(input.FlexibleTimeWindow!),
      actionAfterCompletion: input.ActionAfterCompletion ?? 'NONE',
      state: input.State ?? 'ENABLED',
      description: input.Description,
      createdAt,
      modifiedAt: createdAt,
      fired: false,
    };
    this.schedules.set(key(groupName, schedule.name), schedule);
    this.arm(schedule, now);
    return { ...OK, ScheduleArn: schedule.arn };
  }

  /**
   * API_UpdateSchedule: the request replaces the whole schedule ("uses all values, including empty
   * values, … and overrides the existing schedule"): an optional field left out takes its default.
   * Same validation as CreateSchedule; a missing schedule is ResourceNotFoundException.
   */
  updateSchedule(input: UpdateScheduleCommandInput): UpdateScheduleCommandOutput {
    const groupName = input.GroupName ?? 'default';
    const problems = validateCreate(input, groupName);
    if (problems.length > 0) throw validation(problems.join('; '));
    const existing = this.existing(input.Name, groupName);
    const timezone = input.ScheduleExpressionTimezone ?? 'UTC';
    const at = parseAt(input.ScheduleExpression!);
    if (at && !UTC_ZONES.has(timezone)) throw new Error(`FakeScheduler only evaluates at(...) in UTC, not ${timezone}`);
    const now = this.now();
    if (at && at.getTime() < Math.floor(now.getTime() / 1000) * 1000) {
      throw validation(`The schedule expression ${input.ScheduleExpression} is in the past.`);
    }
    clearTimeout(existing.timer);
    const schedule: ScheduleRecord = {
      name: existing.name,
      groupName,
      arn: existing.arn,
      expression: input.ScheduleExpression!,
      timezone,
      at,
      target: copyData(input.Target!),
      flexibleTimeWindow: copyData(input.FlexibleTimeWindow!),
      actionAfterCompletion: input.ActionAfterCompletion ?? 'NONE',
      state: input.State ?? 'ENABLED',
      description: input.Description,
      createdAt: existing.createdAt,
      modifiedAt: new Date(now),
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
    if (!input.Name || !NAME_PATTERN.test(input.Name)) throw validation(`Name '${input.Name}' must match [0-9a-zA-Z-_.]{1,64}`);
    const schedule = this.existing(input.Name, input.GroupName);
    return {
      ...OK,
      Arn: schedule.arn,
      Name: schedule.name,
      GroupName: schedule.groupName,
      ScheduleExpression: schedule.expression,
      ScheduleExpressionTimezone: schedule.timezone,
      State: schedule.state,
      Target: copyData(schedule.target),
      FlexibleTimeWindow: copyData(schedule.flexibleTimeWindow),
      ActionAfterCompletion: schedule.actionAfterCompletion,
      CreationDate: new Date(schedule.createdAt),
      LastModificationDate: new Date(schedule.modifiedAt),
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
    if (!schedule.at || schedule.state !== 'ENABLED' || this.firing === 'manual') return;
    const hold = this.holds.find((h) => !h.released && h.match(summary(schedule)));
    if (hold) {
      hold.waiting.push(schedule);
      hold.reach(summary(schedule));
      return;
    }
    const delayMs = this.firing === 'immediate' ? 0 : Math.max(0, schedule.at.getTime() - now.getTime()) / this.speed;
    if (delayMs > MAX_TIMER_MS) return;
    schedule.timer = setTimeout(() => {
      const delivery = this.fire(schedule);
      this.inFlight.add(delivery);
      void delivery.finally(() => this.inFlight.delete(delivery));
    }, delayMs);
    // A forgotten fake must not keep a test process alive.
    schedule.timer.unref();
  }

  private async fire(schedule: ScheduleRecord): Promise<Delivery> {
    clearTimeout(schedule.timer);
    schedule.timer = undefined;
    const recurring = !schedule.at;
    if (!recurring) schedule.fired = true;
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
    if (!recurring && schedule.actionAfterCompletion === 'DELETE' && this.schedules.get(key(schedule.groupName, schedule.name)) === schedule) {
      this.schedules.delete(key(schedule.groupName, schedule.name));
    }
    return delivery;
  }

  private async invoke(target: Target): Promise<void> {
    if (LAMBDA_TARGET.test(target.Arn ?? '')) {
      if (!this.lambdaTarget) throw new Error(`FakeScheduler has no Lambda target hook to invoke ${target.Arn}`);
      // Scheduler passes the Input as the function's event (JSON text parsed by the Lambda runtime).
      await this.lambdaTarget(target.Arn!, target.Input === undefined ? {} : JSON.parse(target.Input));
      return;
    }
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
    target: copyData(schedule.target),
    actionAfterCompletion: schedule.actionAfterCompletion,
    recurring: !schedule.at,
  };
}

function validateCreate(input: CreateScheduleCommandInput | UpdateScheduleCommandInput, groupName: string): string[] {
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
  else if (!ARN.test(input.Target.Arn)) problems.push(`Target.Arn '${input.Target.Arn}' is not a valid ARN`);
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
