import { nextShiftFollowsAtOnce, type BetweenSteps } from '../../lambda/domain/next-shift';
import type { PlanStep } from '../../lambda/domain/types';

const step = (index: number, approvalBefore = false): PlanStep => ({ index, weight: (index + 1) * 25, bakeSeconds: 600, approvalBefore, timeoutSeconds: 900 });
const NOTHING: BetweenSteps = { windowGate: false, afterStepHook: false };
const FOUR = [step(0), step(1), step(2), step(3)];

describe('nextShiftFollowsAtOnce', () => {
  it.each<[string, PlanStep[], number, PlanStep, BetweenSteps | undefined, boolean]>([
    ['a middle step with nothing between steps', FOUR, 4, FOUR[1]!, NOTHING, true],
    ['the step before the last', FOUR, 4, FOUR[2]!, NOTHING, true],
    ['the last step: the promotion follows', FOUR, 4, FOUR[3]!, NOTHING, false],
    ['a step whose next step waits for an approval', [step(0), step(1, true)], 2, step(0), NOTHING, false],
    ['a step whose own approval was before it', [step(0, true), step(1)], 2, step(0, true), NOTHING, true],
    ['a window gate between steps', FOUR, 4, FOUR[0]!, { windowGate: true, afterStepHook: false }, false],
    ['an afterStep hook between steps', FOUR, 4, FOUR[0]!, { windowGate: false, afterStepHook: true }, false],
    ['a definition that says nothing about what it runs between steps', FOUR, 4, FOUR[0]!, undefined, false],
    ['stepCount ending the loop before the plan does (MoreSteps? reads stepCount)', FOUR, 2, FOUR[1]!, NOTHING, false],
    ['a stepCount past the plan', [step(0)], 2, step(0), NOTHING, false],
  ])('%s', (_label, steps, stepCount, current, between, expected) => {
    // Act
    const follows = nextShiftFollowsAtOnce({ steps }, stepCount, current, between);

    // Assess
    expect(follows).toBe(expected);
  });
});
