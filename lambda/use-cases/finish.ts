import { STABLE_ONLY, type Weights } from '../domain/types';
import { sameWeights } from '../domain/weights';
import type { RolloutStore, TrafficRouter, Workloads } from '../ports';
import { countEvent, logger } from '../shared/observability';
import { canaryRef, heldRecord, type RolloutContext } from './context';
import { writeGuarded } from './traffic';

export interface FinishResult {
  readonly result: 'promoted';
  readonly weights: Weights;
  readonly images: Record<string, string>;
  readonly canaryReplicas: number | 'kept';
}

/** Traffic back to the (now promoted) stable Deployment, canary down, lock released. */
export async function finishRollout(
  deps: { store: RolloutStore; router: TrafficRouter; workloads: Workloads },
  rollout: RolloutContext,
): Promise<FinishResult> {
  const keep = rollout.request.afterPromotion === 'keepCanary';
  const done: FinishResult = { result: 'promoted', weights: STABLE_ONLY, images: rollout.request.images, canaryReplicas: keep ? 'kept' : 0 };
  const record = await deps.store.get(rollout.targetKey);
  if (record?.executionArn !== rollout.executionArn) {
    // A retried Finish whose first run completed: the lock is gone and traffic is on stable.
    const live = await deps.router.readWeights(rollout.target.traffic);
    if (sameWeights(live, STABLE_ONLY)) return done;
    await heldRecord(deps.store, rollout);
  }
  await deps.store.update(rollout.targetKey, rollout.executionArn, { phase: 'finishing' });
  const live = await deps.router.readWeights(rollout.target.traffic);
  if (!sameWeights(live, STABLE_ONLY)) {
    await writeGuarded(deps.router, rollout.target, STABLE_ONLY, record!.lastWrittenWeights);
  }
  await deps.store.update(rollout.targetKey, rollout.executionArn, { lastWrittenWeights: STABLE_ONLY });
  if (!keep) await deps.workloads.scale(canaryRef(rollout.target), 0);
  await deps.store.release(rollout.targetKey, rollout.executionArn);
  logger.info('rollout promoted', { images: rollout.request.images });
  countEvent('RolloutsPromoted', rollout.target.service);
  return done;
}
