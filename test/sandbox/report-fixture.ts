/**
 * Hand-built sandbox runs for the report tests. Times are real milliseconds since the start, at
 * the run's `speed` (a 1-minute bake at speed 20 lasts 3 s), with about one traffic sample a
 * second, as the sandbox records them.
 */
import type { SandboxRun, TrafficSample, Version } from '../../sandbox/run-model';

/** One traffic sample row: `[at, stable requests, stable 5xx, stable p99, canary requests, canary 5xx, canary p99]`. */
type SampleRow = readonly [number, number, number, number, number, number, number];

function rate(errors: number, requests: number): number {
  return requests === 0 ? 0 : Math.round((errors / requests) * 1000) / 10;
}

function samples(rows: readonly SampleRow[]): TrafficSample[] {
  return rows.map(([at, sReq, sErr, sP99, cReq, cErr, cP99]) => ({
    at,
    stable: { requests: sReq, errorRatePercent: rate(sErr, sReq), p99Ms: sP99 },
    canary: { requests: cReq, errorRatePercent: rate(cErr, cReq), p99Ms: cP99 },
  }));
}

/**
 * The summary's request counts, derived from the rows so the two can never disagree. The canary
 * always serves v2; the stable target group serves v1 until a promotion puts v2 on it.
 */
function requestTotals(rows: readonly SampleRow[], stableServesV2From = Number.POSITIVE_INFINITY) {
  const stableV1 = rows.filter(([at]) => at < stableServesV2From).reduce((sum, row) => sum + row[1], 0);
  const stable = rows.reduce((sum, row) => sum + row[1], 0);
  const canary = rows.reduce((sum, row) => sum + row[4], 0);
  const errors = rows.reduce((sum, row) => sum + row[2] + row[5], 0);
  return { total: stable + canary, byVersion: { v1: stableV1, v2: stable - stableV1 + canary }, errors, dropped: 0 };
}

/** `'v1 v1 v2'` → `['v1', 'v1', 'v2']`. */
function served(text: string): Version[] {
  return text.split(/\s+/).filter((v): v is Version => v === 'v1' || v === 'v2');
}

// v2 answers about a third of its requests with a 500. At 10 % the canary sees too few requests
// for the alarm's minimum count; at 50 % the alarm fires and the rollout reverts.
const faultyRows: readonly SampleRow[] = [
  [1004, 24, 0, 41, 0, 0, 0],
  [2001, 22, 0, 39, 2, 1, 182],
  [3003, 22, 0, 44, 3, 1, 214],
  [4002, 21, 0, 40, 3, 1, 197],
  [5001, 14, 0, 42, 11, 4, 236],
  [6004, 13, 0, 47, 12, 5, 261],
  [7002, 24, 0, 43, 1, 0, 158],
];

export const faultyRun: SandboxRun = {
  summary: {
    scenario: 'faulty',
    routing: 'alb-listener',
    result: 'rolled_back',
    expected: 'rolled_back',
    ok: true,
    reason: 'rolled back as expected: the canary 5xx alarm fired at step 2 (50%) and traffic was back on stable 250 ms later',
    finalWeights: { stable: 100, canary: 0 },
    stableImage: 'sandbox.local/echo:v1',
    canaryReplicas: 0,
    requests: requestTotals(faultyRows),
    alarmToRevertMs: 250,
    stateTransitions: 41,
    lambdaInvocations: 14,
    steps: [
      { weight: 10, bakeSeconds: 60 },
      { weight: 50, bakeSeconds: 60 },
    ],
    durationMs: 7350,
    speed: 20,
    cause:
      '{"errorType":"CanaryUnhealthy","errorMessage":"alarm serinus-sandbox-canary-5xx is ALARM: 5xx rate 41.7% > 5% (min 10 requests)"}',
  },
  startedAt: '2025-11-21T14:03:12.418Z',
  weights: [
    { at: 0, stable: 100, canary: 0 },
    { at: 1410, stable: 90, canary: 10 },
    { at: 4560, stable: 50, canary: 50 },
    { at: 6050, stable: 100, canary: 0 },
  ],
  traffic: samples(faultyRows),
  marks: [
    { at: 1410, kind: 'step', label: 'step 1 · 10%' },
    { at: 4560, kind: 'step', label: 'step 2 · 50%' },
    { at: 5800, kind: 'alarm', label: 'alarm: canary 5xx' },
    { at: 6050, kind: 'revert', label: 'revert' },
    { at: 7350, kind: 'end', label: 'end · rolled back' },
  ],
  lastServed: served(`
    v2 v1 v2 v2 v1 v1 v2 v1 v2 v1 v1 v2 v1 v1 v1 v1 v1 v1 v1 v1
    v1 v1 v1 v1 v1 v1 v1 v1 v1 v1 v1 v1 v1 v1 v1 v1 v1 v1 v1 v1`),
  routed: [],
};

// v2 is fine: no 5xx anywhere and its latency matches v1's. The stable Deployment runs v2 from
// about 8.1 s, so the last requests are v2 whichever target group served them.
const healthyRows: readonly SampleRow[] = [
  [1002, 24, 0, 40, 0, 0, 0],
  [2003, 22, 0, 42, 3, 0, 44],
  [3001, 21, 0, 39, 2, 0, 41],
  [4004, 13, 0, 43, 12, 0, 45],
  [5002, 12, 0, 41, 12, 0, 40],
  [6001, 2, 0, 38, 22, 0, 43],
  [7003, 0, 0, 0, 24, 0, 42],
  [8002, 6, 0, 46, 19, 0, 44],
  [9001, 25, 0, 41, 0, 0, 0],
];

export const healthyRun: SandboxRun = {
  summary: {
    scenario: 'healthy',
    routing: 'istio',
    result: 'promoted',
    expected: 'promoted',
    ok: true,
    reason: 'promoted as expected: every bake passed, v2 is now stable and the canary is scaled to zero',
    finalWeights: { stable: 100, canary: 0 },
    stableImage: 'sandbox.local/echo:v2',
    canaryReplicas: 0,
    requests: requestTotals(healthyRows, 8100),
    tester: { header: 'x-canary: always', routed: true, total: 90, byVersion: { v1: 12, v2: 75 }, unanswered: 3, canaryAtWeightZero: 21 },
    alarmToRevertMs: null,
    stateTransitions: 58,
    lambdaInvocations: 21,
    steps: [
      { weight: 10, bakeSeconds: 60 },
      { weight: 50, bakeSeconds: 60 },
      { weight: 100, bakeSeconds: 60 },
    ],
    durationMs: 9420,
    speed: 30,
  },
  startedAt: '2025-11-21T14:05:47.902Z',
  weights: [
    { at: 0, stable: 100, canary: 0 },
    { at: 1380, stable: 90, canary: 10 },
    { at: 3470, stable: 50, canary: 50 },
    { at: 5560, stable: 0, canary: 100 },
    { at: 8240, stable: 100, canary: 0 },
  ],
  traffic: samples(healthyRows),
  marks: [
    { at: 1380, kind: 'step', label: 'step 1 · 10%' },
    { at: 3470, kind: 'step', label: 'step 2 · 50%' },
    { at: 5560, kind: 'step', label: 'step 3 · 100%' },
    { at: 7650, kind: 'promote', label: 'promote' },
    { at: 9420, kind: 'end', label: 'end · promoted' },
  ],
  lastServed: served(`
    v2 v2 v1 v2 v2 v2 v1 v2 v2 v2 v2 v1 v2 v2 v2 v2 v2 v2 v2 v2
    v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2`),
  routed: [
    { at: 0, route: 'route primary', split: { stable: 100, canary: 0 }, routed: { stable: 1380, canary: 0 }, tester: 9 },
    { at: 420, route: 'route serinus-tester-primary', split: { stable: 0, canary: 100 }, routed: { stable: 0, canary: 78 }, tester: 78 },
    { at: 1380, route: 'route primary', split: { stable: 90, canary: 10 }, routed: { stable: 1881, canary: 209 }, tester: 0 },
  ],
};
