import {
  baselineOf,
  describeSplit,
  formatRatioRecord,
  isUnfinishedWrite,
  liveWeights,
  parseRatioRecord,
  planScaling,
  sameIntent,
  splitReplicas,
  weightsOfPods,
  type RatioRecord,
  type ReplicaBounds,
  type ReplicaCounts,
  type ScalingPlan,
} from '../../lambda/domain/replica-ratio';
import type { Weights } from '../../lambda/domain/types';
import { ValidationFailedError } from '../../lambda/errors';

const w = (canary: number): Weights => ({ stable: 100 - canary, canary });

describe('splitReplicas', () => {
  it.each<[string, Weights, number, ReplicaBounds, ReplicaCounts, number, number]>([
    // what, weights, baseline, bounds, replicas, achieved %, rounding error
    ['an exact split keeps the total', w(10), 10, { minReplicas: 1 }, { stable: 9, canary: 1 }, 10, 0],
    ['rounds to whole pods and says by how much', w(20), 4, { minReplicas: 1 }, { stable: 3, canary: 1 }, 25, 5],
    ['half and half', w(50), 4, { minReplicas: 1 }, { stable: 2, canary: 2 }, 50, 0],
    ['a canary weight gets at least one pod', w(1), 4, { minReplicas: 1 }, { stable: 3, canary: 1 }, 25, 24],
    ['a raw 999/1 still has a canary pod', { stable: 999, canary: 1 }, 4, { minReplicas: 1 }, { stable: 3, canary: 1 }, 25, 24.9],
    ['the stable keeps a pod below 100', w(99), 4, { minReplicas: 1 }, { stable: 1, canary: 3 }, 75, -24],
    ['100 moves every pod to the canary', w(100), 4, { minReplicas: 1 }, { stable: 0, canary: 4 }, 100, 0],
    ['0 is the stable at its baseline', w(0), 4, { minReplicas: 1 }, { stable: 4, canary: 0 }, 0, 0],
    ['0 is the baseline whatever the bounds', w(0), 4, { minReplicas: 10, maxReplicas: 20 }, { stable: 4, canary: 0 }, 0, 0],
    ['minReplicas raises the total for finer steps', w(10), 4, { minReplicas: 10 }, { stable: 9, canary: 1 }, 10, 0],
    ['maxReplicas lets the total grow until the split is exact', w(10), 4, { minReplicas: 1, maxReplicas: 20 }, { stable: 9, canary: 1 }, 10, 0],
    ['maxReplicas: the closest total, not the largest', w(30), 4, { minReplicas: 1, maxReplicas: 10 }, { stable: 7, canary: 3 }, 30, 0],
    ['maxReplicas: the closest it can get', w(33), 4, { minReplicas: 1, maxReplicas: 6 }, { stable: 4, canary: 2 }, 33.33, 0.33],
    ['maxReplicas: the smallest total when the baseline is exact', w(25), 4, { minReplicas: 1, maxReplicas: 8 }, { stable: 3, canary: 1 }, 25, 0],
    ['maxReplicas caps a larger baseline', w(10), 12, { minReplicas: 1, maxReplicas: 8 }, { stable: 7, canary: 1 }, 12.5, 2.5],
    ['maxReplicas caps the canary at 100', w(100), 12, { minReplicas: 1, maxReplicas: 8 }, { stable: 0, canary: 8 }, 100, 0],
    ['minReplicas raises the canary at 100', w(100), 2, { minReplicas: 5 }, { stable: 0, canary: 5 }, 100, 0],
    ['a split of one replica needs a second pod', w(50), 1, { minReplicas: 1 }, { stable: 1, canary: 1 }, 50, 0],
    ['one replica: any weight is half', w(10), 1, { minReplicas: 1 }, { stable: 1, canary: 1 }, 50, 40],
  ])('%s: %j from %d within %j', (_what, weights, baseline, bounds, replicas, achievedPercent, roundingError) => {
    // Act
    const split = splitReplicas(weights, baseline, bounds);

    // Assess
    expect(split).toEqual({ replicas, requestedPercent: expect.any(Number), achievedPercent, roundingError });
    const total = split.replicas.stable + split.replicas.canary;
    if (weights.canary > 0 && weights.stable > 0) {
      expect(split.replicas.canary).toBeGreaterThanOrEqual(1);
      expect(split.replicas.stable).toBeGreaterThanOrEqual(1);
      expect(total).toBeGreaterThanOrEqual(Math.max(bounds.minReplicas, 2));
      expect(total).toBeLessThanOrEqual(Math.max(bounds.maxReplicas ?? Math.max(baseline, bounds.minReplicas, 2), 2));
    }
  });

  it.each<[string, Weights, number, ReplicaBounds, RegExp]>([
    ['no traffic', { stable: 0, canary: 0 }, 4, { minReplicas: 1 }, /route no traffic/],
    ['a stable that ran no replica', w(10), 0, { minReplicas: 1 }, /ran 0 replicas when the rollout began/],
    ['minReplicas 0', w(10), 4, { minReplicas: 0 }, /minReplicas must be a whole number ≥ 1/],
    ['maxReplicas 1', w(10), 4, { minReplicas: 1, maxReplicas: 1 }, /maxReplicas must be a whole number ≥ 2/],
    ['min above max', w(10), 4, { minReplicas: 5, maxReplicas: 3 }, /minReplicas \(5\) must not exceed maxReplicas \(3\)/],
  ])('refuses %s', (_what, weights, baseline, bounds, message) => {
    // Act
    const act = () => splitReplicas(weights, baseline, bounds);

    // Assess
    expect(act).toThrow(ValidationFailedError);
    expect(act).toThrow(message);
  });
});

describe('weightsOfPods', () => {
  it.each<[ReplicaCounts, Weights]>([
    [{ stable: 4, canary: 0 }, { stable: 100, canary: 0 }],
    [{ stable: 3, canary: 1 }, { stable: 75, canary: 25 }],
    [{ stable: 2, canary: 1 }, { stable: 67, canary: 33 }],
    [{ stable: 0, canary: 4 }, { stable: 0, canary: 100 }],
    // A side with a ready pod has traffic, however small its share.
    [{ stable: 299, canary: 1 }, { stable: 99, canary: 1 }],
    [{ stable: 1, canary: 299 }, { stable: 1, canary: 99 }],
    [{ stable: 0, canary: 0 }, { stable: 0, canary: 0 }],
  ])('%j ready pods stand for %j', (ready, expected) => {
    // Act
    const weights = weightsOfPods(ready);

    // Assess
    expect(weights).toEqual(expected);
  });
});

describe('planScaling', () => {
  it.each<[string, ReplicaCounts, ReplicaCounts, ScalingPlan]>([
    [
      'the canary grows and is ready before the stable shrinks',
      { stable: 4, canary: 0 },
      { stable: 3, canary: 1 },
      { grow: [{ side: 'canary', replicas: 1 }], readyBeforeShrink: ['canary'], shrink: [{ side: 'stable', replicas: 3 }] },
    ],
    [
      'restoring: the stable grows and is ready before the canary goes',
      { stable: 3, canary: 1 },
      { stable: 4, canary: 0 },
      { grow: [{ side: 'stable', replicas: 4 }], readyBeforeShrink: ['stable'], shrink: [{ side: 'canary', replicas: 0 }] },
    ],
    [
      'from 100 back to the stable',
      { stable: 0, canary: 4 },
      { stable: 4, canary: 0 },
      { grow: [{ side: 'stable', replicas: 4 }], readyBeforeShrink: ['stable'], shrink: [{ side: 'canary', replicas: 0 }] },
    ],
    [
      'both grow: nothing to wait for before shrinking',
      { stable: 4, canary: 0 },
      { stable: 9, canary: 1 },
      { grow: [{ side: 'stable', replicas: 9 }, { side: 'canary', replicas: 1 }], readyBeforeShrink: [], shrink: [] },
    ],
    [
      'the stable shrinks: the unchanged canary must be ready, it takes a larger share',
      { stable: 9, canary: 1 },
      { stable: 3, canary: 1 },
      { grow: [], readyBeforeShrink: ['canary'], shrink: [{ side: 'stable', replicas: 3 }] },
    ],
    [
      'both shrink: the canary first',
      { stable: 5, canary: 3 },
      { stable: 3, canary: 2 },
      { grow: [], readyBeforeShrink: [], shrink: [{ side: 'canary', replicas: 2 }, { side: 'stable', replicas: 3 }] },
    ],
    ['nothing changes', { stable: 2, canary: 2 }, { stable: 2, canary: 2 }, { grow: [], readyBeforeShrink: [], shrink: [] }],
  ])('%s', (_what, from, to, expected) => {
    // Act
    const plan = planScaling(from, to);

    // Assess
    expect(plan).toEqual(expected);
  });
});

describe('isUnfinishedWrite', () => {
  const from = { stable: 4, canary: 0 };
  const to = { stable: 3, canary: 1 };
  it.each<[ReplicaCounts, boolean]>([
    [{ stable: 4, canary: 0 }, true],
    [{ stable: 4, canary: 1 }, true],
    [{ stable: 3, canary: 0 }, true],
    [{ stable: 3, canary: 1 }, true],
    [{ stable: 5, canary: 1 }, false],
    [{ stable: 4, canary: 2 }, false],
  ])('specs %j: %p', (specs, expected) => {
    // Act
    const unfinished = isUnfinishedWrite(specs, from, to);

    // Assess
    expect(unfinished).toBe(expected);
  });
});

const record = (baselineReplicas: number, canary: number, replicas: ReplicaCounts, previous?: RatioRecord['previous']): RatioRecord => ({
  baselineReplicas,
  weights: w(canary),
  replicas,
  ...(previous && { previous }),
});

describe('baselineOf', () => {
  it.each<[string, RatioRecord | undefined, ReplicaCounts, number]>([
    ['before the first rollout: the stable now', undefined, { stable: 4, canary: 0 }, 4],
    ['between rollouts the record is stale: the stable now', record(4, 0, { stable: 4, canary: 0 }), { stable: 6, canary: 0 }, 6],
    ['a write recorded but not yet scaled', record(4, 10, { stable: 3, canary: 1 }), { stable: 4, canary: 0 }, 4],
    ['the stable grew first (minReplicas)', record(4, 10, { stable: 9, canary: 1 }), { stable: 9, canary: 0 }, 4],
    ['mid-rollout', record(4, 50, { stable: 2, canary: 2 }), { stable: 2, canary: 2 }, 4],
    ['a restore under way', record(4, 0, { stable: 4, canary: 0 }), { stable: 3, canary: 1 }, 4],
    ['a canary someone else started: what both run', undefined, { stable: 3, canary: 1 }, 4],
  ])('%s', (_what, recorded, specs, expected) => {
    // Act
    const baseline = baselineOf(recorded, specs);

    // Assess
    expect(baseline).toBe(expected);
  });
});

describe('liveWeights', () => {
  const recorded = record(4, 20, { stable: 3, canary: 1 }, { weights: w(0), replicas: { stable: 4, canary: 0 } });
  it.each<[string, RatioRecord | undefined, ReplicaCounts, ReplicaCounts, { weights: Weights; source: string }]>([
    // 1 of 4 pods is 25%, but serinus asked for 20: no false drift from rounding.
    ['the specs serinus wrote: the weights it recorded', recorded, { stable: 3, canary: 1 }, { stable: 3, canary: 0 }, { weights: w(20), source: 'record' }],
    ['a write recorded, not yet scaled: the weights it began from', recorded, { stable: 4, canary: 0 }, { stable: 4, canary: 0 }, { weights: w(0), source: 'record' }],
    ['half way: the ready pods', recorded, { stable: 4, canary: 1 }, { stable: 4, canary: 1 }, { weights: w(20), source: 'pods' }],
    ['scaled by hand: the ready pods', recorded, { stable: 2, canary: 2 }, { stable: 2, canary: 2 }, { weights: w(50), source: 'pods' }],
    ['no record: the ready pods', undefined, { stable: 4, canary: 0 }, { stable: 4, canary: 0 }, { weights: w(0), source: 'pods' }],
  ])('%s', (_what, recordedRatio, specs, ready, expected) => {
    // Act
    const live = liveWeights(recordedRatio, specs, ready);

    // Assess
    expect(live).toEqual(expected);
  });
});

describe('the record on the canary Deployment', () => {
  const recorded = record(4, 20, { stable: 3, canary: 1 }, { weights: w(0), replicas: { stable: 4, canary: 0 } });

  it('reads back what it wrote', () => {
    // Act
    const parsed = parseRatioRecord(formatRatioRecord(recorded));

    // Assess
    expect(parsed).toEqual(recorded);
  });

  it.each<[string | undefined, ReturnType<typeof parseRatioRecord>]>([
    [undefined, undefined],
    ['{', 'invalid'],
    ['"25%"', 'invalid'],
    ['{"baselineReplicas":0,"weights":{"stable":80,"canary":20},"replicas":{"stable":3,"canary":1}}', 'invalid'],
    ['{"baselineReplicas":4,"weights":{"stable":80,"canary":20}}', 'invalid'],
  ])('reads %p as %p', (annotation, expected) => {
    // Act
    const parsed = parseRatioRecord(annotation);

    // Assess
    expect(parsed).toEqual(expected);
  });

  it.each<[RatioRecord | undefined, boolean]>([
    [recorded, true],
    // A retried write keeps the first attempt's `previous`.
    [{ ...recorded, previous: { weights: w(10), replicas: { stable: 4, canary: 1 } } }, true],
    [{ ...recorded, baselineReplicas: 5 }, false],
    [{ ...recorded, weights: w(25) }, false],
    [{ ...recorded, replicas: { stable: 4, canary: 1 } }, false],
    [undefined, false],
  ])('sameIntent(%j)', (other, expected) => {
    // Act
    const same = sameIntent(other, recorded);

    // Assess
    expect(same).toBe(expected);
  });
});

describe('describeSplit', () => {
  it.each<[Weights, number, ReplicaBounds, string]>([
    [w(20), 4, { minReplicas: 1 }, 'canary 1 of 4 pods (25%, 5 points above the 20% asked)'],
    [w(99), 4, { minReplicas: 1 }, 'canary 3 of 4 pods (75%, 24 points below the 99% asked)'],
    [w(10), 10, { minReplicas: 1 }, 'canary 1 of 10 pods (10%, exact)'],
  ])('%j from %d', (weights, baseline, bounds, expected) => {
    // Act
    const sentence = describeSplit(splitReplicas(weights, baseline, bounds));

    // Assess
    expect(sentence).toBe(expected);
  });
});
