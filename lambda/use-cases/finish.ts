import { STABLE_ONLY, type Weights } from '../domain/types';
import { sameWeights } from '../domain/weights';
import { safetyScheduleName } from '../domain/naming';
import { rolloutEvent, RolloutEventTypes } from '../domain/rollout-events';
import type { BakeTimer, RolloutEvents, RolloutStore, TrafficRouter, Workloads } from '../ports';
import { countEvent, logger } from '../shared/observability';
import { announce, weightChanged } from './announce';
import { assertHeld, canaryRef, fenceOf, type RolloutContext } from './context';
import { dropSafetySchedule } from './lock';
import { closeTesterRoute } from './tester-route';
import { writeGuarded } from './traffic';

export interface FinishResult {
  readonly result: 'promoted';
  readonly weights: Weights;
  readonly images: Record<string, string>;
  readonly canaryReplicas: number | 'kept';
}

/** Traffic back to the (now promoted) stable Deployment, canary down, lock and safety schedule released. */
export async function finishRollout(
  deps: { store: RolloutStore; router: TrafficRouter; workloads: Workloads; timer: BakeTimer; events?: RolloutEvents },
  rollout: RolloutContext,
): Promise<FinishResult> {
  const keep = rollout.request.afterPromotion === 'keepCanary';
  const done: FinishResult = { result: 'promoted', weights: STABLE_ONLY, images: rollout.request.images, canaryReplicas: keep ? 'kept' : 0 };
  const safetySchedule = safetyScheduleName(rollout.targetKey, rollout.executionArn);
  const found = await deps.store.get(rollout.targetKey);
  if (found?.executionArn !== rollout.executionArn) {
    // A retried Finish whose first run released the lock: traffic is on stable (raw 100/0, nothing
    // on the canary), only the safety schedule may be left.
    const live = await deps.router.readWeights(rollout.target.traffic);
    if (sameWeights(live, STABLE_ONLY)) {
      await closeTesterRoute(deps.router, rollout.target.traffic);
      await dropSafetySchedule(deps.timer, safetySchedule);
      return done;
    }
  }
  // The record read above, checked: a second read would only cost a request.
  const record = assertHeld(found, rollout);
  const fence = fenceOf(deps.store, record);
  await fence();
  await deps.store.update(rollout.targetKey, rollout.executionArn, { phase: 'finishing' });
  // Raw: an operator's 999/1 is not 100/0, so it is written (and drift-checked), never skipped. The
  // write's own read decides: one read, the write, the read-back.
  await writeGuarded(deps.router, rollout.target, STABLE_ONLY, record.lastWrittenWeights, fence, async (live) =>
    sameWeights(live, STABLE_ONLY) ? undefined : STABLE_ONLY,
  );
  await closeTesterRoute(deps.router, rollout.target.traffic);
  await fence();
  await deps.store.update(rollout.targetKey, rollout.executionArn, { lastWrittenWeights: STABLE_ONLY });
  if (!keep) {
    await fence();
    await deps.workloads.scale(canaryRef(rollout.target), 0);
  }
  await fence();
  await deps.store.release(rollout.targetKey, rollout.executionArn);
  await dropSafetySchedule(deps.timer, record.safetySchedule ?? safetySchedule);
  logger.info('rollout promoted', { images: rollout.request.images });
  countEvent('RolloutsPromoted', rollout.target.service);
  weightChanged(rollout.target.service, STABLE_ONLY);
  await announce(
    deps.events,
    rolloutEvent(RolloutEventTypes.promoted, {
      target: rollout.target,
      executionArn: rollout.executionArn,
      request: rollout.request,
      weights: STABLE_ONLY,
      ...(record.previousStable && { previousStable: record.previousStable.images }),
    }),
  );
  return done;
}

