import { DriftDetectedError, NoHealthyTargetsError } from '../errors';
import { canaryWeights, formatWeights, sameWeights } from '../domain/weights';
import type { PlanStep, TargetConfig, Weights } from '../domain/types';
import type { RolloutStore, TrafficRouter } from '../ports';
import { countEvent, logger } from '../shared/observability';
import { heldRecord, type RolloutContext } from './context';

/**
 * Writes the weights of one step. The live weights must be the ones serinus last wrote: anything
 * else means someone else is steering (drift). A retried invocation that finds its own weights
 * already live writes nothing.
 */
export async function shiftWeight(
  deps: { store: RolloutStore; router: TrafficRouter },
  rollout: RolloutContext,
  step: PlanStep,
): Promise<{ weights: Weights }> {
  const { traffic } = rollout.target;
  const record = await heldRecord(deps.store, rollout);
  const wanted = canaryWeights(step.weight);

  const healthy = await deps.router.healthyTargets(traffic.canaryTargetGroupArn);
  if (healthy === 0) {
    throw new NoHealthyTargetsError(`the canary target group has no healthy targets; refusing to send it ${step.weight}% of traffic`);
  }

  const live = await deps.router.readWeights(traffic);
  if (!sameWeights(live, wanted)) {
    await writeGuarded(deps.router, rollout.target, wanted, record.lastWrittenWeights);
  }
  await deps.store.update(rollout.targetKey, rollout.executionArn, { phase: 'shifting', lastWrittenWeights: wanted });
  logger.info('weights shifted', { step: step.index, weights: formatWeights(wanted) });
  countEvent('WeightShifts', rollout.target.service);
  return { weights: wanted };
}

/** Writes weights under the drift policy. Used by steps and by the final return to stable. */
export async function writeGuarded(router: TrafficRouter, target: TargetConfig, wanted: Weights, lastWritten: Weights): Promise<Weights> {
  if (target.onDrift === 'revert') {
    const { applied } = await router.writeWeights(target.traffic, wanted, { expected: lastWritten });
    return applied;
  }
  const { previous, applied } = await router.writeWeights(target.traffic, wanted);
  if (!sameWeights(previous, lastWritten)) {
    logger.warn('adopted weights changed outside serinus', { found: formatWeights(previous), expected: formatWeights(lastWritten) });
  }
  return applied;
}

/** Drift check without a write, for the end of a bake. */
export async function assertNoDrift(router: TrafficRouter, target: TargetConfig, lastWritten: Weights): Promise<void> {
  if (target.onDrift !== 'revert') return;
  const live = await router.readWeights(target.traffic);
  if (!sameWeights(live, lastWritten)) {
    throw new DriftDetectedError(
      `the listener weights changed outside serinus during the bake: found ${formatWeights(live)}, serinus wrote ${formatWeights(lastWritten)}`,
    );
  }
}
