/**
 * The sandbox's alarm maths: the sliding window, the nearest-rank p99, the three managed alarms
 * (with the minimum request count and missing data as not breaching), and the evaluator that turns
 * verdicts into state changes.
 */
import {
  AlarmEvaluator,
  EMPTY_STATS,
  SlidingWindow,
  evaluateAlarm,
  managedAlarmSpecs,
  percentile,
  windowStats,
  type AlarmSpec,
  type Observation,
  type WindowStats,
} from '../../sandbox/alarms';

const WINDOW_MS = 3000;
const ERROR_RATE: AlarmSpec = { kind: 'errorRate', name: 'ErrorRate', thresholdPercent: 5, minimumRequests: 20 };
const COMPARED: AlarmSpec = { kind: 'comparedWithStable', name: 'ComparedWithStable', marginPercent: 2, minimumRequests: 20 };
const LATENCY: AlarmSpec = { kind: 'p99Latency', name: 'P99Latency', thresholdMs: 1500, minimumRequests: 20 };

function stats(partial: Partial<WindowStats>): WindowStats {
  return { ...EMPTY_STATS, ...partial };
}

function answers(count: number, at: number, status = 200, latencyMs = 10): Observation[] {
  return Array.from({ length: count }, () => ({ at, status, latencyMs }));
}

describe('percentile', () => {
  it.each<[string, number[], number, number | null]>([
    ['no values', [], 99, null],
    ['one value', [7], 99, 7],
    ['1..100, p99 is the 99th', Array.from({ length: 100 }, (_, i) => i + 1), 99, 99],
    ['1..20, p99 is the largest (rank 20 of 20)', Array.from({ length: 20 }, (_, i) => i + 1), 99, 20],
    ['unsorted input', [30, 10, 20], 50, 20],
    ['p0 is the smallest', [3, 1, 2], 0, 1],
  ])('%s', (_name, values, p, expected) => {
    // Act
    const result = percentile(values, p);

    // Assess
    expect(result).toBe(expected);
  });
});

describe('windowStats', () => {
  const NOW = 10_000;

  it.each<[string, Observation[], number[], WindowStats]>([
    ['nothing', [], [], EMPTY_STATS],
    [
      'answers inside the window only; the window is (now - window, now]',
      [
        { at: NOW - WINDOW_MS, status: 500, latencyMs: 9000 },
        { at: NOW - WINDOW_MS + 1, status: 200, latencyMs: 10 },
        { at: NOW, status: 503, latencyMs: 30 },
        { at: NOW + 1, status: 500, latencyMs: 9000 },
      ],
      [],
      { answered: 2, inFlight: 0, errors: 1, errorRatePercent: 50, p99Ms: 30 },
    ],
    [
      '4xx is not an error',
      [...answers(3, NOW, 404), ...answers(1, NOW, 500)],
      [],
      { answered: 4, inFlight: 0, errors: 1, errorRatePercent: 25, p99Ms: 10 },
    ],
    [
      'a request in flight counts with the time it has waited as its latency',
      answers(3, NOW),
      [NOW - 2500],
      { answered: 3, inFlight: 1, errors: 0, errorRatePercent: 0, p99Ms: 2500 },
    ],
    [
      'in flight only: no rate, a latency',
      [],
      [NOW - 100, NOW - 40],
      { answered: 0, inFlight: 2, errors: 0, errorRatePercent: 0, p99Ms: 100 },
    ],
  ])('%s', (_name, observations, inFlight, expected) => {
    // Act
    const result = windowStats(observations, inFlight, NOW, WINDOW_MS);

    // Assess
    expect(result).toEqual(expected);
  });
});

describe('evaluateAlarm', () => {
  it.each<[string, AlarmSpec, WindowStats, WindowStats, 'OK' | 'ALARM', number | null]>([
    ['error rate: below the minimum, a 50% rate does not count', ERROR_RATE, stats({ answered: 19, errors: 10, errorRatePercent: 52.6 }), EMPTY_STATS, 'OK', null],
    ['error rate: in-flight requests do not make up the minimum', ERROR_RATE, stats({ answered: 10, inFlight: 30, errorRatePercent: 50 }), EMPTY_STATS, 'OK', null],
    ['error rate: at the minimum and above the threshold', ERROR_RATE, stats({ answered: 20, errors: 2, errorRatePercent: 10 }), EMPTY_STATS, 'ALARM', 10],
    ['error rate: exactly at the threshold is not breaching', ERROR_RATE, stats({ answered: 20, errors: 1, errorRatePercent: 5 }), EMPTY_STATS, 'OK', 5],
    ['compared: canary 10% vs stable 0%', COMPARED, stats({ answered: 40, errorRatePercent: 10 }), stats({ answered: 400 }), 'ALARM', 10],
    ['compared: canary 6% vs stable 5% is within the margin', COMPARED, stats({ answered: 40, errorRatePercent: 6 }), stats({ answered: 400, errorRatePercent: 5 }), 'OK', 1],
    ['compared: a canary below the minimum counts as 0%', COMPARED, stats({ answered: 5, errorRatePercent: 100 }), stats({ answered: 400, errorRatePercent: 1 }), 'OK', -1],
    ['latency: p99 above the threshold', LATENCY, stats({ answered: 30, p99Ms: 2000 }), EMPTY_STATS, 'ALARM', 2000],
    ['latency: p99 at the threshold is not breaching', LATENCY, stats({ answered: 30, p99Ms: 1500 }), EMPTY_STATS, 'OK', 1500],
    ['latency: requests in flight make up the minimum', LATENCY, stats({ answered: 5, inFlight: 15, p99Ms: 1600 }), EMPTY_STATS, 'ALARM', 1600],
    ['latency: below the minimum', LATENCY, stats({ answered: 5, inFlight: 14, p99Ms: 9000 }), EMPTY_STATS, 'OK', null],
  ])('%s', (_name, spec, canary, stable, state, value) => {
    // Act
    const verdict = evaluateAlarm(spec, canary, stable, WINDOW_MS);

    // Assess
    expect(verdict.state).toBe(state);
    expect(verdict.value).toBe(value);
    expect(verdict.reason).toMatch(state === 'ALARM' ? /^Threshold Crossed: / : /^(Within threshold|Not enough requests): /);
  });
});

describe('managedAlarmSpecs', () => {
  it('reads the thresholds and the minimum request count from the alarms of the template', () => {
    // Prepare
    const expression = 'IF(canaryRequests >= 25, 100 * FILL(canaryErrors, 0) / canaryRequests, 0)';
    const defined = {
      'svc-ErrorRate1234ABCD': { logicalId: 'A', properties: { Threshold: 5, Metrics: [{ Expression: expression }] } },
      'svc-ComparedWithStable1234ABCD': { logicalId: 'B', properties: { Threshold: 2, Metrics: [{ Expression: 'canaryRate - FILL(stableRate, 0)' }, { Expression: expression }] } },
      'svc-P99Latency1234ABCD': { logicalId: 'C', properties: { Threshold: 1.5, ExtendedStatistic: 'p99' } },
      'svc-SomethingElse': { logicalId: 'D', properties: { Threshold: 1 } },
    };

    // Act
    const specs = managedAlarmSpecs(defined);

    // Assess
    expect(specs).toEqual([
      { kind: 'errorRate', name: 'svc-ErrorRate1234ABCD', thresholdPercent: 5, minimumRequests: 25 },
      { kind: 'comparedWithStable', name: 'svc-ComparedWithStable1234ABCD', marginPercent: 2, minimumRequests: 25 },
      { kind: 'p99Latency', name: 'svc-P99Latency1234ABCD', thresholdMs: 1500, minimumRequests: 25 },
    ]);
  });
});

describe('SlidingWindow', () => {
  it('keeps one window of answers and every request still in flight', () => {
    // Prepare
    const window = new SlidingWindow(1000);
    const slow = window.begin(0);
    const fast = window.begin(100);
    window.end(fast, { at: 150, status: 500, latencyMs: 50 });
    const dropped = window.begin(200);
    window.end(dropped);
    window.add({ at: 900, status: 200, latencyMs: 5 });

    // Act
    const early = window.stats(1000);
    const late = window.stats(1200);

    // Assess
    expect(early).toEqual({ answered: 2, inFlight: 1, errors: 1, errorRatePercent: 50, p99Ms: 1000 });
    expect(late).toEqual({ answered: 1, inFlight: 1, errors: 0, errorRatePercent: 0, p99Ms: 1200 });
    window.end(slow, { at: 1300, status: 200, latencyMs: 1300 });
    expect(window.stats(1300)).toEqual({ answered: 2, inFlight: 0, errors: 0, errorRatePercent: 0, p99Ms: 1300 });
  });
});

describe('AlarmEvaluator', () => {
  it('delivers each transition once, in order, and waits for deliveries on stop', async () => {
    // Prepare
    let now = 10_000;
    const canary = new SlidingWindow(WINDOW_MS);
    const stable = new SlidingWindow(WINDOW_MS);
    const delivered: Array<[string, string]> = [];
    const evaluator = new AlarmEvaluator({
      specs: [ERROR_RATE, LATENCY],
      canary,
      stable,
      now: () => now,
      setState: async (name, state) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        delivered.push([name, state]);
      },
    });

    // Act
    const quiet = evaluator.evaluate();
    for (const o of [...answers(15, now), ...answers(5, now, 500)]) canary.add(o);
    const failing = evaluator.evaluate();
    const again = evaluator.evaluate();
    now += WINDOW_MS;
    const recovered = evaluator.evaluate();
    await evaluator.stop();

    // Assess
    expect(quiet).toEqual([]);
    expect(failing.map((c) => [c.name, c.from, c.to])).toEqual([['ErrorRate', 'OK', 'ALARM']]);
    expect(again).toEqual([]);
    expect(recovered.map((c) => [c.name, c.from, c.to])).toEqual([['ErrorRate', 'ALARM', 'OK']]);
    expect(delivered).toEqual([
      ['ErrorRate', 'ALARM'],
      ['ErrorRate', 'OK'],
    ]);
    expect(evaluator.state('ErrorRate')).toBe('OK');
    expect(evaluator.state('P99Latency')).toBe('OK');
    expect(evaluator.state('not-managed')).toBeUndefined();
  });

  it('keeps evaluating when a delivery fails, and records the failure', async () => {
    // Prepare
    const canary = new SlidingWindow(WINDOW_MS);
    const evaluator = new AlarmEvaluator({
      specs: [ERROR_RATE],
      canary,
      stable: new SlidingWindow(WINDOW_MS),
      now: () => 1000,
      setState: () => Promise.reject(new Error('no such alarm')),
    });
    for (const o of answers(20, 1000, 500)) canary.add(o);

    // Act
    const changes = evaluator.evaluate();
    await evaluator.stop();

    // Assess
    expect(changes).toHaveLength(1);
    expect(evaluator.errors).toEqual([new Error('no such alarm')]);
  });
});
