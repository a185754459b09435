import { RolloutStuckError } from '../errors';
import type { DeploymentRef, TargetConfig } from '../domain/types';
import type { Clock, RolloutStore, TrafficRouter, Workloads } from '../ports';
import { logger } from '../shared/observability';
import { canaryRef, fenceOf, heldRecord, stableRef, type RolloutContext } from './context';

export interface ReadyResult {
  readonly ready: boolean;
  readonly message: string;
  /**
   * Healthy targets in the side's target group; 0 until the Deployment's rollout is complete (not
   * asked before); undefined when the router has no target-group view.
   */
  readonly healthyTargets?: number;
}

/**
 * Starts the candidate on the canary Deployment. The canary's previous state is recorded before it
 * changes, and only once, so a retried invocation cannot record the candidate as "previous".
 */
export async function deployCanary(
  deps: { store: RolloutStore; workloads: Workloads; router: TrafficRouter; clock: Clock },
  rollout: RolloutContext,
): Promise<{ since: string }> {
  const ref = canaryRef(rollout.target);
  const record = await heldRecord(deps.store, rollout);
  const fence = fenceOf(deps.store, record);
  const previousCanary = record.previousCanary ?? (await deps.workloads.snapshot(ref));
  // A router whose traffic follows ready pods keeps the canary at 0 until its first weight.
  const replicas = (await deps.router.canaryReplicasBeforeTraffic?.(rollout.target.traffic)) ?? rollout.target.workload.canaryReplicas;
  await fence();
  await deps.store.update(rollout.targetKey, rollout.executionArn, { phase: 'deploying-canary', previousCanary });
  await fence();
  await deps.workloads.setImages(ref, rollout.request.images);
  await fence();
  await deps.workloads.scale(ref, replicas);
  logger.info('canary deployment started', { deployment: ref.name, images: rollout.request.images, replicas });
  return { since: deps.clock.now().toISOString() };
}

/**
 * Promotes the candidate to the stable Deployment. Only a rollout whose every step passed its health
 * check gets here, and the record must say so: the stable Deployment never gets an unbaked image.
 */
export async function promoteStable(
  deps: { store: RolloutStore; workloads: Workloads; clock: Clock },
  rollout: RolloutContext,
): Promise<{ since: string }> {
  const ref = stableRef(rollout.target);
  const record = await heldRecord(deps.store, rollout);
  const lastStep = rollout.stepCount - 1;
  if ((record.healthyThroughStep ?? -1) < lastStep) {
    throw new RolloutStuckError(
      `refusing to promote: the record does not show step ${lastStep + 1} of ${rollout.stepCount} as healthy`,
    );
  }
  const fence = fenceOf(deps.store, record);
  const previousStable = record.previousStable ?? (await deps.workloads.snapshot(ref));
  await fence();
  // The promotion's approval, if it had one, is answered: the record no longer offers its token.
  await deps.store.update(rollout.targetKey, rollout.executionArn, { phase: 'promoting', previousStable }, ['waitingFor', 'approval']);
  await fence();
  await deps.workloads.setImages(ref, rollout.request.images);
  logger.info('stable deployment promoted', { deployment: ref.name, images: rollout.request.images });
  return { since: deps.clock.now().toISOString() };
}

/** One readiness poll: the Deployment's rollout and its target group's healthy targets. */
export async function checkReady(
  deps: { workloads: Workloads; router: TrafficRouter; clock: Clock },
  target: TargetConfig,
  which: 'canary' | 'stable',
  since: string,
): Promise<ReadyResult> {
  const ref: DeploymentRef = which === 'canary' ? canaryRef(target) : stableRef(target);
  const status = await deps.workloads.rolloutStatus(ref);
  if (status.failed) {
    throw new RolloutStuckError(`${which} deployment "${ref.name}" failed to roll out: ${status.message}`);
  }
  // ELBv2 Describe* calls share an account-wide token bucket: ask only once the pods are there.
  const healthyTargets = status.complete ? await deps.router.healthyTargets(target.traffic, which) : 0;
  const ready = status.complete && (healthyTargets === undefined || healthyTargets > 0);
  const message = !status.complete
    ? status.message
    : healthyTargets === undefined
      ? `${which} deployment "${ref.name}" is ready`
      : healthyTargets > 0
        ? `${which} deployment "${ref.name}" is ready with ${healthyTargets} healthy target(s)`
        : `${which} deployment "${ref.name}" is rolled out but its target group has no healthy targets yet`;
  if (!ready) {
    const elapsedSeconds = (deps.clock.now().getTime() - Date.parse(since)) / 1000;
    if (elapsedSeconds > target.timing.readyTimeoutSeconds) {
      throw new RolloutStuckError(
        `${which} deployment "${ref.name}" was not ready after ${Math.round(elapsedSeconds)} s (limit ${target.timing.readyTimeoutSeconds} s): ${message}`,
      );
    }
  }
  return { ready, message, ...(healthyTargets !== undefined && { healthyTargets }) };
}
