import type { Clock, RolloutStore, Workloads } from '../ports';
import { logger } from '../shared/observability';
import { fenceOf, heldRecord, stableRef, type RolloutContext } from './context';

export interface RestoreResult {
  /** Whether the stable Deployment got images back; false when promotion never changed it. */
  readonly restored: boolean;
  /** ISO time the restore was written: the readiness poll's timeout counts from here. */
  readonly since: string;
  readonly images: Record<string, string>;
}

/**
 * A promotion failed: puts the stable Deployment's previous images back (only the containers this
 * rollout set) while traffic stays where it is. The canary passed every bake and keeps serving until
 * stable is ready again; only then does Rollback move the traffic. Idempotent: it writes what the
 * record's snapshot holds, however often it runs.
 */
export async function restoreStable(
  deps: { store: RolloutStore; workloads: Workloads; clock: Clock },
  rollout: RolloutContext,
): Promise<RestoreResult> {
  const record = await heldRecord(deps.store, rollout);
  const since = deps.clock.now().toISOString();
  const previous = record.previousStable?.images ?? {};
  const images = Object.fromEntries(
    Object.keys(rollout.request.images)
      .filter((container) => previous[container] !== undefined)
      .map((container) => [container, previous[container]]),
  );
  if (Object.keys(images).length === 0) {
    logger.info('nothing to restore: promotion did not change the stable deployment');
    return { restored: false, since, images };
  }
  const ref = stableRef(rollout.target);
  // A stopped execution's cleanup may have ended the record while this ran: write only while it is ours.
  await fenceOf(deps.store, record)();
  await deps.workloads.setImages(ref, images);
  logger.warn('stable deployment restored after a failed promotion', { deployment: ref.name, images });
  return { restored: true, since, images };
}
