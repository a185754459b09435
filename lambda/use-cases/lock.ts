import { ValidationFailedError } from '../errors';
import { formatWeights } from '../domain/weights';
import { DEFAULT_MAX_ROLLOUT_SECONDS, type RolloutRecord, type Weights } from '../domain/types';
import { safetyScheduleName } from '../domain/naming';
import { rolloutEvent, RolloutEventTypes } from '../domain/rollout-events';
import type { BakeTimer, Clock, RolloutEvents, RolloutStore, TrafficRouter } from '../ports';
import { countEvent, logger } from '../shared/observability';
import { announce } from './announce';
import { fenceOf, heldRecord, type RolloutContext } from './context';
import { openTesterRoute } from './tester-route';

/** The lock outlives the state machine's timeout by this much, so cleanup runs before a takeover. */
const LOCK_GRACE_SECONDS = 3600;

/**
 * Takes the traffic target for this execution and records where traffic stood. The weights are
 * read again after the lock is held: Validate ran before the lock, so only this read is authoritative.
 * The safety schedule is created with the lock and lives exactly as long: it sweeps this rollout if
 * its status event is lost, and nothing runs between rollouts.
 */
export async function acquireLock(
  deps: { store: RolloutStore; router: TrafficRouter; timer: BakeTimer; clock: Clock; events?: RolloutEvents },
  rollout: RolloutContext,
): Promise<{ startWeights: Weights }> {
  const now = deps.clock.now();
  const { target } = rollout;
  // One read gives both the start weights and whether the canary must be attached.
  const { weights: startWeights, canaryAttached } = await deps.router.readTraffic(target.traffic);
  const record: RolloutRecord = {
    targetKey: rollout.targetKey,
    executionArn: rollout.executionArn,
    service: target.service,
    phase: 'locked',
    startedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + (target.timing.maxRolloutSeconds ?? DEFAULT_MAX_ROLLOUT_SECONDS) + LOCK_GRACE_SECONDS,
    target,
    request: rollout.request,
    startWeights,
    lastWrittenWeights: startWeights,
    generation: 0,
    safetySchedule: safetyScheduleName(rollout.targetKey, rollout.executionArn),
  };
  await deps.store.acquire(record, now);
  // A retried Lock finds the record its first attempt wrote, perhaps with a later generation.
  const held = await heldRecord(deps.store, rollout);
  const fence = fenceOf(deps.store, held);
  await fence();
  await deps.timer.scheduleSweep(held.safetySchedule ?? record.safetySchedule!, {
    kind: 'safety',
    executionArn: rollout.executionArn,
    targetKey: rollout.targetKey,
    traffic: target.traffic,
  });
  // Raw weights: a canary at 1 of 1000 has traffic; a stable at 0 carries none.
  if (startWeights.canary !== 0 || startWeights.stable === 0) {
    // Held now, so the rollback that follows this error is ours to run.
    throw new ValidationFailedError(
      startWeights.canary !== 0
        ? `the canary target group has traffic at the start (${formatWeights(startWeights)})`
        : `the stable target group has weight 0 at the start (${formatWeights(startWeights)}); give it the traffic before a rollout`,
    );
  }
  if (!canaryAttached && (await deps.router.attachCanary(target.traffic, fence))) {
    logger.info('attached the canary side at weight 0 so it is health-checked before it gets traffic');
  }
  // Requests with the tester header reach the canary from now on; every revert and Finish remove the route.
  await openTesterRoute(deps.router, target.traffic, fence);
  countEvent('RolloutsStarted', target.service);
  await announce(
    deps.events,
    rolloutEvent(RolloutEventTypes.started, { target, executionArn: rollout.executionArn, request: rollout.request, weights: startWeights }),
  );
  return { startWeights };
}

/**
 * Deletes a rollout's safety schedule once its lock is released. Best effort: the rollout is over
 * either way, and a schedule left behind deletes itself at its next run (it finds no record of its
 * execution), so a Scheduler outage here must not fail a promoted or rolled-back rollout.
 */
export async function dropSafetySchedule(timer: BakeTimer, name: string): Promise<void> {
  try {
    await timer.cancel(name);
  } catch (error) {
    logger.warn('could not delete the safety schedule; it deletes itself at its next run', { schedule: name, error: error as Error });
  }
}
