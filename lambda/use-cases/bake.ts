import { CanaryUnhealthyError, ErrorNames, NoHealthyTargetsError } from '../errors';
import { isHealthy, judgeCanary, judgeHealth } from '../domain/health';
import { bakeScheduleName } from '../domain/naming';
import { nextShiftFollowsAtOnce, type BetweenSteps } from '../domain/next-shift';
import type { PlanStep } from '../domain/types';
import type { BakeTimer, Clock, HealthSignals, RolloutStore, TaskCallbacks, TrafficRouter, Workloads } from '../ports';
import { countEvent, logger } from '../shared/observability';
import { canaryRef, fenceOf, heldRecord, type RolloutContext } from './context';
import { assertNoDrift } from './traffic';

/**
 * Starts a bake. It checks the alarms once (an alarm already in ALARM sends no event), stores the
 * task token where the alarm handler finds it, then schedules the bake's end. The bake's start time
 * is taken first, so the end-of-bake history check covers any alarm that fires in between. The
 * settle time after the weight write is part of the wait (the end is settle + bake seconds away):
 * one task instead of a Wait state and a task, and the alarm event can fail the token while the
 * weights settle.
 */
export async function startBake(
  deps: { store: RolloutStore; health: HealthSignals; timer: BakeTimer; callbacks: TaskCallbacks; clock: Clock },
  rollout: RolloutContext,
  step: PlanStep,
  taskToken: string,
): Promise<{ endsAt: string }> {
  const record = await heldRecord(deps.store, rollout);
  const fence = fenceOf(deps.store, record);
  const startedAt = deps.clock.now();
  const alarmNames = rollout.target.alarmNames;
  const states = await deps.health.alarmStates(alarmNames);
  const verdict = judgeHealth({ states, history: [], since: startedAt, moment: 'bakeStart' });
  if (verdict.status === 'unhealthy') {
    throw new CanaryUnhealthyError(`step ${step.index + 1} (${step.weight}%): ${verdict.reason}`);
  }

  const scheduleName = bakeScheduleName(rollout.executionArn, step.index);
  await fence();
  await deps.store.update(rollout.targetKey, rollout.executionArn, {
    phase: 'baking',
    bake: { taskToken, scheduleName, stepIndex: step.index, startedAt: startedAt.toISOString() },
  });
  // EventBridge Scheduler fires within the minute it is set for, so the end is rounded up to a
  // whole minute: a bake is never shorter than asked.
  const waitSeconds = rollout.target.timing.settleSeconds + step.bakeSeconds;
  const endsAt = new Date(Math.ceil((startedAt.getTime() + waitSeconds * 1000) / 60_000) * 60_000);
  const output = { stepIndex: step.index, startedAt: startedAt.toISOString() };
  await fence();
  if (waitSeconds === 0) {
    await deps.callbacks.succeed(taskToken, output);
  } else {
    await deps.timer.schedule(scheduleName, endsAt, taskToken, output);
  }
  logger.info('bake started', { step: step.index, bakeSeconds: step.bakeSeconds, endsAt: endsAt.toISOString() });
  return { endsAt: endsAt.toISOString() };
}

/**
 * Judges a finished bake from the alarms now and their history since the step's weight was
 * written, so an alarm that fired and recovered without its event arriving still fails the step;
 * then the listener (drift) and the canary itself: still the candidate, every replica available,
 * healthy targets.
 *
 * The healthy targets are not read when the next step's ShiftWeight follows at once (`between`, from
 * the definition, and the plan say so): its zero-healthy-targets gate reads the same target group
 * seconds later, before the canary gets any more traffic, and fails with the same error. The last
 * step (the promotion follows) and a step followed by an approval, a window gate or an afterStep
 * hook read them here. The drift read stays at every step: ShiftWeight takes live weights equal to
 * the ones it is about to write for its own retried write, so only this read, against the weights
 * serinus last wrote, sees someone set exactly the next step's weights during the bake.
 */
export async function checkHealth(
  deps: { store: RolloutStore; health: HealthSignals; router: TrafficRouter; workloads: Workloads; clock: Clock },
  rollout: RolloutContext,
  step: PlanStep,
  between?: BetweenSteps,
): Promise<{ status: string; reason: string }> {
  const record = await heldRecord(deps.store, rollout);
  const fence = fenceOf(deps.store, record);
  const since = new Date(
    record.lastShiftAt ?? (record.bake?.stepIndex === step.index ? record.bake.startedAt : record.startedAt),
  );
  const alarmNames = rollout.target.alarmNames;
  const [states, history] = await Promise.all([
    deps.health.alarmStates(alarmNames),
    deps.health.alarmHistory(alarmNames, since),
  ]);
  const verdict = judgeHealth({ states, history, since, moment: 'bakeEnd' });
  if (!isHealthy(verdict, rollout.request.insufficientData)) {
    throw new CanaryUnhealthyError(`step ${step.index + 1} (${step.weight}%): ${verdict.reason}`);
  }
  // Drift first: a canary target group someone removed from the action (or a deleted rule) also
  // leaves the canary without healthy targets, and the edit is the cause a person must see.
  await assertNoDrift(deps.router, rollout.target, record.lastWrittenWeights);
  const readTargets = !nextShiftFollowsAtOnce(rollout.plan, rollout.stepCount, step, between);
  await assertCanaryServing(deps, rollout, step, readTargets);
  await fence();
  await deps.store.update(rollout.targetKey, rollout.executionArn, { phase: 'shifting', healthyThroughStep: step.index }, ['bake']);
  return { status: verdict.status, reason: verdict.reason };
}

/** The end-of-bake check of the canary itself; its healthy targets only when `readTargets`. */
async function assertCanaryServing(
  deps: { router: TrafficRouter; workloads: Workloads },
  rollout: RolloutContext,
  step: PlanStep,
  readTargets: boolean,
): Promise<void> {
  const ref = canaryRef(rollout.target);
  const [snapshot, status, healthyTargets] = await Promise.all([
    deps.workloads.snapshot(ref),
    deps.workloads.rolloutStatus(ref),
    readTargets ? deps.router.healthyTargets(rollout.target.traffic, 'canary') : undefined,
  ]);
  const verdict = judgeCanary({ deployment: ref.name, requested: rollout.request.images, snapshot, status, healthyTargets });
  if (verdict.ok) return;
  const message = `step ${step.index + 1} (${step.weight}%): ${verdict.reason}`;
  throw verdict.error === ErrorNames.NoHealthyTargets ? new NoHealthyTargetsError(message) : new CanaryUnhealthyError(message);
}

export interface AlarmStateChange {
  readonly alarmName: string;
  readonly state: string;
  readonly reason?: string;
  readonly timestamp?: string;
}

/**
 * An alarm went to ALARM: fail the task token of every bake that watches it, at once. Rollback starts
 * within seconds instead of at the bake's end, and deletes the bake's end schedule (the record names
 * it): deleting it here too would only be a second call for the same schedule.
 */
export async function onAlarm(
  deps: { store: RolloutStore; callbacks: TaskCallbacks },
  change: AlarmStateChange,
): Promise<{ failedBakes: number }> {
  if (change.state !== 'ALARM') return { failedBakes: 0 };
  const records = await deps.store.list();
  const changedAt = change.timestamp ? Date.parse(change.timestamp) : Number.NaN;
  const watching = records.filter(
    (r) =>
      r.bake &&
      !r.endedAt &&
      r.target.alarmNames.includes(change.alarmName) &&
      // A replayed or late event from before the bake began cannot judge it; the bake's own checks
      // cover what happened before (the alarm state at its start, the history since the shift).
      !(changedAt < Date.parse(r.bake.startedAt)),
  );
  for (const record of watching) {
    const bake = record.bake!;
    // A wait for a deployment window is kept like a bake (use-cases/window.ts).
    const during = record.waitingFor ? 'while the rollout waited for a deployment window' : `during the bake of step ${bake.stepIndex + 1}`;
    const cause = `alarm "${change.alarmName}" went to ALARM${change.timestamp ? ` at ${change.timestamp}` : ''} ${during}${change.reason ? `: ${change.reason}` : ''}`;
    logger.warn('failing bake on alarm', { executionArn: record.executionArn, alarm: change.alarmName });
    await deps.callbacks.fail(bake.taskToken, ErrorNames.CanaryUnhealthy, cause);
    countEvent('BakesFailedByAlarm', record.service);
  }
  return { failedBakes: watching.length };
}
