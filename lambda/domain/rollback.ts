/**
 * What a rollback must undo, read from the rollout record alone, so it can run from any state
 * (the workflow's Catch, the abort cleanup, the sweeper) and twice without harm.
 */
import { STABLE_ONLY, targetKey, type RolloutRecord, type Weights } from './types';
import { formatWeights } from './weights';

export interface RollbackPlan {
  /** Always stable only: invariant 1 holds whatever else fails. */
  readonly weights: Weights;
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
  readonly releaseLock: true;
  /** What will be undone, in the order it is undone, for logs and the failure cause. */
  readonly steps: string[];
}

/**
 * Plans the undo, in the order that matters: traffic to stable first (so users leave the
 * canary before anything else moves), then the stable Deployment's images, then the canary,
 * then the bake's schedule and token, then the lock.
 */
export function planRollback(record: RolloutRecord): RollbackPlan {
  const { workload } = record.target;
  const steps: string[] = [`shift all traffic to the stable target group (${formatWeights(STABLE_ONLY)})`];

  let restoreStable: RollbackPlan['restoreStable'];
  if (record.previousStable) {
    restoreStable = { images: { ...record.previousStable.images } };
    steps.push(`restore the stable Deployment "${workload.stableDeployment}" to ${formatImages(restoreStable.images)}`);
  }

  let canary: RollbackPlan['canary'];
  if (record.previousCanary) {
    const images = changedImages(record.previousCanary.images, record.request.images);
    const replicas = record.previousCanary.replicas;
    canary = images ? { images, replicas } : { replicas };
    steps.push(
      images
        ? `roll the canary Deployment "${workload.canaryDeployment}" back to ${formatImages(images)} and scale it to ${replicas} replicas`
        : `scale the canary Deployment "${workload.canaryDeployment}" to ${replicas} replicas`,
    );
  }

  const bake = record.bake;
  if (bake) {
    steps.push(`delete the bake schedule "${bake.scheduleName}"`);
  }
  steps.push(`release the lock on ${targetKey(record.target.traffic)}`);

  return {
    weights: STABLE_ONLY,
    ...(restoreStable && { restoreStable }),
    ...(canary && { canary }),
    ...(bake && { cancelSchedule: bake.scheduleName }),
    releaseLock: true,
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
