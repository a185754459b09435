/**
 * The bench's figures: how they print (a table, or one JSON object per line) and the cost
 * arithmetic. Pure, so a unit test checks both without running anything.
 */

export interface Metric {
  readonly metric: string;
  readonly value: number | string;
  readonly unit: string;
  /** What the figure is, or how it was measured: printed in the table only. */
  readonly note?: string;
}

/** One JSON object per line: `{"metric","value","unit"}`. */
export function toJsonLines(metrics: readonly Metric[]): string {
  return metrics.map(({ metric, value, unit }) => JSON.stringify({ metric, value, unit })).join('\n');
}

/** A fixed-width table a person reads. */
export function toTable(metrics: readonly Metric[]): string {
  const rows = metrics.map((m) => [m.metric, formatValue(m.value), m.unit, m.note ?? '']);
  const widths = [0, 1, 2].map((col) => Math.max(...rows.map((r) => r[col]!.length), ['metric', 'value', 'unit'][col]!.length));
  const line = (r: string[]) =>
    [r[0]!.padEnd(widths[0]!), r[1]!.padStart(widths[1]!), r[2]!.padEnd(widths[2]!), r[3]!].join('  ').trimEnd();
  return [line(['metric', 'value', 'unit', 'note']), line(widths.map((w) => '-'.repeat(w)).concat('')), ...rows.map(line)].join('\n');
}

export function formatValue(value: number | string): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) < 0.01) return value.toPrecision(3);
  return value.toFixed(2);
}

/** Median and p95 by the nearest-rank method. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * List prices, us-east-1, checked December 2026 against the AWS pricing pages. Free tiers are
 * left out: a team running many services is past them.
 */
export const PRICES = {
  /** Step Functions Standard: $0.025 per 1,000 state transitions. */
  stepFunctionsPerTransition: 0.025 / 1000,
  /** Lambda: $0.20 per 1M requests. */
  lambdaPerRequest: 0.2 / 1_000_000,
  /** Lambda on Arm (the engine's functions are arm64): $0.0000133334 per GB-second. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** EventBridge Scheduler: $1.00 per 1M scheduled invocations. */
  schedulerPerInvocation: 1 / 1_000_000,
  /** DynamoDB on-demand: $0.625 per 1M write request units. */
  dynamodbPerWriteUnit: 0.625 / 1_000_000,
  /** DynamoDB on-demand: $0.125 per 1M read request units. */
  dynamodbPerReadUnit: 0.125 / 1_000_000,
} as const;

export interface LambdaUse {
  readonly handler: string;
  readonly invocations: number;
  readonly memoryMb: number;
  /** Billed duration assumed per invocation. */
  readonly assumedMs: number;
}

export interface RolloutUse {
  readonly stateTransitions: number;
  readonly lambda: readonly LambdaUse[];
  readonly schedulerInvocations: number;
  readonly dynamodbWriteUnits: number;
  readonly dynamodbReadUnits: number;
}

export interface CostBreakdown {
  readonly stepFunctions: number;
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly scheduler: number;
  readonly dynamodb: number;
  readonly total: number;
}

export function costOf(use: RolloutUse, prices: typeof PRICES = PRICES): CostBreakdown {
  const stepFunctions = use.stateTransitions * prices.stepFunctionsPerTransition;
  const requests = use.lambda.reduce((sum, l) => sum + l.invocations, 0);
  const gbSeconds = use.lambda.reduce((sum, l) => sum + l.invocations * (l.memoryMb / 1024) * (l.assumedMs / 1000), 0);
  const lambdaRequests = requests * prices.lambdaPerRequest;
  const lambdaDuration = gbSeconds * prices.lambdaArmPerGbSecond;
  const scheduler = use.schedulerInvocations * prices.schedulerPerInvocation;
  const dynamodb = use.dynamodbWriteUnits * prices.dynamodbPerWriteUnit + use.dynamodbReadUnits * prices.dynamodbPerReadUnit;
  return { stepFunctions, lambdaRequests, lambdaDuration, scheduler, dynamodb, total: stepFunctions + lambdaRequests + lambdaDuration + scheduler + dynamodb };
}

export interface PollingModel {
  /** Steps of the rollout. */
  readonly steps: number;
  readonly bakeSeconds: number;
  readonly pollSeconds: number;
  /** The handler that starts a task-token bake (taken out) and the one a poll invokes (added). */
  readonly bakeHandler: string;
  readonly pollHandler: string;
}

/**
 * The same rollout with a polling bake instead of the task-token bake: each step waits
 * `bakeSeconds` as `bakeSeconds / pollSeconds` rounds of Wait → check Lambda → Choice (3
 * transitions, 1 invocation), and needs no bake schedule. The serinus Bake task (1 transition, 1
 * start-bake invocation, 1 Scheduler invocation per step) is taken out.
 */
export function pollingUse(measured: RolloutUse, model: PollingModel): RolloutUse {
  const polls = Math.ceil(model.bakeSeconds / model.pollSeconds) * model.steps;
  const poll = measured.lambda.find((l) => l.handler === model.pollHandler);
  if (!poll) throw new Error(`no ${model.pollHandler} invocations to model the polls on`);
  const lambda = measured.lambda.map((l) => {
    if (l.handler === model.bakeHandler) return { ...l, invocations: Math.max(0, l.invocations - model.steps) };
    if (l.handler === model.pollHandler) return { ...l, invocations: l.invocations + polls };
    return l;
  });
  return {
    stateTransitions: measured.stateTransitions - model.steps + polls * 3,
    lambda,
    schedulerInvocations: Math.max(0, measured.schedulerInvocations - model.steps),
    dynamodbWriteUnits: measured.dynamodbWriteUnits,
    dynamodbReadUnits: measured.dynamodbReadUnits,
  };
}

/** Invocations a month of a schedule expression: `rate(n unit)`; cron is counted as once a minute at most. */
export function invocationsPerMonth(expression: string): number {
  const minutesPerMonth = 30 * 24 * 60;
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!.startsWith('minute') ? 1 : rate[2]!.startsWith('hour') ? 60 : 1440;
    return Math.floor(minutesPerMonth / (n * unit));
  }
  if (/^at\(/.test(expression.trim())) return 0;
  // A cron expression: the worst case, every minute (the bench expects none at all).
  return minutesPerMonth;
}
