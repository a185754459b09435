import fc from 'fast-check';
import { parseRolloutInput } from '../../lambda/domain/input-schema';
import { planRollout } from '../../lambda/domain/planner';
import type { ApprovalMode, RolloutRequest, RolloutTiming, TargetConfig } from '../../lambda/domain/types';
import { targetConfig } from '../support/fixtures';

const preset = fc.oneof(
  fc.constant('AllAtOnce'),
  fc
    .tuple(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 1440 }), fc.constantFrom('Minutes', 'Minute'))
    .map(([x, y, unit]) => `Canary${x}Percent${y}${unit}`),
  fc
    .tuple(fc.integer({ min: 5, max: 99 }), fc.integer({ min: 1, max: 1440 }), fc.constantFrom('Minutes', 'Minute'))
    .map(([x, y, unit]) => `Linear${x}PercentEvery${y}${unit}`),
);

const explicitSteps = fc
  .uniqueArray(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 20 })
  .chain((weights) =>
    fc.tuple(...[...weights].sort((a, b) => a - b).map((weight) => fc.integer({ min: 0, max: 86_400 }).map((bakeSeconds) => ({ weight, bakeSeconds })))),
  );

/** Any execution input the schema accepts, with the strategy chosen by preset, by steps, or by default. */
const validInput = fc.record({
  how: fc.oneof(
    preset.map((strategy) => ({ strategy })),
    explicitSteps.map((steps) => ({ steps })),
    fc.constant({}),
  ),
  approval: fc.constantFrom<ApprovalMode>('none', 'beforeTraffic', 'beforePromote', 'everyStep'),
});

const timing = fc.record({
  settleSeconds: fc.integer({ min: 0, max: 600 }),
  readyTimeoutSeconds: fc.integer({ min: 1, max: 3600 }),
  pollSeconds: fc.integer({ min: 1, max: 60 }),
});

type ValidInput = typeof validInput extends fc.Arbitrary<infer T> ? T : never;

/** The Prepare every property shares: a target with the generated timing, and the generated input parsed against it. */
function targetAndRequest({ how, approval }: ValidInput, t: RolloutTiming): { target: TargetConfig; request: RolloutRequest } {
  const target = targetConfig({ timing: t });
  return { target, request: parseRolloutInput({ image: 'checkout:1.4.2', approval, ...how }, target) };
}

describe('planRollout properties', () => {
  it('keeps the requested steps, gives every bake a timeout past its bake and bounds the run by its bakes', () => {
    fc.assert(
      fc.property(validInput, timing, (input, t) => {
        // Prepare
        const { target, request } = targetAndRequest(input, t);

        // Act
        const plan = planRollout(request, target);

        // Assess
        const bakes = plan.steps.reduce((sum, s) => sum + s.bakeSeconds, 0);
        expect(plan.steps.map((s) => ({ weight: s.weight, bakeSeconds: s.bakeSeconds }))).toEqual(request.steps);
        expect(plan.steps.every((s) => s.timeoutSeconds >= s.bakeSeconds + 300)).toBe(true);
        expect(plan.maxDurationSeconds).toBeGreaterThan(bakes + 2 * t.readyTimeoutSeconds + (plan.steps.length + 1) * t.settleSeconds);
      }),
    );
  });
});
