/**
 * What a sandbox run produces: the `--json` summary and the series the HTML report draws. Times
 * are milliseconds since the run started (real, compressed time).
 */

export type Scenario = 'healthy' | 'faulty' | 'slow' | 'abort' | 'approval' | 'smoke';
export type RolloutResult = 'promoted' | 'rolled_back' | 'aborted';
export type Version = 'v1' | 'v2';

export interface SandboxSummary {
  readonly scenario: Scenario;
  readonly result: RolloutResult;
  /** The result this scenario should end with. */
  readonly expected: RolloutResult;
  /** `result === expected` and every invariant held. */
  readonly ok: boolean;
  /** Why the run is (not) ok, a sentence for a person. */
  readonly reason: string;
  readonly finalWeights: { readonly stable: number; readonly canary: number };
  readonly stableImage: string;
  readonly canaryReplicas: number;
  readonly requests: {
    readonly total: number;
    readonly byVersion: Record<Version, number>;
    /** Responses with status ≥ 500. */
    readonly errors: number;
    /** Requests the proxy could not answer from v1 or v2 (must be 0). */
    readonly dropped: number;
  };
  /** From the first alarm event to the weights being back on stable; null when no alarm fired. */
  readonly alarmToRevertMs: number | null;
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  readonly steps: ReadonlyArray<{ readonly weight: number; readonly bakeSeconds: number }>;
  /** Wall-clock length of the run. */
  readonly durationMs: number;
  /** Time compression: simulated seconds per real second. */
  readonly speed: number;
  /** The execution's failure cause, when it failed. */
  readonly cause?: string;
}

/** The listener weights after a change. */
export interface WeightPoint {
  readonly at: number;
  readonly stable: number;
  readonly canary: number;
}

/** One sample of the traffic per target group, taken about once a (real) second. */
export interface TrafficSample {
  readonly at: number;
  readonly stable: { readonly requests: number; readonly errorRatePercent: number; readonly p99Ms: number };
  readonly canary: { readonly requests: number; readonly errorRatePercent: number; readonly p99Ms: number };
}

export type MarkKind = 'step' | 'alarm' | 'revert' | 'promote' | 'approval' | 'abort' | 'end';

/** A moment worth a vertical line on the timeline. */
export interface TimelineMark {
  readonly at: number;
  readonly kind: MarkKind;
  readonly label: string;
}

export interface SandboxRun {
  readonly summary: SandboxSummary;
  /** ISO-8601 start of the run. */
  readonly startedAt: string;
  readonly weights: readonly WeightPoint[];
  readonly traffic: readonly TrafficSample[];
  readonly marks: readonly TimelineMark[];
  /** The versions that served the last requests, oldest first (`v1 v2 v2 v1 …`). */
  readonly lastServed: readonly Version[];
}
