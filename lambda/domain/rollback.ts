/**
 * What a rollback must undo, read from the rollout record alone, so it can run from any state
 * (the workflow's Catch, the abort cleanup, the sweeper) and twice without harm.
 */
import { targetKey, type RolloutRecord } from './types';

/**
 * How the rollback ends the lock. `release`: the workflow's own Rollback, whose failed state has
 * returned, so nothing of this execution can still be running. `fence`: cleanup after a stop or a
 * timeout, when a handler may still be mid-call; the record stays ended until `reassertAt`, when
 * the revert is asserted again and the lock released.
 */
export type RollbackEnding = { readonly kind: 'release' } | { readonly kind: 'fence'; readonly reassertAt: string };

export interface RollbackPlan {
  /** Set only when promotion had started (the record holds the stable Deployment's previous images). */
  readonly restoreStable?: { readonly images: Record<string, string> };
  /**
   * Set when the canary Deployment was snapshotted before it was changed. `images` is set only
   * when the rollout changed them; `replicas` is what the canary had before.
   */
  readonly canary?: { readonly images?: Record<string, string>; readonly replicas: number };
  /**
   * The bake's EventBridge Scheduler schedule, so it cannot fire into a finished rollout. The bake's
   * task token needs nothing: a rollback runs only once no execution waits on it (the workflow's
   * own Rollback after the bake ended, cleanup and the sweeper after the execution ended).
   */
  readonly cancelSchedule?: string;
  readonly ending: RollbackEnding;
  /**
   * What will be undone after the traffic, in the order it is undone, for logs and the failure
   * cause. Traffic to stable comes before all of it and is not planned from the record: it is
   * written before the record is even read.
   */
  readonly steps: string[];
}

/**
 * Plans the undo that follows the traffic, in the order that matters: the record ended (so no
 * late handler writes again), the bake's schedule, the stable Deployment's images, the canary,
 * then the lock.
 */
export function planRollback(record: RolloutRecord, ending: RollbackEnding = { kind: 'release' }): RollbackPlan {
  const { workload } = record.target;
  const steps: string[] = ['end the rollout record, so no handler still running writes again'];
  const bake = record.bake;
  if (bake) {
    steps.push(`delete the bake schedule "${bake.scheduleName}"`);
  }

  let restoreStable: RollbackPlan['restoreStable'];
  if (record.previousStable) {
    restoreStable = { images: { ...record.previousStable.images } };
    steps.push(`restore the stable Deployment "${workload.stableDeployment}" to ${formatImages(restoreStable.images)}`);
  }

  let canary: RollbackPlan['canary'];
  if (record.previousCanary && ending.kind === 'fence') {
    // A handler still running may yet write the canary a weight: until the reassert, the canary
    // keeps its pods, so such a late write never sends traffic to a target group with none.
    steps.push(`keep the canary Deployment "${workload.canaryDeployment}" running until ${ending.reassertAt}, then roll it back`);
  } else if (record.previousCanary) {
    const images = changedImages(record.previousCanary.images, record.request.images);
    const replicas = record.previousCanary.replicas;
    canary = images ? { images, replicas } : { replicas };
    steps.push(
      images
        ? `roll the canary Deployment "${workload.canaryDeployment}" back to ${formatImages(images)} and scale it to ${replicas} replicas`
        : `scale the canary Deployment "${workload.canaryDeployment}" to ${replicas} replicas`,
    );
  }

  steps.push(
    ending.kind === 'release'
      ? `release the lock on ${targetKey(record.target.traffic)}`
      : `keep ${targetKey(record.target.traffic)} locked until ${ending.reassertAt}, when the revert is asserted again and the lock released`,
  );

  return {
    ...(restoreStable && { restoreStable }),
    ...(canary && { canary }),
    ...(bake && { cancelSchedule: bake.scheduleName }),
    ending,
    steps,
  };
}

/**
 * The previous images of the containers this rollout set, when any of them differ from what
 * it set. Other containers were never touched, so they are left alone; a container the
 * snapshot lacks has nothing to go back to.
 */
function changedImages(previous: Record<string, string>, requested: Record<string, string>): Record<string, string> | undefined {
  const restore = Object.fromEntries(
    Object.keys(requested)
      .filter((container) => previous[container] !== undefined && previous[container] !== requested[container])
      .map((container) => [container, previous[container]]),
  );
  return Object.keys(restore).length > 0 ? restore : undefined;
}

function formatImages(images: Record<string, string>): string {
  return Object.entries(images)
    .map(([container, image]) => `${container}=${image}`)
    .join(', ');
}
