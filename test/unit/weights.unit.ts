import { ValidationFailedError } from '../../lambda/errors';
import { STABLE_ONLY, type Weights } from '../../lambda/domain/types';
import { assertPlanWeights, canaryWeights, formatWeights, sameWeights } from '../../lambda/domain/weights';

describe('canaryWeights', () => {
  it.each<[number, Weights]>([
    [0, { stable: 100, canary: 0 }],
    [1, { stable: 99, canary: 1 }],
    [10, { stable: 90, canary: 10 }],
    [100, { stable: 0, canary: 100 }],
  ])('puts %d%% on the canary', (percent, expected) => {
    // Act
    const weights = canaryWeights(percent);

    // Assess
    expect(weights).toEqual(expected);
  });

  it.each([-1, 101, 12.5, Number.NaN])('rejects %p', (percent) => {
    // Act
    const act = () => canaryWeights(percent);

    // Assess
    expect(act).toThrow(ValidationFailedError);
  });
});

describe('sameWeights', () => {
  it.each<[Weights, Weights, boolean]>([
    [{ stable: 90, canary: 10 }, { stable: 90, canary: 10 }, true],
    [STABLE_ONLY, { stable: 100, canary: 0 }, true],
    [{ stable: 90, canary: 10 }, { stable: 80, canary: 20 }, false],
    [{ stable: 90, canary: 10 }, { stable: 90, canary: 0 }, false],
    // Raw: an operator's 999/1 still sends traffic to the canary, and 200/0 is not what serinus wrote.
    [{ stable: 999, canary: 1 }, STABLE_ONLY, false],
    [{ stable: 200, canary: 0 }, STABLE_ONLY, false],
    [{ stable: 0, canary: 0 }, STABLE_ONLY, false],
  ])('compares %j with %j', (a, b, expected) => {
    // Act
    const same = sameWeights(a, b);

    // Assess
    expect(same).toBe(expected);
  });
});

describe('formatWeights', () => {
  it('reads stable first', () => {
    // Act
    const text = formatWeights({ stable: 90, canary: 10 });

    // Assess
    expect(text).toBe('stable 90 / canary 10');
  });

  it.each<[Weights, string]>([
    [{ stable: 999, canary: 1 }, 'stable 999 / canary 1 (0.1% on the canary)'],
    [{ stable: 1, canary: 1 }, 'stable 1 / canary 1 (50% on the canary)'],
    [{ stable: 0, canary: 0 }, 'stable 0 / canary 0 (no traffic routed)'],
  ])('prints raw weights %j with the canary share when they do not add up to 100', (w, expected) => {
    // Act
    const text = formatWeights(w);

    // Assess
    expect(text).toBe(expected);
  });
});

describe('assertPlanWeights', () => {
  it.each<Weights>([STABLE_ONLY, { stable: 0, canary: 100 }, { stable: 37, canary: 63 }])('accepts %j', (w) => {
    // Act
    const act = () => assertPlanWeights(w);

    // Assess
    expect(act).not.toThrow();
  });

  it.each<[Weights, string[]]>([
    [{ stable: 0, canary: 0 }, ['weights must add up to 100, got stable 0 / canary 0 (0)']],
    [{ stable: 90, canary: 20 }, ['weights must add up to 100, got stable 90 / canary 20 (110)']],
    [{ stable: 101, canary: -1 }, ['the stable weight must be an integer from 0 to 100, got 101', 'the canary weight must be an integer from 0 to 100, got -1']],
    [{ stable: 89.5, canary: 10.5 }, ['the stable weight must be an integer from 0 to 100, got 89.5', 'the canary weight must be an integer from 0 to 100, got 10.5']],
  ])('rejects %j', (w, problems) => {
    // Act
    let error: unknown;
    try {
      assertPlanWeights(w);
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).problems).toEqual(problems);
  });
});
