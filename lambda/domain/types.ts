/**
 * The shared vocabulary of a rollout. Pure types: no AWS imports, no I/O.
 */
import type { DeploymentCalendar } from './windows';

/**
 * The raw ELBv2 `Weight` (0–999) of the stable and the canary target group in the forward action.
 * serinus writes `canary = w, stable = 100 - w`, so a plan's weights are raw weights too; an
 * operator's 999/1 stays 999/1 and differs from 100/0 in every decision.
 */
export interface Weights {
  readonly stable: number;
  readonly canary: number;
}

export const STABLE_ONLY: Weights = Object.freeze({ stable: 100, canary: 0 });

/**
 * Where a rollout steers traffic: an ALB listener or rule, an Ingress action, an Istio route, the
 * replica ratio behind a Service. `kind` picks the router adapter at run time
 * (lambda/adapters/routers.ts); every other field is the router's own and only its adapter reads
 * it. Fixed by the construct; an execution cannot change it.
 */
export interface TrafficTarget {
  /** The router that steers it (`alb`, `ingress`, `istio`, `replica-ratio`, …). */
  readonly kind: string;
  /** What the lock is keyed on: one rollout at a time per steered listener, rule, route or Service. */
  readonly key: string;
  /**
   * While a rollout runs, requests carrying this header go to the canary whatever the weights, so
   * people and smoke tests can try the candidate first. Only routers with a tester route accept it.
   * @default - no tester route
   */
  readonly testerHeader?: TesterHeader;
  /** The router's own fields (ARNs, object names), checked by its adapter. */
  readonly [field: string]: unknown;
}

/** An HTTP header, and the value that sends a request to the canary. */
export interface TesterHeader {
  readonly name: string;
  readonly value: string;
}

/**
 * What a sweeper schedule hands the sweeper. `safety` runs every few minutes while a rollout holds
 * the target (a lost status event); `reassert` runs once after cleanup, when no handler of the
 * ended execution can still be running, and reverts again before it releases the target.
 */
export interface SweepRequest {
  readonly kind: 'safety' | 'reassert';
  readonly executionArn: string;
  readonly targetKey: string;
  readonly traffic: TrafficTarget;
}

/** A Deployment in an EKS cluster. */
export interface DeploymentRef {
  readonly clusterName: string;
  readonly namespace: string;
  readonly name: string;
}

/** The Kubernetes side of a service. */
export interface WorkloadTarget {
  readonly clusterName: string;
  readonly namespace: string;
  readonly stableDeployment: string;
  readonly canaryDeployment: string;
  /** Containers whose image a rollout sets. `image` in the input names the first. */
  readonly containers: string[];
  /** Replicas of the canary Deployment while a rollout runs. */
  readonly canaryReplicas: number;
}

/** The values of each option, for the schemas that check them. */
export const APPROVAL_MODES = ['none', 'beforeTraffic', 'beforePromote', 'everyStep'] as const;
export const INSUFFICIENT_DATA_POLICIES = ['healthy', 'unhealthy'] as const;
export const AFTER_PROMOTION = ['scaleCanaryToZero', 'keepCanary'] as const;
export const DRIFT_POLICIES = ['revert', 'adopt'] as const;

export type ApprovalMode = (typeof APPROVAL_MODES)[number];
export type InsufficientDataPolicy = (typeof INSUFFICIENT_DATA_POLICIES)[number];
export type AfterPromotion = (typeof AFTER_PROMOTION)[number];
export type DriftPolicy = (typeof DRIFT_POLICIES)[number];

/** One traffic step as a person writes it. */
export interface StepSpec {
  /** Percent of traffic on the canary, 1–100. */
  readonly weight: number;
  /** How long the step bakes before its health check. */
  readonly bakeSeconds: number;
}

/** Execution-input options that the construct may preset. */
export interface RolloutDefaults {
  /** A preset name (`Canary10Percent5Minutes`, `Linear20PercentEvery2Minutes`, `AllAtOnce`). */
  readonly strategy?: string;
  /** Explicit steps; wins over `strategy` when both are set. */
  readonly steps?: StepSpec[];
  readonly approval?: ApprovalMode;
  readonly insufficientData?: InsufficientDataPolicy;
  readonly afterPromotion?: AfterPromotion;
}

/** Time limits of a rollout, fixed by the construct. */
export interface RolloutTiming {
  /** Pause after a weight write before bake time counts. */
  readonly settleSeconds: number;
  /** How long a Deployment may take to become ready (canary and stable). */
  readonly readyTimeoutSeconds: number;
  /** Interval between readiness polls. */
  readonly pollSeconds: number;
  /** How long an approval gate waits before the rollout rolls back. @default 86400 */
  readonly approvalTimeoutSeconds?: number;
  /** The state machine's timeout; a plan that cannot finish within it is refused. @default 604800 */
  readonly maxRolloutSeconds?: number;
}

/** Everything a rollout acts on. Built by the construct, passed to every state, kept on the record. */
export interface TargetConfig {
  /** The service's name, used in logs, metrics and resource names. */
  readonly service: string;
  readonly traffic: TrafficTarget;
  readonly workload: WorkloadTarget;
  /** CloudWatch alarms (metric or composite) that judge the canary. */
  readonly alarmNames: string[];
  readonly defaults: RolloutDefaults;
  readonly timing: RolloutTiming;
  readonly onDrift: DriftPolicy;
  /** SSM parameters an input's `imageParameter` may name (a release train's); the functions may read only these. */
  readonly imageParameters?: string[];
  /** When weight increases and the promotion may happen (lambda/domain/windows.ts). @default - any time */
  readonly calendar?: DeploymentCalendar;
  /** The EventBridge bus the rollout's events go to. @default 'default' */
  readonly eventBusName?: string;
  /** How a rollback takes the canary's weight away. @default - at once, in one write */
  readonly rollbackPace?: RollbackPace;
}

/**
 * A gradual rollback: the canary's weight walks down to 0 in `steps` equal writes, `intervalSeconds`
 * apart, for a stable side that was scaled down or needs warm-up. An alarm-driven rollback still
 * reverts at once unless `evenOnAlarm`.
 */
export interface RollbackPace {
  readonly steps: number;
  readonly intervalSeconds: number;
  readonly evenOnAlarm: boolean;
}

/** The execution input after parsing and applying defaults. */
export interface RolloutRequest {
  /** container name → image. */
  readonly images: Record<string, string>;
  readonly steps: StepSpec[];
  /** The preset name, or `custom` for explicit steps. */
  readonly strategyName: string;
  readonly approval: ApprovalMode;
  readonly insufficientData: InsufficientDataPolicy;
  readonly afterPromotion: AfterPromotion;
  readonly dryRun: boolean;
  readonly reason?: string;
  /** The SSM parameter the image was read from (the input's `imageParameter`), and its version. */
  readonly imageParameter?: { readonly name: string; readonly version: number };
  /** The execution's own windows and freezes: they only narrow the service's calendar. */
  readonly calendar?: DeploymentCalendar;
}

/** One step of the plan the workflow loops over. */
export interface PlanStep {
  readonly index: number;
  readonly weight: number;
  readonly bakeSeconds: number;
  /** Wait for a person's approval before this step's weight is written. */
  readonly approvalBefore: boolean;
  /** The bake task's timeout: the last guard if no callback ever arrives. */
  readonly timeoutSeconds: number;
}

export interface RolloutPlan {
  readonly steps: PlanStep[];
  readonly approvalBeforePromote: boolean;
  /** Sum of bakes plus worst-case readiness and settle time: bounds the execution. */
  readonly maxDurationSeconds: number;
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmState {
  readonly name: string;
  readonly state: AlarmStateValue;
  readonly reason?: string;
  /** ISO-8601 time of the last state change. */
  readonly updatedAt: string;
}

/** One state change of an alarm, from its history. */
export interface AlarmTransition {
  readonly name: string;
  /** ISO-8601 time of the change. */
  readonly at: string;
  readonly from?: AlarmStateValue;
  readonly to: AlarmStateValue;
  readonly summary?: string;
}

export type HealthStatus = 'healthy' | 'unhealthy' | 'unknown';

export interface HealthVerdict {
  readonly status: HealthStatus;
  /** A sentence a person can act on. */
  readonly reason: string;
  /** The alarms that decided the verdict. */
  readonly alarms: string[];
}

/** Where a rollout stands; the rollback planner reads it. */
export type RolloutPhase =
  | 'locked'
  | 'deploying-canary'
  | 'shifting'
  | 'baking'
  | 'promoting'
  | 'finishing'
  | 'rolling-back'
  /** Cleanup or rollback reverted the rollout; the record fences out late handlers until `expiresAt`. */
  | 'ended';

export interface DeploymentSnapshot {
  /** container name → image. */
  readonly images: Record<string, string>;
  readonly replicas: number;
}

export interface BakeRecord {
  readonly taskToken: string;
  readonly scheduleName: string;
  readonly stepIndex: number;
  /** ISO-8601 time the bake began. */
  readonly startedAt: string;
}

/** An approval gate waiting for a person: `serinus approve <service>` answers it with the token. */
export interface ApprovalRecord {
  /** The Step Functions task token of the waiting gate. */
  readonly token: string;
  readonly gate: 'step' | 'promotion';
  /** For a step gate: the 1-based number of the step about to get traffic. */
  readonly step?: number;
  /** ISO-8601 time the approval was requested. */
  readonly requestedAt: string;
}

/** The DynamoDB item that is both the lock on a traffic target and the rollout's record. */
export interface RolloutRecord {
  /** Partition key: the traffic target (see `targetKey`). */
  readonly targetKey: string;
  readonly executionArn: string;
  readonly service: string;
  readonly phase: RolloutPhase;
  /** ISO-8601 time the lock was taken. */
  readonly startedAt: string;
  /** Epoch seconds after which the lock is stale and may be taken over. */
  readonly expiresAt: number;
  readonly target: TargetConfig;
  readonly request: RolloutRequest;
  readonly startWeights: Weights;
  readonly lastWrittenWeights: Weights;
  readonly previousCanary?: DeploymentSnapshot;
  readonly previousStable?: DeploymentSnapshot;
  readonly bake?: BakeRecord;
  /** The last step index whose health check passed; promotion requires the final one. */
  readonly healthyThroughStep?: number;
  /**
   * Bumped by every fence check and by `end`: a mutating call goes ahead only while the record still
   * carries the generation its handler read, so a handler still running after cleanup writes nothing.
   * 0 at Lock.
   */
  readonly generation: number;
  /** ISO-8601 time cleanup or rollback ended the rollout; an ended record refuses every workflow write. */
  readonly endedAt?: string;
  /** Why it ended. */
  readonly endReason?: string;
  /** ISO-8601 time the current step's weight was written: the step's health window starts there. */
  readonly lastShiftAt?: string;
  /** The EventBridge Scheduler schedule that sweeps this rollout while it holds the target. */
  readonly safetySchedule?: string;
  /** The approval gate waiting now, if any; cleared when the rollout moves on. */
  readonly approval?: ApprovalRecord;
  /** What the rollout waits for before its next weight increase or its promotion, while it waits. */
  readonly waitingFor?: WindowWait;
}

/** A wait for a deployment window (the gate's token is the record's `bake`, so an alarm ends it). */
export interface WindowWait {
  readonly kind: 'deploymentWindow';
  /** `step` before a weight increase (with its index), `promotion` before the promotion. */
  readonly gate: 'step' | 'promotion';
  readonly step?: number;
  /** ISO-8601 time the next window opens. */
  readonly opensAt: string;
  /** Why it is closed now, a sentence. */
  readonly reason: string;
}

/** The state machine's default timeout (seven days), when the construct sets none. */
export const DEFAULT_MAX_ROLLOUT_SECONDS = 7 * 24 * 3600;

/** The lock key of a traffic target, as its router chose it. */
export function targetKey(traffic: TrafficTarget): string {
  return traffic.key;
}

export interface RolloutStatus {
  /** The controller has seen the latest spec and every replica is updated and available. */
  readonly complete: boolean;
  /** The rollout cannot complete (ProgressDeadlineExceeded). */
  readonly failed: boolean;
  /** Why it is not complete, or why it failed: a sentence for a person. */
  readonly message: string;
  readonly desired: number;
  readonly updated: number;
  readonly available: number;
}
