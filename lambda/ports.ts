/**
 * What the rollout needs from the outside world. Adapters in `adapters/` implement these for AWS
 * and Kubernetes; use-cases and handlers only see the ports.
 */
import type {
  AlarmState,
  AlarmTransition,
  DeploymentRef,
  DeploymentSnapshot,
  RolloutRecord,
  RolloutStatus,
  SweepRequest,
  TrafficTarget,
  Weights,
} from './domain/types';
import type { RolloutEvent } from './domain/rollout-events';

export interface WriteWeightsResult {
  /** The weights that were live just before the write. */
  readonly previous: Weights;
  /** The weights read back after the write (the live ones when nothing was written). */
  readonly applied: Weights;
  /** Whether a Modify call was sent. */
  readonly wrote: boolean;
}

/** One read of the forward action, for a caller that needs more than the weights. */
export interface TrafficReading {
  readonly weights: Weights;
  /** Whether the canary target group is in the forward action (at any weight). */
  readonly canaryAttached: boolean;
}

/**
 * Throws RecordMismatchError when this execution no longer owns the record (ended, released, taken
 * over, generation moved). Awaited immediately before every mutating call of a workflow handler.
 */
export type Fence = () => Promise<void>;

export interface WriteWeightsOptions {
  /** When set, the live weights must equal these (raw) before the write. */
  readonly expected?: Weights;
  /** Awaited immediately before every ModifyListener/ModifyRule sent, an internal retry's too. */
  readonly fence?: Fence;
  /**
   * Decides from the live weights of the read the write is built on (so no separate read is
   * needed): the weights to write, or undefined to write nothing. Runs before the drift check, and
   * again when a throttled attempt is repeated; it may throw (the pre-shift alarm gate).
   * @default - write the given weights
   */
  readonly decide?: (live: Weights) => Promise<Weights | undefined>;
}

export interface RestoreResult {
  /** Whether a Modify call was sent. */
  readonly wrote: boolean;
  /** The listener or rule is gone, or has no forward action: there is no traffic to steer. */
  readonly nothingToSteer: boolean;
  /** What was found besides stable and canary, in sentences a person can act on. */
  readonly findings: string[];
}

/** Steers traffic between the stable and the canary target group. */
export interface TrafficRouter {
  /**
   * The live raw weights of the forward action.
   * @throws ValidationFailedError when the target has no forward action, or the action holds a
   *   target group other than stable and canary, or lacks the stable one, or the target is a
   *   listener's default rule.
   */
  readWeights(target: TrafficTarget): Promise<Weights>;
  /** `readWeights`, and whether the canary target group is attached, from the same read. */
  readTraffic(target: TrafficTarget): Promise<TrafficReading>;
  /**
   * Writes the weights into the forward action, keeping every other action, its Order and the
   * stickiness config, then reads the action back until it shows the written weights.
   * @throws DriftDetectedError when `options.expected` does not hold (nothing is written).
   * @throws WeightNotAppliedError when the read-back never shows the written weights.
   * @throws RecordMismatchError from `options.fence` (nothing is written).
   */
  writeWeights(target: TrafficTarget, weights: Weights, options?: WriteWeightsOptions): Promise<WriteWeightsResult>;
  /**
   * Puts the canary target group into the forward action at weight 0 when it is missing: the load
   * balancer health-checks only target groups an action references.
   * @returns whether it wrote.
   */
  attachCanary(target: TrafficTarget, fence?: Fence): Promise<boolean>;
  /**
   * Never refuses: whatever the forward action holds (a third target group, the stable one missing
   * or replaced, both weights 0, a single target group), it ends with the canary at 0 and the stable
   * target group carrying the traffic; other target groups go to 0 and are named in `findings`.
   * The rule or listener gone → `nothingToSteer`.
   */
  restoreStable(target: TrafficTarget, fence?: Fence): Promise<RestoreResult>;
  /** How many targets of the target group are `healthy`. */
  healthyTargets(targetGroupArn: string): Promise<number>;
}

/** CloudWatch alarms that judge the canary. */
export interface HealthSignals {
  /**
   * The current state of every named alarm (metric or composite).
   * @throws ValidationFailedError naming every alarm that does not exist.
   */
  alarmStates(alarmNames: string[]): Promise<AlarmState[]>;
  /** Every state change of the named alarms at or after `since`, oldest first. */
  alarmHistory(alarmNames: string[], since: Date): Promise<AlarmTransition[]>;
}

/** Deployments in the EKS cluster. */
export interface Workloads {
  /** The images of every container, and `spec.replicas`. */
  snapshot(ref: DeploymentRef): Promise<DeploymentSnapshot>;
  /** Sets the image of each named container; other containers are untouched. */
  setImages(ref: DeploymentRef, images: Record<string, string>): Promise<void>;
  scale(ref: DeploymentRef, replicas: number): Promise<void>;
  rolloutStatus(ref: DeploymentRef): Promise<RolloutStatus>;
}

/** The DynamoDB item that locks a traffic target and records the rollout. */
export interface RolloutStore {
  /**
   * Takes the lock with a conditional write. Succeeds when the target is free, already held by
   * the same execution (a retry), or held by a lock whose `expiresAt` has passed (stale).
   * @throws LockHeldError naming the execution that holds it.
   */
  acquire(record: RolloutRecord, now: Date): Promise<void>;
  get(targetKey: string): Promise<RolloutRecord | undefined>;
  /**
   * Sets the given fields and removes the `remove` fields, only while `executionArn` holds the lock
   * and the record is not ended (unless `options.allowEnded`, for the rollback paths).
   * @returns the record after the update.
   * @throws RecordMismatchError when the lock is gone, held by another execution, or ended.
   */
  update(
    targetKey: string,
    executionArn: string,
    set: Partial<Omit<RolloutRecord, 'targetKey' | 'executionArn' | 'generation'>>,
    remove?: Array<keyof RolloutRecord>,
    options?: { readonly allowEnded?: boolean },
  ): Promise<RolloutRecord>;
  /**
   * The fence check: a conditional write that succeeds only while `executionArn` holds the record
   * at `generation` and it is not ended; it bumps the generation.
   * @returns the new generation.
   * @throws RecordMismatchError otherwise.
   */
  fence(targetKey: string, executionArn: string, generation: number): Promise<number>;
  /**
   * Marks the record ended (endedAt, phase `ended`, generation + 1, expiresAt = `until`) only if
   * `executionArn` holds it. A new Lock can take the target over once `until` has passed.
   * @returns the ended record, or undefined when the execution does not hold it.
   */
  end(targetKey: string, executionArn: string, until: Date, why: string): Promise<RolloutRecord | undefined>;
  /** Deletes the record if `executionArn` holds it. @returns whether it did. */
  release(targetKey: string, executionArn: string): Promise<boolean>;
  /** The record held by an execution, if any. */
  findByExecution(executionArn: string): Promise<RolloutRecord | undefined>;
  /** Every record (held lock) in the table. */
  list(): Promise<RolloutRecord[]>;
}

/** EventBridge Scheduler schedules: bake ends, and the sweeps that guard a held target. */
export interface BakeTimer {
  /**
   * Creates a schedule named `name` that fires at `at` and sends task success with `taskToken`.
   * An existing one of that name is kept when it carries the same token, else updated to this one.
   */
  schedule(name: string, at: Date, taskToken: string, output: Record<string, unknown>): Promise<void>;
  /**
   * Creates a schedule that invokes the sweeper with `request`: every 5 minutes for `safety`, once
   * at `at` for `reassert`. An existing one of that name is kept.
   */
  scheduleSweep(name: string, request: SweepRequest, at?: Date): Promise<void>;
  /** Deletes the schedule; a missing one is not an error. */
  cancel(name: string): Promise<void>;
}

/** Step Functions task-token callbacks. */
export interface TaskCallbacks {
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  /** A token that already ended (TaskTimedOut, InvalidToken) is not an error. */
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE' | 'NOT_FOUND';

/** Step Functions executions. */
export interface Executions {
  status(executionArn: string): Promise<ExecutionStatus>;
}

/** SSM parameters that hold the image a release train rolls out. */
export interface ImageParameters {
  /**
   * The parameter's value and version.
   * @throws ValidationFailedError when the parameter does not exist or is not a String parameter.
   */
  read(name: string): Promise<{ readonly name: string; readonly value: string; readonly version: number }>;
}

/** Tells the world what a rollout did (EventBridge). */
export interface RolloutEvents {
  /** @throws when the event was not accepted; callers log it and go on. */
  publish(event: RolloutEvent): Promise<void>;
}

/** Messages for people (the approval topic). */
export interface Notifier {
  notify(topicArn: string, subject: string, message: string): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
