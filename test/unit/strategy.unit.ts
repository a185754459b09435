import { ValidationFailedError } from '../../lambda/errors';
import { describeSteps, formatDuration, parseStrategy, tryParseStrategy } from '../../lambda/domain/strategy';
import type { StepSpec } from '../../lambda/domain/types';

describe('parseStrategy', () => {
  it.each<[string, StepSpec[]]>([
    ['AllAtOnce', [{ weight: 100, bakeSeconds: 0 }]],
    ['Canary10Percent5Minutes', [{ weight: 10, bakeSeconds: 300 }, { weight: 100, bakeSeconds: 0 }]],
    ['Canary1Percent1Minute', [{ weight: 1, bakeSeconds: 60 }, { weight: 100, bakeSeconds: 0 }]],
    ['Canary99Percent1440Minutes', [{ weight: 99, bakeSeconds: 86_400 }, { weight: 100, bakeSeconds: 0 }]],
    [
      'Linear25PercentEvery3Minutes',
      [
        { weight: 25, bakeSeconds: 180 },
        { weight: 50, bakeSeconds: 180 },
        { weight: 75, bakeSeconds: 180 },
        { weight: 100, bakeSeconds: 0 },
      ],
    ],
    [
      'Linear30PercentEvery1Minute',
      [
        { weight: 30, bakeSeconds: 60 },
        { weight: 60, bakeSeconds: 60 },
        { weight: 90, bakeSeconds: 60 },
        { weight: 100, bakeSeconds: 0 },
      ],
    ],
    ['Linear50PercentEvery2Minutes', [{ weight: 50, bakeSeconds: 120 }, { weight: 100, bakeSeconds: 0 }]],
    ['Linear99PercentEvery1Minute', [{ weight: 99, bakeSeconds: 60 }, { weight: 100, bakeSeconds: 0 }]],
  ])('expands %s', (name, expected) => {
    // Act
    const steps = parseStrategy(name);

    // Assess
    expect(steps).toEqual(expected);
  });

  it('expands Linear10PercentEvery1Minute into ten steps ending at 100 with no bake', () => {
    // Act
    const steps = parseStrategy('Linear10PercentEvery1Minute');

    // Assess
    expect(steps.map((s) => s.weight)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(steps.slice(0, -1).every((s) => s.bakeSeconds === 60)).toBe(true);
    expect(steps[steps.length - 1].bakeSeconds).toBe(0);
  });

  it.each<[string, RegExp]>([
    ['Canary0Percent5Minutes', /percent must be from 1 to 99 \(got 0\)/],
    ['Canary100Percent5Minutes', /percent must be from 1 to 99 \(got 100\)/],
    ['Canary10Percent0Minutes', /minutes must be from 1 to 1440 \(got 0\)/],
    ['Linear10PercentEvery1441Minutes', /minutes must be from 1 to 1440 \(got 1441\)/],
    ['Linear0PercentEvery0Minutes', /percent must be from 1 to 99 \(got 0\) and its minutes must be from 1 to 1440 \(got 0\)/],
    ['BlueGreen', /"BlueGreen" is not a known preset; accepted forms: CanaryXPercentYMinutes .*LinearXPercentEveryYMinutes .*AllAtOnce/],
    ['', /"" is not a known preset; accepted forms/],
    ['Canary10Percent', /accepted forms/],
    ['canary10percent5minutes', /did you mean "Canary10Percent5Minutes"\?/],
    ['CodeDeployDefault.ECSLinear10PercentEvery1Minutes', /did you mean "Linear10PercentEvery1Minute"\?/],
    ['CodeDeployDefault.LambdaCanary10Percent5Minutes', /did you mean "Canary10Percent5Minutes"\?/],
    ['allatonce', /did you mean "AllAtOnce"\?/],
  ])('rejects %j', (name, message) => {
    // Act
    const act = () => parseStrategy(name);

    // Assess
    expect(act).toThrow(ValidationFailedError);
    expect(act).toThrow(message);
  });

  it('names the field in the thrown problem', () => {
    // Act
    const act = () => parseStrategy('Nope');

    // Assess
    expect(act).toThrow(/^strategy "Nope" is not a known preset/);
  });

  it('reports a problem without throwing through tryParseStrategy', () => {
    // Act
    const parsed = tryParseStrategy('Canary0Percent5Minutes');

    // Assess
    expect(parsed).toEqual({ ok: false, problem: expect.stringMatching(/out of range/) });
  });
});

describe('describeSteps', () => {
  it.each<[StepSpec[], string]>([
    [[{ weight: 10, bakeSeconds: 300 }, { weight: 100, bakeSeconds: 0 }], '10%·5m → 100%'],
    [[{ weight: 100, bakeSeconds: 0 }], '100%'],
    [[{ weight: 5, bakeSeconds: 90 }, { weight: 50, bakeSeconds: 3600 }, { weight: 100, bakeSeconds: 3661 }], '5%·1m30s → 50%·1h → 100%·1h1m1s'],
  ])('describes %j as %s', (steps, expected) => {
    // Act
    const text = describeSteps(steps);

    // Assess
    expect(text).toBe(expected);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [45, '45s'],
    [60, '1m'],
    [7200, '2h'],
    [86_400, '24h'],
  ])('formats %d seconds as %s', (seconds, expected) => {
    // Act
    const text = formatDuration(seconds);

    // Assess
    expect(text).toBe(expected);
  });
});

describe('step limit', () => {
  it.each([
    ['Linear1PercentEvery1Minute', 100],
    ['Linear4PercentEvery2Minutes', 25],
  ])('refuses %s, which expands to %i steps', (name, count) => {
    // Act
    const parse = () => parseStrategy(name);

    // Assess
    expect(parse).toThrow(new RegExp(`expands to ${count} steps, more than the 20 a rollout may have; use at least 5 percent per step`));
  });

  it('accepts Linear5PercentEvery1Minute, exactly 20 steps', () => {
    // Act
    const steps = parseStrategy('Linear5PercentEvery1Minute');

    // Assess
    expect(steps).toHaveLength(20);
  });
});
