import * as z from 'zod';
import { readFailure } from '../domain/failure';
import type { TrafficTarget } from '../domain/types';
import { clock, fenceSeconds, wire } from '../shared/runtime';
import { router } from '../shared/wiring/router';
import { events } from '../shared/wiring/events';
import { store } from '../shared/wiring/store';
import { timer } from '../shared/wiring/timer';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { rollbackExecution } from '../use-cases/rollback';

const deps = wire({ store, router, workloads, timer, clock, fenceSeconds, events });

/**
 * Lenient on purpose: a rollback that refuses its input leaves traffic on the canary. Only what it
 * needs to act (the execution, its traffic target) is required; the caught error may have any shape
 * and unknown fields are ignored.
 */
const event = z.object({
  rollout: z.looseObject({
    executionArn: z.string().min(1),
    targetKey: z.string().min(1),
    target: z.looseObject({
      traffic: z.looseObject({
        listenerArn: z.string().min(1),
        ruleArn: z.string().min(1).optional(),
        stableTargetGroupArn: z.string().min(1),
        canaryTargetGroupArn: z.string().min(1),
      }),
    }),
  }),
  error: z.unknown().optional(),
  /** Whether the failed state ran after this execution took the lock; unknown means "read the record first". */
  heldLock: z.boolean().catch(false).default(false),
});

/** Rollback: undo whatever the record holds; returns the named error and the cause the execution fails with. */
export const handler = stateHandler('Rollback', event, async (e) => {
  const failure = readFailure(e.error);
  const { listenerArn, ruleArn, stableTargetGroupArn, canaryTargetGroupArn } = e.rollout.target.traffic;
  const traffic: TrafficTarget = { listenerArn, ...(ruleArn ? { ruleArn } : {}), stableTargetGroupArn, canaryTargetGroupArn };
  const outcome = await rollbackExecution(
    deps,
    { targetKey: e.rollout.targetKey, executionArn: e.rollout.executionArn, traffic, heldLock: e.heldLock },
    failure.cause,
  );
  const undone = outcome.undone.length > 0 ? ` Rolled back: ${outcome.undone.join('; ')}.` : '';
  const findings = outcome.findings.length > 0 ? ` Found: ${outcome.findings.join('; ')}.` : '';
  return { error: failure.error, cause: `${failure.cause}.${undone}${findings}`, undone: outcome.undone };
});

