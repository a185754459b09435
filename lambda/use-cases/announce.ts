import type { RolloutEvent } from '../domain/rollout-events';
import type { Weights } from '../domain/types';
import type { RolloutEvents } from '../ports';
import { logger, recordCanaryWeight } from '../shared/observability';

/**
 * Publishes a rollout event, best effort: an event is news about the rollout, never a step of it,
 * so a bus that refuses or times out is logged and the rollout (or its rollback) goes on.
 */
export async function announce(events: RolloutEvents | undefined, event: RolloutEvent): Promise<void> {
  if (!events) return;
  try {
    await events.publish(event);
  } catch (error) {
    logger.warn('could not publish the rollout event; the rollout goes on', {
      detailType: event.detailType,
      executionArn: event.detail.executionArn,
      error: error as Error,
    });
  }
}

/** The canary's percentage of the traffic, for the CanaryWeight metric. */
export function canaryPercent(weights: Weights): number {
  const total = weights.stable + weights.canary;
  return total === 0 ? 0 : Math.round((weights.canary * 10_000) / total) / 100;
}

/** Writes the CanaryWeight metric (never throws: a metric must not fail a step). */
export function weightChanged(service: string, weights: Weights): void {
  try {
    recordCanaryWeight(service, canaryPercent(weights));
  } catch (error) {
    logger.warn('could not record the CanaryWeight metric', { error: error as Error });
  }
}
