/**
 * The sandbox's stand-in for CloudWatch: it computes the managed canary alarms of the synthesized
 * stack from the proxy's real per-target-group results, over a sliding window of real (compressed)
 * time, and drives the fake alarms through `setState`, which records history and emits the same
 * EventBridge event the deployed engine routes to its on-alarm handler.
 *
 * The window maths are pure functions (table-tested); `AlarmEvaluator` is the glue.
 */
import type { SynthesizedWorkflow } from '../local/synthesized-workflow';

export type AlarmStateName = 'OK' | 'ALARM';

/** One answered request, as the load balancer saw it. */
export interface Observation {
  /** When the response ended (epoch ms). */
  readonly at: number;
  readonly status: number;
  /** Time to the target's full response (ALB's TargetResponseTime). */
  readonly latencyMs: number;
}

/** What a target group served within the window. */
export interface WindowStats {
  /** Requests answered in the window. */
  readonly answered: number;
  /** Requests still waiting for their answer. */
  readonly inFlight: number;
  /** Answered requests with status ≥ 500. */
  readonly errors: number;
  /** Of answered requests; 0 when none were answered. */
  readonly errorRatePercent: number;
  /** Nearest-rank p99 of the latencies; null without any request. */
  readonly p99Ms: number | null;
}

export const EMPTY_STATS: WindowStats = Object.freeze({ answered: 0, inFlight: 0, errors: 0, errorRatePercent: 0, p99Ms: null });

/** Nearest-rank percentile of unsorted values; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * The stats of the requests answered in `(now - windowMs, now]`, plus the requests still in
 * flight. A request in flight counts with the time it has waited so far: its latency will be at
 * least that, so a p99 over these lower bounds that crosses a threshold proves the real one does,
 * and a hanging canary trips the latency alarm without waiting for its responses.
 */
export function windowStats(
  observations: readonly Observation[],
  inFlightSince: readonly number[],
  now: number,
  windowMs: number,
): WindowStats {
  const from = now - windowMs;
  const answered = observations.filter((o) => o.at > from && o.at <= now);
  const errors = answered.filter((o) => o.status >= 500).length;
  const latencies = [...answered.map((o) => o.latencyMs), ...inFlightSince.map((since) => Math.max(0, now - since))];
  return {
    answered: answered.length,
    inFlight: inFlightSince.length,
    errors,
    errorRatePercent: answered.length === 0 ? 0 : (100 * errors) / answered.length,
    p99Ms: percentile(latencies, 99),
  };
}

/** A managed alarm, as far as the sandbox computes it. */
export type AlarmSpec =
  | { readonly kind: 'errorRate'; readonly name: string; readonly thresholdPercent: number; readonly minimumRequests: number }
  | { readonly kind: 'comparedWithStable'; readonly name: string; readonly marginPercent: number; readonly minimumRequests: number }
  | { readonly kind: 'p99Latency'; readonly name: string; readonly thresholdMs: number; readonly minimumRequests: number };

export interface AlarmVerdict {
  readonly state: AlarmStateName;
  /** The value compared with the threshold; null when there was not enough data to compute it. */
  readonly value: number | null;
  /** A CloudWatch-like state reason. */
  readonly reason: string;
}

/**
 * One alarm over the window's stats. Every managed alarm treats missing data as not breaching, and
 * the canary's rate counts only from the minimum request count, as the stack's metric math does.
 */
export function evaluateAlarm(spec: AlarmSpec, canary: WindowStats, stable: WindowStats, windowMs: number): AlarmVerdict {
  const over = `over the last ${(windowMs / 1000).toFixed(1)} s`;
  // A rate counts answered requests; a latency also counts the ones still waiting.
  const tooFew = canary.answered < spec.minimumRequests;
  switch (spec.kind) {
    case 'errorRate': {
      if (tooFew) return notEnough(canary.answered, spec.minimumRequests, over);
      const value = canary.errorRatePercent;
      const breaching = value > spec.thresholdPercent;
      return verdict(breaching, value, `canary 5xx rate ${pct(value)} ${breaching ? '>' : '≤'} ${spec.thresholdPercent}% ${over} (${canary.answered} requests)`);
    }
    case 'comparedWithStable': {
      // The stack's expression: IF(canaryRequests >= min, canaryRate, 0) - FILL(stableRate, 0).
      const canaryRate = tooFew ? 0 : canary.errorRatePercent;
      const value = canaryRate - stable.errorRatePercent;
      const breaching = value > spec.marginPercent;
      return verdict(
        breaching,
        value,
        `canary 5xx rate ${pct(canaryRate)} − stable ${pct(stable.errorRatePercent)} = ${value.toFixed(1)} points ${breaching ? '>' : '≤'} ${spec.marginPercent} ${over}`,
      );
    }
    case 'p99Latency': {
      const requests = canary.answered + canary.inFlight;
      if (requests < spec.minimumRequests || canary.p99Ms === null) return notEnough(requests, spec.minimumRequests, over);
      const value = canary.p99Ms;
      const breaching = value > spec.thresholdMs;
      return verdict(breaching, value, `canary p99 ${Math.round(value)} ms ${breaching ? '>' : '≤'} ${spec.thresholdMs} ms ${over} (${requests} requests)`);
    }
  }
}

function verdict(breaching: boolean, value: number, detail: string): AlarmVerdict {
  return { state: breaching ? 'ALARM' : 'OK', value, reason: `${breaching ? 'Threshold Crossed' : 'Within threshold'}: ${detail}` };
}

function notEnough(requests: number, minimum: number, over: string): AlarmVerdict {
  return { state: 'OK', value: null, reason: `Not enough requests: ${requests} < ${minimum} ${over} (missing data is not breaching)` };
}

function pct(value: number): string {
  return `${value.toFixed(1)}%`;
}

const DEFAULT_MINIMUM_REQUESTS = 20;

/**
 * The managed alarms the synthesized stack defines, with the thresholds of their templates. The
 * minimum request count is read from the error-rate expression (`canaryRequests >= 20`).
 */
export function managedAlarmSpecs(definedAlarms: SynthesizedWorkflow['definedAlarms']): AlarmSpec[] {
  const entries = Object.entries(definedAlarms);
  let minimumRequests = DEFAULT_MINIMUM_REQUESTS;
  for (const [, alarm] of entries) {
    const metrics = (alarm.properties.Metrics ?? []) as Array<{ Expression?: string }>;
    for (const metric of metrics) {
      const match = /canaryRequests\s*>=\s*(\d+)/.exec(metric.Expression ?? '');
      if (match) minimumRequests = Number(match[1]);
    }
  }
  const specs: AlarmSpec[] = [];
  for (const [name, alarm] of entries) {
    const threshold = Number(alarm.properties.Threshold);
    if (!Number.isFinite(threshold)) continue;
    if (name.includes('ComparedWithStable')) {
      specs.push({ kind: 'comparedWithStable', name, marginPercent: threshold, minimumRequests });
    } else if (name.includes('ErrorRate')) {
      specs.push({ kind: 'errorRate', name, thresholdPercent: threshold, minimumRequests });
    } else if (name.includes('P99Latency')) {
      // TargetResponseTime is in seconds.
      specs.push({ kind: 'p99Latency', name, thresholdMs: threshold * 1000, minimumRequests });
    }
  }
  return specs;
}

/** The observations of one target group, kept for one window. */
export class SlidingWindow {
  private observations: Observation[] = [];
  private readonly inFlight = new Map<number, number>();
  private nextId = 0;

  constructor(readonly windowMs: number) {}

  /** A request went out to the target group. @returns its id, for `end` */
  begin(at: number): number {
    const id = ++this.nextId;
    this.inFlight.set(id, at);
    return id;
  }

  /** The request ended; `observation` is undefined when it got no answer from a target. */
  end(id: number, observation?: Observation): void {
    this.inFlight.delete(id);
    if (observation) this.observations.push(observation);
  }

  /** An answer observed on its own, without a matching `begin`. */
  add(observation: Observation): void {
    this.observations.push(observation);
  }

  stats(now: number): WindowStats {
    this.prune(now);
    return windowStats(this.observations, [...this.inFlight.values()], now, this.windowMs);
  }

  private prune(now: number): void {
    const from = now - this.windowMs;
    const first = this.observations.findIndex((o) => o.at > from);
    this.observations = first < 0 ? [] : this.observations.slice(first);
  }
}

export interface AlarmChange {
  readonly name: string;
  readonly from: AlarmStateName;
  readonly to: AlarmStateName;
  readonly reason: string;
  readonly at: number;
}

export interface AlarmEvaluatorOptions {
  readonly specs: readonly AlarmSpec[];
  readonly canary: SlidingWindow;
  readonly stable: SlidingWindow;
  /** Sets the alarm's state where the engine sees it (the fake CloudWatch). */
  readonly setState: (name: string, state: AlarmStateName, reason: string) => Promise<void>;
  /** @default 100 */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/**
 * Evaluates every alarm on a timer and pushes each transition, in order, to `setState`. The
 * evaluator does not wait for a transition to be delivered (delivery runs the on-alarm handler),
 * so evaluation keeps its pace; `stop()` waits for what is still being delivered.
 */
export class AlarmEvaluator {
  private readonly states = new Map<string, AlarmStateName>();
  private readonly listeners = new Set<(change: AlarmChange) => void>();
  private delivery: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;
  readonly errors: unknown[] = [];

  constructor(private readonly options: AlarmEvaluatorOptions) {
    this.now = options.now ?? Date.now;
    for (const spec of options.specs) this.states.set(spec.name, 'OK');
  }

  start(): void {
    this.timer ??= setInterval(() => this.evaluate(), this.options.intervalMs ?? 100);
  }

  state(name: string): AlarmStateName | undefined {
    return this.states.get(name);
  }

  onChange(listener: (change: AlarmChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One evaluation of every alarm; returns the transitions it started. */
  evaluate(): AlarmChange[] {
    const at = this.now();
    const canary = this.options.canary.stats(at);
    const stable = this.options.stable.stats(at);
    const changes: AlarmChange[] = [];
    for (const spec of this.options.specs) {
      const result = evaluateAlarm(spec, canary, stable, this.options.canary.windowMs);
      const from = this.states.get(spec.name) ?? 'OK';
      if (result.state === from) continue;
      this.states.set(spec.name, result.state);
      const change: AlarmChange = { name: spec.name, from, to: result.state, reason: result.reason, at };
      changes.push(change);
      for (const listener of this.listeners) listener(change);
      this.delivery = this.delivery
        .then(() => this.options.setState(spec.name, result.state, result.reason))
        .catch((error: unknown) => {
          this.errors.push(error);
        });
    }
    return changes;
  }

  /** Stops evaluating and waits until every transition has been delivered. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.delivery;
  }
}
