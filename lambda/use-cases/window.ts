import { CanaryUnhealthyError, NoDeploymentWindowError } from '../errors';
import { judgeHealth } from '../domain/health';
import { windowScheduleName } from '../domain/naming';
import { DEFAULT_MAX_ROLLOUT_SECONDS, type PlanStep, type WindowWait } from '../domain/types';
import { calendarRules, nextOpening } from '../domain/windows';
import type { BakeTimer, Clock, HealthSignals, RolloutStore, TaskCallbacks } from '../ports';
import { logger } from '../shared/observability';
import { fenceOf, heldRecord, type RolloutContext } from './context';

export interface WindowGateResult {
  readonly open: boolean;
  /** While closed: when the next window opens, and why it is closed now. */
  readonly opensAt?: string;
  readonly reason?: string;
}

/**
 * The gate before a weight increase (`step`) or the promotion (no step), a `.waitForTaskToken`
 * task. Open: the token succeeds at once. Closed: the rollout holds its weight and the wait is kept
 * like a bake, so an alarm still ends it: the alarms are checked once, the token is stored where the
 * alarm handler finds it (the record's `bake`), and a schedule at the window's opening succeeds it.
 * The record's `waitingFor` says what the rollout waits for.
 */
export async function awaitWindow(
  deps: { store: RolloutStore; health: HealthSignals; timer: BakeTimer; callbacks: TaskCallbacks; clock: Clock },
  rollout: RolloutContext,
  step: PlanStep | undefined,
  taskToken: string,
): Promise<WindowGateResult> {
  const record = await heldRecord(deps.store, rollout);
  const fence = fenceOf(deps.store, record);
  const now = deps.clock.now();
  const rules = calendarRules(rollout.target.calendar ?? { windows: [], freezes: [] }, rollout.request.calendar);
  const opening = nextOpening(rules, now);
  const gate = step ? `step ${step.index + 1} (${step.weight}%)` : 'the promotion';
  if (opening.open) {
    if (record.waitingFor) {
      await fence();
      await deps.store.update(rollout.targetKey, rollout.executionArn, {}, ['waitingFor']);
    }
    await deps.callbacks.succeed(taskToken, { open: true });
    return { open: true };
  }

  const deadline = Date.parse(record.startedAt) + (rollout.target.timing.maxRolloutSeconds ?? DEFAULT_MAX_ROLLOUT_SECONDS) * 1000;
  if (!opening.opensAt || opening.opensAt.getTime() > deadline) {
    throw new NoDeploymentWindowError(
      `${gate} cannot happen: ${opening.reason}${opening.opensAt ? `, after the rollout's timeout at ${new Date(deadline).toISOString()}` : ''}`,
    );
  }
  // As at a bake's start: an alarm already in ALARM sends no event.
  const states = await deps.health.alarmStates(rollout.target.alarmNames);
  const verdict = judgeHealth({ states, history: [], since: now, moment: 'bakeStart' });
  if (verdict.status === 'unhealthy') throw new CanaryUnhealthyError(`while ${gate} waited for a deployment window: ${verdict.reason}`);

  const stepIndex = step?.index ?? rollout.stepCount;
  const scheduleName = windowScheduleName(rollout.executionArn, stepIndex);
  const opensAt = opening.opensAt.toISOString();
  const waitingFor: WindowWait = {
    kind: 'deploymentWindow',
    gate: step ? 'step' : 'promotion',
    ...(step && { step: step.index }),
    opensAt,
    reason: opening.reason,
  };
  await fence();
  await deps.store.update(rollout.targetKey, rollout.executionArn, {
    waitingFor,
    bake: { taskToken, scheduleName, stepIndex, startedAt: now.toISOString() },
  });
  await fence();
  await deps.timer.schedule(scheduleName, opening.opensAt, taskToken, { open: true, waitedFor: waitingFor });
  logger.info('waiting for a deployment window', { gate, opensAt, reason: opening.reason });
  return { open: false, opensAt, reason: opening.reason };
}
