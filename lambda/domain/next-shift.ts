/**
 * Whether the next step's ShiftWeight follows a step's CheckHealth at once, as the workflow
 * definition (lib/workflow.ts) decides it: its `MoreSteps?` Choice compares the cursor (the step's
 * index + 1) with `stepCount`, `SelectStep` takes that plan step, `ApproveStep?` reads its
 * `approvalBefore`; the states the definition adds between steps only when the construct configures
 * them (a deployment-window gate, an afterStep hook) it names in CheckHealth's input.
 */
import type { PlanStep } from './types';

/** What the definition runs between a step's CheckHealth and the next step's ShiftWeight, besides its loop. */
export interface BetweenSteps {
  /** The AwaitStepWindow gate (the construct has a deployment calendar). */
  readonly windowGate: boolean;
  /** An afterStep lifecycle hook. */
  readonly afterStepHook: boolean;
}

/**
 * @param between what the definition says it runs between steps; unknown (undefined) counts as a
 *   wait, so a caller that does not know never skips a check.
 */
export function nextShiftFollowsAtOnce(
  plan: { readonly steps: readonly PlanStep[] },
  stepCount: number,
  step: PlanStep,
  between: BetweenSteps | undefined,
): boolean {
  if (!between || between.windowGate || between.afterStepHook) return false;
  const cursor = step.index + 1;
  // MoreSteps?: the loop ends at stepCount, whatever else the plan holds.
  if (!(cursor < stepCount)) return false;
  // SelectStep, then ApproveStep?.
  const next = plan.steps[cursor];
  return next !== undefined && !next.approvalBefore;
}
