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
  TrafficTarget,
  Weights,
} from './domain/types';

export interface WriteWeightsResult {
  /** The weights that were live just before the write. */
  readonly previous: Weights;
  /** The weights read back after the write. */
  readonly applied: Weights;
}

/** Steers traffic between the stable and the canary target group. */
export interface TrafficRouter {
  /**
   * The live weights of the forward action.
   * @throws ValidationFailedError when the target has no forward action, or the action holds a
   *   target group other than stable and canary, or lacks one of them.
   */
  readWeights(target: TrafficTarget): Promise<Weights>;
  /**
   * Writes the weights into the forward action, keeping every other action, its Order and the
   * stickiness config, then reads the action back until it shows the written weights.
   * @param guard when set, the live weights must equal `guard.expected` before the write.
   * @throws DriftDetectedError when the guard does not hold (nothing is written).
   * @throws WeightNotAppliedError when the read-back never shows the written weights.
   */
  writeWeights(target: TrafficTarget, weights: Weights, guard?: { expected: Weights }): Promise<WriteWeightsResult>;
  /**
   * Puts the canary target group into the forward action at weight 0 when it is missing: the load
   * balancer health-checks only target groups an action references.
   * @returns whether it wrote.
   */
  attachCanary(target: TrafficTarget): Promise<boolean>;
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
   * Sets the given fields and removes the `remove` fields, only while `executionArn` holds the lock.
   * @returns the record after the update.
   * @throws RecordMismatchError when the lock is gone or held by another execution.
   */
  update(
    targetKey: string,
    executionArn: string,
    set: Partial<Omit<RolloutRecord, 'targetKey' | 'executionArn'>>,
    remove?: Array<keyof RolloutRecord>,
  ): Promise<RolloutRecord>;
  /** Deletes the record if `executionArn` holds it. @returns whether it did. */
  release(targetKey: string, executionArn: string): Promise<boolean>;
  /** The record held by an execution, if any. */
  findByExecution(executionArn: string): Promise<RolloutRecord | undefined>;
  /** Every record (held lock) in the table. */
  list(): Promise<RolloutRecord[]>;
}

/** Ends a bake: a one-time schedule that sends Step Functions task success. */
export interface BakeTimer {
  /** Creates a schedule named `name` that fires at `at`; an existing one of that name is kept. */
  schedule(name: string, at: Date, taskToken: string, output: Record<string, unknown>): Promise<void>;
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

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
