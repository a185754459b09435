import { CanaryUnhealthyError, DriftDetectedError, NoHealthyTargetsError, ValidationFailedError } from '../errors';
import { judgeHealth } from '../domain/health';
import { canaryWeights, formatWeights, sameWeights } from '../domain/weights';
import type { PlanStep, TargetConfig, Weights } from '../domain/types';
import { rolloutEvent, RolloutEventTypes } from '../domain/rollout-events';
import type { AchievedSplit, Clock, Fence, HealthSignals, RolloutEvents, RolloutStore, TrafficRouter, WriteWeightsResult } from '../ports';
import { countEvent, logger } from '../shared/observability';
import { announce, weightChanged } from './announce';
import { fenceOf, heldRecord, type RolloutContext } from './context';

/**
 * Writes the weights of one step. The live weights must be the ones serinus last wrote: anything
 * else means someone else is steering (drift). A retried invocation that finds its own weights
 * already live writes nothing. Before any weight increase the alarms are read: an alarm in ALARM
 * means the canary gets no more traffic.
 *
 * With `onDrift: 'adopt'` the rollout carries on from weights someone else set: when the canary
 * already has at least this step's share of the traffic, nothing is written and the step bakes at
 * the live weights; otherwise the step's weights are written as planned.
 */
export async function shiftWeight(
  deps: { store: RolloutStore; router: TrafficRouter; health: HealthSignals; clock: Clock; events?: RolloutEvents },
  rollout: RolloutContext,
  step: PlanStep,
): Promise<{ weights: Weights; achieved?: AchievedSplit }> {
  const { traffic } = rollout.target;
  const record = await heldRecord(deps.store, rollout);
  const fence = fenceOf(deps.store, record);
  let wanted = canaryWeights(step.weight);

  // Routers without a target-group view (undefined) verify the canary's pods in their own write.
  const healthy = await deps.router.healthyTargets(traffic, 'canary');
  if (healthy === 0) {
    throw new NoHealthyTargetsError(`the canary has no healthy targets; refusing to send it ${step.weight}% of traffic`);
  }

  const planned = wanted;
  let writtenAt = deps.clock.now();
  // One read: the router hands the live weights it will build the write on to `decide`, then checks
  // drift and fences right before its Modify, so no separate read precedes the write.
  const { wrote, achieved } = await writeGuarded(deps.router, rollout.target, planned, record.lastWrittenWeights, fence, async (live) => {
    wanted = planned;
    if (adopts(rollout.target, live, record.lastWrittenWeights, step.weight)) {
      logger.warn('adopted weights set outside serinus: the canary already has this step\'s share', {
        step: step.index,
        found: formatWeights(live),
        expected: formatWeights(record.lastWrittenWeights),
      });
      wanted = live;
    }
    // Already live: a retry whose write happened, or adopted weights. Nothing to write.
    if (sameWeights(live, wanted)) return undefined;
    if (wanted.canary > live.canary) await assertNoAlarm(deps.health, rollout, step);
    writtenAt = deps.clock.now();
    return wanted;
  });
  // A retry whose write already happened keeps the earlier step's start: a wider window, never a narrower one.
  let lastShiftAt = record.lastShiftAt ?? record.startedAt;
  if (wrote) lastShiftAt = writtenAt.toISOString();
  await fence();
  // The step's approval, if it had one, is answered: the record no longer offers its token.
  await deps.store.update(rollout.targetKey, rollout.executionArn, { phase: 'shifting', lastWrittenWeights: wanted, lastShiftAt }, ['waitingFor', 'approval']);
  // A router that rounds (the replica ratio) says what it achieved; the execution's history shows it.
  logger.info('weights shifted', { step: step.index, weights: formatWeights(wanted), ...(achieved && { achieved: achieved.description }) });
  countEvent('WeightShifts', rollout.target.service);
  weightChanged(rollout.target.service, wanted);
  await announce(
    deps.events,
    rolloutEvent(RolloutEventTypes.stepReached, {
      target: rollout.target,
      executionArn: rollout.executionArn,
      request: rollout.request,
      weights: wanted,
      step: { number: step.index + 1, weight: step.weight },
    }),
  );
  return { weights: wanted, ...(achieved && { achieved }) };
}

/** Under `onDrift: 'adopt'`, live weights someone else set that already give the canary at least `percent` of the traffic. */
function adopts(target: TargetConfig, live: Weights, lastWritten: Weights, percent: number): boolean {
  if (target.onDrift !== 'adopt' || sameWeights(live, lastWritten)) return false;
  const total = live.stable + live.canary;
  return total > 0 && (live.canary * 100) / total >= percent;
}

/**
 * Mid-rollout, a forward action serinus can no longer steer (a third target group, the stable one
 * gone, the rule deleted) was changed by someone else: that is drift, not a configuration error.
 */
async function asDrift<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ValidationFailedError) {
      throw new DriftDetectedError(`the listener changed outside serinus during the rollout: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** The pre-shift gate: the alarms as they are now, right before the canary would get more traffic. */
async function assertNoAlarm(health: HealthSignals, rollout: RolloutContext, step: PlanStep): Promise<void> {
  const states = await health.alarmStates(rollout.target.alarmNames);
  const verdict = judgeHealth({ states, history: [], since: new Date(0), moment: 'bakeStart' });
  if (verdict.status === 'unhealthy') {
    throw new CanaryUnhealthyError(`refusing to shift step ${step.index + 1} to ${step.weight}%: ${verdict.reason}`);
  }
}

/**
 * Writes weights under the drift policy. Used by steps and by the final return to stable. `decide`
 * (see WriteWeightsOptions) picks the weights from the read the write is built on.
 */
export async function writeGuarded(
  router: TrafficRouter,
  target: TargetConfig,
  wanted: Weights,
  lastWritten: Weights,
  fence: Fence,
  decide?: (live: Weights) => Promise<Weights | undefined>,
): Promise<WriteWeightsResult> {
  const options = { fence, ...(decide && { decide }) };
  if (target.onDrift === 'revert') {
    return asDrift(router.writeWeights(target.traffic, wanted, { ...options, expected: lastWritten }));
  }
  const result = await asDrift(router.writeWeights(target.traffic, wanted, options));
  if (result.wrote && !sameWeights(result.previous, lastWritten)) {
    logger.warn('adopted weights changed outside serinus', { found: formatWeights(result.previous), expected: formatWeights(lastWritten) });
  }
  return result;
}

/** Drift check without a write, for the end of a bake. */
export async function assertNoDrift(router: TrafficRouter, target: TargetConfig, lastWritten: Weights): Promise<void> {
  if (target.onDrift !== 'revert') return;
  const live = await asDrift(router.readWeights(target.traffic));
  if (!sameWeights(live, lastWritten)) {
    throw new DriftDetectedError(
      `the listener weights changed outside serinus during the bake: found ${formatWeights(live)}, serinus wrote ${formatWeights(lastWritten)}`,
    );
  }
}
