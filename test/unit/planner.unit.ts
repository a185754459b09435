import { ValidationFailedError } from '../../lambda/errors';
import { planRollout } from '../../lambda/domain/planner';
import type { ApprovalMode, RolloutRequest, RolloutTiming, StepSpec } from '../../lambda/domain/types';
import { rolloutRequest, targetConfig } from '../support/fixtures';

const TIMING: RolloutTiming = { settleSeconds: 15, readyTimeoutSeconds: 600, pollSeconds: 10 };

function requestWith(steps: StepSpec[], approval: ApprovalMode = 'none'): RolloutRequest {
  return rolloutRequest({ steps, strategyName: 'custom', approval });
}

const CANARY_10_5: StepSpec[] = [
  { weight: 10, bakeSeconds: 300 },
  { weight: 100, bakeSeconds: 0 },
];

describe('planRollout', () => {
  it('numbers the steps and gives each bake a timeout of bake plus at least five minutes', () => {
    // Act
    const plan = planRollout(requestWith(CANARY_10_5), targetConfig({ timing: TIMING }));

    // Assess
    expect(plan).toEqual({
      steps: [
        { index: 0, weight: 10, bakeSeconds: 300, approvalBefore: false, timeoutSeconds: 600 },
        { index: 1, weight: 100, bakeSeconds: 0, approvalBefore: false, timeoutSeconds: 300 },
      ],
      approvalBeforePromote: false,
      // 2 × (600 ready + 10 poll) + 3 traffic writes × (15 settle + 60) + 300 bake + 600 fixed
      maxDurationSeconds: 1220 + 225 + 300 + 600,
    });
  });

  it('widens the bake timeout margin to twice the settle time when that is longer', () => {
    // Act
    const plan = planRollout(requestWith(CANARY_10_5), targetConfig({ timing: { ...TIMING, settleSeconds: 200 } }));

    // Assess
    expect(plan.steps.map((s) => s.timeoutSeconds)).toEqual([700, 400]);
  });

  it('does not count approvals in the maximum duration', () => {
    // Act
    const without = planRollout(requestWith(CANARY_10_5, 'none'), targetConfig({ timing: TIMING }));
    const withApprovals = planRollout(requestWith(CANARY_10_5, 'everyStep'), targetConfig({ timing: TIMING }));

    // Assess
    expect(withApprovals.maxDurationSeconds).toBe(without.maxDurationSeconds);
  });

  it.each<[ApprovalMode, boolean[], boolean]>([
    ['none', [false, false, false], false],
    ['beforeTraffic', [true, false, false], false],
    ['beforePromote', [false, false, false], true],
    ['everyStep', [true, true, true], true],
  ])('places %s approvals', (approval, before, beforePromote) => {
    // Prepare
    const steps = [
      { weight: 5, bakeSeconds: 60 },
      { weight: 50, bakeSeconds: 60 },
      { weight: 100, bakeSeconds: 0 },
    ];

    // Act
    const plan = planRollout(requestWith(steps, approval), targetConfig({ timing: TIMING }));

    // Assess
    expect(plan.steps.map((s) => s.approvalBefore)).toEqual(before);
    expect(plan.approvalBeforePromote).toBe(beforePromote);
  });

  it.each<[string, StepSpec[], string[]]>([
    ['no steps', [], ['a plan needs at least one step']],
    ['a weight over 100', [{ weight: 101, bakeSeconds: 0 }], ['steps[0].weight must be an integer from 1 to 100, got 101']],
    ['a falling weight', [{ weight: 50, bakeSeconds: 0 }, { weight: 40, bakeSeconds: 0 }], ['steps[1].weight must be greater than steps[0].weight (50)']],
    ['a negative bake', [{ weight: 50, bakeSeconds: -1 }], ['steps[0].bakeSeconds must be a whole number of seconds, got -1']],
  ])('rejects a hand-built request with %s', (_label, steps, problems) => {
    // Act
    let error: unknown;
    try {
      planRollout(requestWith(steps), targetConfig({ timing: TIMING }));
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).problems).toEqual(problems);
  });
});
