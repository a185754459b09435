import { ValidationFailedError } from '../errors';
import { formatWeights } from '../domain/weights';
import { DEFAULT_MAX_ROLLOUT_SECONDS, type RolloutRecord, type Weights } from '../domain/types';
import type { Clock, RolloutStore, TrafficRouter } from '../ports';
import { countEvent, logger } from '../shared/observability';
import type { RolloutContext } from './context';

/** The lock outlives the state machine's timeout by this much, so cleanup runs before a takeover. */
const LOCK_GRACE_SECONDS = 3600;

/**
 * Takes the traffic target for this execution and records where traffic stood. The weights are
 * read again after the lock is held: Validate ran before the lock, so only this read is authoritative.
 */
export async function acquireLock(
  deps: { store: RolloutStore; router: TrafficRouter; clock: Clock },
  rollout: RolloutContext,
): Promise<{ startWeights: Weights }> {
  const now = deps.clock.now();
  const { target } = rollout;
  const startWeights = await deps.router.readWeights(target.traffic);
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
  };
  await deps.store.acquire(record, now);
  if (startWeights.canary !== 0) {
    // Held now, so the rollback that follows this error is ours to run.
    throw new ValidationFailedError(`the canary target group has traffic at the start (${formatWeights(startWeights)})`);
  }
  if (await deps.router.attachCanary(target.traffic)) {
    logger.info('attached the canary target group at weight 0 so the load balancer health-checks it');
  }
  countEvent('RolloutsStarted', target.service);
  return { startWeights };
}
