/**
 * What a sandbox run produces: the `--json` summary and the series the HTML report draws. Times
 * are milliseconds since the run started (real, compressed time).
 */

export type Scenario = 'healthy' | 'faulty' | 'slow' | 'abort' | 'approval' | 'smoke';
export type RolloutResult = 'promoted' | 'rolled_back' | 'aborted';
export type Version = 'v1' | 'v2';

export interface SandboxSummary {
  readonly scenario: Scenario;
  /** What steered the traffic (`--routing`). */
  readonly routing: string;
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
  /** The users' requests (those without the tester header). */
  readonly requests: {
    readonly total: number;
    readonly byVersion: Record<Version, number>;
    /** Responses with status ≥ 500. */
    readonly errors: number;
    /** Requests the proxy could not answer from v1 or v2 (must be 0). */
    readonly dropped: number;
  };
  /** The requests that carried the tester header; absent when the run sent none. */
  readonly tester?: TesterSummary;
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

/** What the tester's requests met: the canary while the tester route was open, the weights otherwise. */
export interface TesterSummary {
  /** `x-canary: always` */
  readonly header: string;
  /** Whether serinus opened a tester route for it (false: the router has none, so the header went by the weights). */
  readonly routed: boolean;
  readonly total: number;
  readonly byVersion: Record<Version, number>;
  /** Tester requests no version answered (a tester route to a canary whose pods are not ready yet). */
  readonly unanswered: number;
  /** Tester requests the proxy sent to the canary while the steered split gave it 0%: only a tester route does that. */
  readonly canaryAtWeightZero: number;
}

/**
 * A run of requests one route of the data plane took while its split stayed the same: what the
 * proxy did against what the data plane held.
 */
export interface RoutedInterval {
  /** When the first of them arrived (ms since the start). */
  readonly at: number;
  /** `rule 10`, `default action`, `route primary`, `route serinus-tester-primary`, `ready pods`. */
  readonly route: string;
  /** The route's split: raw weights, or ready pods for the replica ratio. */
  readonly split: { readonly stable: number; readonly canary: number };
  /** Requests the proxy sent to each side meanwhile. */
  readonly routed: { stable: number; canary: number };
  /** Of those, how many carried the tester header. */
  tester: number;
}

/** The steered split after a change (the data plane's, in percent). */
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
  /** How the proxy routed, route by route and split by split. */
  readonly routed: readonly RoutedInterval[];
}
