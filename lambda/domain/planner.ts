/**
 * The rollout plan: the steps the workflow loops over and their time limits. The order of what a run
 * does is the workflow definition's (lib/workflow.ts); test/infra/definition.infra.ts checks it there.
 */
import { ValidationFailedError } from '../errors';
import type { PlanStep, RolloutPlan, RolloutRequest, TargetConfig } from './types';

/** The least slack a bake task gets past its bake before its timeout fires. */
export const MIN_BAKE_TIMEOUT_MARGIN_SECONDS = 300;
/** Per traffic write: the Lambda calls, the weight read-back and the health check. */
export const STEP_OVERHEAD_SECONDS = 60;
/** Validate, lock, the Deployment writes, scale-down and unlock, with room for a rollback. */
export const FIXED_OVERHEAD_SECONDS = 600;

/**
 * Turns a request into the plan the workflow runs.
 *
 * `maxDurationSeconds` bounds the execution's own work: both readiness waits (canary and
 * stable, each up to its timeout plus one poll), settle time after every traffic write
 * (each step's and the final shift to stable), every bake, and fixed overhead. It does NOT
 * count time spent waiting for approvals: a person may take any time, so an approval has no
 * bound to add; whoever uses the figure (lock expiry, execution timeout) must add its own
 * allowance when `approvalBefore`/`approvalBeforePromote` are set.
 *
 * @throws ValidationFailedError when the steps break the rules the schema enforces (a request
 *   built by hand rather than by `parseRolloutInput`).
 */
export function planRollout(request: RolloutRequest, target: TargetConfig): RolloutPlan {
  assertSteps(request);
  const { settleSeconds, readyTimeoutSeconds, pollSeconds } = target.timing;
  // The bake task's timeout is the last guard when no callback arrives; the margin covers the
  // schedule firing late and the callback Lambda, so it never races a healthy bake's end.
  const timeoutMargin = Math.max(MIN_BAKE_TIMEOUT_MARGIN_SECONDS, settleSeconds * 2);
  const steps: PlanStep[] = request.steps.map((step, index) => ({
    index,
    weight: step.weight,
    bakeSeconds: step.bakeSeconds,
    approvalBefore: request.approval === 'everyStep' || (request.approval === 'beforeTraffic' && index === 0),
    timeoutSeconds: step.bakeSeconds + timeoutMargin,
  }));
  const readiness = 2 * (readyTimeoutSeconds + pollSeconds);
  const trafficWrites = (steps.length + 1) * (settleSeconds + STEP_OVERHEAD_SECONDS);
  const bakes = steps.reduce((sum, step) => sum + step.bakeSeconds, 0);
  return {
    steps,
    approvalBeforePromote: request.approval === 'beforePromote' || request.approval === 'everyStep',
    maxDurationSeconds: readiness + trafficWrites + bakes + FIXED_OVERHEAD_SECONDS,
  };
}

function assertSteps(request: RolloutRequest): void {
  const problems: string[] = [];
  if (request.steps.length === 0) {
    problems.push('a plan needs at least one step');
  }
  request.steps.forEach((step, i) => {
    if (!Number.isInteger(step.weight) || step.weight < 1 || step.weight > 100) {
      problems.push(`steps[${i}].weight must be an integer from 1 to 100, got ${step.weight}`);
    }
    if (i > 0 && step.weight <= request.steps[i - 1].weight) {
      problems.push(`steps[${i}].weight must be greater than steps[${i - 1}].weight (${request.steps[i - 1].weight})`);
    }
    if (!Number.isInteger(step.bakeSeconds) || step.bakeSeconds < 0) {
      problems.push(`steps[${i}].bakeSeconds must be a whole number of seconds, got ${step.bakeSeconds}`);
    }
  });
  if (problems.length > 0) {
    throw new ValidationFailedError(problems);
  }
}
