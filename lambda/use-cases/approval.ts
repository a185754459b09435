import { approvalMessage, rolloutEvent, RolloutEventTypes } from '../domain/rollout-events';
import type { ApprovalRecord, PlanStep } from '../domain/types';
import type { Clock, Notifier, RolloutEvents, RolloutStore } from '../ports';
import { logger } from '../shared/observability';
import { announce } from './announce';
import { fenceOf, heldRecord, type RolloutContext } from './context';

export interface ApprovalGate {
  readonly gate: 'step' | 'promotion';
  /** The step about to get traffic, for a step gate. */
  readonly step?: PlanStep;
}

/**
 * An approval gate (`.waitForTaskToken`): puts the task token on the rollout record, where
 * `serinus approve <service>` finds it, then tells people what is being approved and how to
 * answer. The record write is fenced: a gate of a stopped rollout asks nobody. A failed publish to
 * the topic fails the task (it is retried, then rolls back): a gate nobody hears of waits in vain.
 */
export async function requestApproval(
  deps: { store: RolloutStore; notifier: Notifier; events?: RolloutEvents; clock: Clock },
  rollout: RolloutContext,
  gate: ApprovalGate,
  topicArn: string,
  taskToken: string,
): Promise<{ requestedAt: string }> {
  const record = await heldRecord(deps.store, rollout);
  const fence = fenceOf(deps.store, record);
  const requestedAt = deps.clock.now().toISOString();
  const step = gate.gate === 'step' && gate.step ? { number: gate.step.index + 1, weight: gate.step.weight } : undefined;
  const approval: ApprovalRecord = { token: taskToken, gate: gate.gate, ...(step && { step: step.number }), requestedAt };
  await fence();
  await deps.store.update(rollout.targetKey, rollout.executionArn, { approval });

  const { subject, message } = approvalMessage({
    target: rollout.target,
    executionArn: rollout.executionArn,
    images: rollout.request.images,
    weights: record.lastWrittenWeights,
    gate: gate.gate,
    ...(step && { step }),
    stepCount: rollout.stepCount,
    timeoutSeconds: rollout.target.timing.approvalTimeoutSeconds,
  });
  await deps.notifier.notify(topicArn, subject, message);
  await announce(
    deps.events,
    rolloutEvent(RolloutEventTypes.awaitingApproval, {
      target: rollout.target,
      executionArn: rollout.executionArn,
      request: rollout.request,
      weights: record.lastWrittenWeights,
      ...(step && { step }),
    }),
  );
  logger.info('approval requested', { gate: gate.gate, step: step?.number });
  return { requestedAt };
}
