/**
 * The bench's arithmetic and printing (bench/metrics.ts). The figures themselves are printed by
 * `npm run bench`, never asserted.
 */
import { costOf, invocationsPerMonth, percentile, pollingUse, PRICES, toJsonLines, toTable, type RolloutUse } from '../../bench/metrics';

const USE: RolloutUse = {
  stateTransitions: 40,
  lambda: [
    { handler: 'start-bake', invocations: 4, memoryMb: 512, assumedMs: 300 },
    { handler: 'check-health', invocations: 4, memoryMb: 1024, assumedMs: 600 },
  ],
  schedulerInvocations: 4,
  dynamodbWriteUnits: 100,
  dynamodbReadUnits: 20,
};

describe('bench metrics', () => {
  it('prices a rollout at list prices, part by part', () => {
    // Act
    const cost = costOf(USE);

    // Assess
    expect(cost.stepFunctions).toBeCloseTo(40 * 0.000025, 12);
    expect(cost.lambdaRequests).toBeCloseTo(8 * 0.0000002, 12);
    // 4 × 0.5 GB × 0.3 s + 4 × 1 GB × 0.6 s = 3 GB-s
    expect(cost.lambdaDuration).toBeCloseTo(3 * PRICES.lambdaArmPerGbSecond, 12);
    expect(cost.scheduler).toBeCloseTo(4 / 1_000_000, 12);
    expect(cost.dynamodb).toBeCloseTo(100 * 0.000000625 + 20 * 0.000000125, 12);
    expect(cost.total).toBeCloseTo(cost.stepFunctions + cost.lambdaRequests + cost.lambdaDuration + cost.scheduler + cost.dynamodb, 12);
  });

  it('models a 60-second polling bake: 3 transitions and one check per poll, no bake task or schedule', () => {
    // Act
    const polling = pollingUse(USE, { steps: 4, bakeSeconds: 600, pollSeconds: 60, bakeHandler: 'start-bake', pollHandler: 'check-health' });

    // Assess
    expect(polling.stateTransitions).toBe(40 - 4 + 40 * 3);
    expect(polling.lambda).toEqual([
      { handler: 'start-bake', invocations: 0, memoryMb: 512, assumedMs: 300 },
      { handler: 'check-health', invocations: 44, memoryMb: 1024, assumedMs: 600 },
    ]);
    expect(polling.schedulerInvocations).toBe(0);
  });

  it.each([
    ['rate(5 minutes)', 8640],
    ['rate(1 hour)', 720],
    ['rate(1 day)', 30],
    ['at(2026-12-02T10:00:00)', 0],
  ])('counts %s as %d invocations a month', (expression, expected) => {
    expect(invocationsPerMonth(expression)).toBe(expected);
  });

  it('takes the median and p95 by nearest rank', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(10);
    expect(percentile(values, 95)).toBe(19);
  });

  it('prints one {metric, value, unit} object per line, and a table with the notes', () => {
    // Prepare
    const metrics = [
      { metric: 'state_transitions_per_rollout', value: 37, unit: 'count', note: 'states entered' },
      { metric: 'usd_per_rollout', value: 0.0012, unit: 'USD' },
    ];

    // Act
    const lines = toJsonLines(metrics).split('\n');
    const table = toTable(metrics);

    // Assess
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      { metric: 'state_transitions_per_rollout', value: 37, unit: 'count' },
      { metric: 'usd_per_rollout', value: 0.0012, unit: 'USD' },
    ]);
    expect(table).toMatch(/^state_transitions_per_rollout\s+37\s+count\s+states entered$/m);
    expect(table).toMatch(/^usd_per_rollout\s+0\.00120\s+USD$/m);
  });
});
