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
  /** Where the router can only approximate the weights (the replica ratio): the split it achieved. */
  readonly achieved?: AchievedSplit;
}

/** The canary's share a router achieved for the weights it was asked to write. */
export interface AchievedSplit {
  /** The canary's share, in percent. */
  readonly canaryPercent: number;
  /** Achieved minus requested share, in percentage points. */
  readonly roundingError: number;
  /** A sentence: `canary 1 of 4 pods (25%, 5 points above the 20% asked)`. */
  readonly description: string;
}

/** One read of the live traffic split, for a caller that needs more than the weights. */
export interface TrafficReading {
  readonly weights: Weights;
  /**
   * Whether the canary side is ready to be given weight without a further write (ALB: the canary
   * target group is in the forward action, so the load balancer health-checks it).
   */
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
  /** Awaited immediately before every mutating call sent, an internal retry's too. */
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
  /** Whether a mutating call was sent. */
  readonly wrote: boolean;
  /** The steered object is gone, or steers nothing: there is no traffic to steer. */
  readonly nothingToSteer: boolean;
  /** What was found besides stable and canary, in sentences a person can act on. */
  readonly findings: string[];
}

/** Which side of a rollout. */
export type Side = 'stable' | 'canary';

/**
 * Steers traffic between the stable and the canary side of one `TrafficTarget`. Speaks in raw
 * weights: read, write, verify. One adapter per router kind (lambda/adapters/routers.ts picks it by
 * `target.kind`); what only some routers can do is optional and discoverable.
 */
export interface TrafficRouter {
  /**
   * The live raw weights.
   * @throws ValidationFailedError when the target cannot be steered as configured (its adapter names
   *   the field or object at fault).
   */
  readWeights(target: TrafficTarget): Promise<Weights>;
  /** `readWeights`, and whether the canary side is attached, from the same read. */
  readTraffic(target: TrafficTarget): Promise<TrafficReading>;
  /**
   * Writes the weights, keeping everything else of the steered object, then verifies (reads back)
   * until the live split shows the written weights.
   * @throws DriftDetectedError when `options.expected` does not hold (nothing is written).
   * @throws WeightNotAppliedError when the read-back never shows the written weights.
   * @throws RecordMismatchError from `options.fence` (nothing is written).
   */
  writeWeights(target: TrafficTarget, weights: Weights, options?: WriteWeightsOptions): Promise<WriteWeightsResult>;
  /**
   * Makes the canary side attached at weight 0 when it is not (`readTraffic().canaryAttached`).
   * @returns whether it wrote.
   */
  attachCanary(target: TrafficTarget, fence?: Fence): Promise<boolean>;
  /**
   * Never refuses: whatever the steered object holds, it ends with the canary at 0 and the stable
   * side carrying the traffic; anything else found is named in `findings`. The object gone →
   * `nothingToSteer`. A tester route, where the router has one, is removed as well.
   */
  restoreStable(target: TrafficTarget, fence?: Fence): Promise<RestoreResult>;
  /**
   * How many healthy targets serve one side, where the router can see them (an ALB target group).
   * @returns undefined when this router has no such view; readiness then rests on the Deployment.
   */
  healthyTargets(target: TrafficTarget, side: Side): Promise<number | undefined>;
  /**
   * Replicas the canary Deployment runs before its first weight is written. A router whose traffic
   * follows ready pods (the replica ratio) answers 0: a canary pod would take traffic at once.
   * @returns undefined for the workload's `canaryReplicas`
   */
  canaryReplicasBeforeTraffic?(target: TrafficTarget): Promise<number | undefined>;
  /** The tester route, for routers that have one (`target.testerHeader`). */
  readonly testerRoute?: TesterRoute;
}

/** Requests with the target's `testerHeader` go to the canary while a rollout runs. */
export interface TesterRoute {
  /** Creates the route, or keeps the one already there. @returns whether it wrote. */
  open(target: TrafficTarget, fence?: Fence): Promise<boolean>;
  /** Removes the route; a missing one is not an error. Never refuses. @returns whether it wrote. */
  close(target: TrafficTarget): Promise<boolean>;
  /** Whether the route exists now. */
  isOpen(target: TrafficTarget): Promise<boolean>;
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
  /**
   * The rollout status and the annotations, from one read; for routers that keep state on a
   * Deployment (the replica ratio).
   * @returns undefined when the Deployment does not exist
   */
  inspect?(ref: DeploymentRef): Promise<DeploymentInspection | undefined>;
  /** Sets the given annotations, leaving the others and every other field alone. */
  annotate?(ref: DeploymentRef, annotations: Record<string, string>): Promise<void>;
}

/** A Deployment as `Workloads.inspect` reads it. */
export interface DeploymentInspection {
  /** `desired` is `spec.replicas`. */
  readonly status: RolloutStatus;
  /** `metadata.annotations` (empty when it has none). */
  readonly annotations: Record<string, string>;
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
