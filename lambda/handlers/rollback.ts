import * as z from 'zod';
import { readFailure } from '../domain/failure';
import { rollbackPaceSchema } from '../domain/target-schema';
import type { TrafficTarget } from '../domain/types';
import { clock, fenceSeconds, pause, wire } from '../shared/runtime';
import { router } from '../shared/wiring/router';
import { events } from '../shared/wiring/events';
import { store } from '../shared/wiring/store';
import { timer } from '../shared/wiring/timer';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { rollbackExecution } from '../use-cases/rollback';

const deps = wire({ store, router, workloads, timer, clock, fenceSeconds, events, sleep: () => pause });

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
      // The router's own fields are its adapter's to read; it never refuses a restore.
      traffic: z.looseObject({ kind: z.string().min(1), key: z.string().min(1) }),
      // A pace it cannot read is no pace: the revert then happens at once.
      rollbackPace: rollbackPaceSchema.optional().catch(undefined),
    }),
  }),
  error: z.unknown().optional(),
  /** Whether the failed state ran after this execution took the lock; unknown means "read the record first". */
  heldLock: z.boolean().catch(false).default(false),
});

/** Rollback: undo whatever the record holds; returns the named error and the cause the execution fails with. */
export const handler = stateHandler('Rollback', event, async (e) => {
  const failure = readFailure(e.error);
  const traffic: TrafficTarget = e.rollout.target.traffic;
  const outcome = await rollbackExecution(
    deps,
    {
      targetKey: e.rollout.targetKey,
      executionArn: e.rollout.executionArn,
      traffic,
      heldLock: e.heldLock,
      ...(e.rollout.target.rollbackPace && { pace: e.rollout.target.rollbackPace }),
      error: failure.error,
    },
    failure.cause,
  );
  const undone = outcome.undone.length > 0 ? ` Rolled back: ${outcome.undone.join('; ')}.` : '';
  const findings = outcome.findings.length > 0 ? ` Found: ${outcome.findings.join('; ')}.` : '';
  return { error: failure.error, cause: `${failure.cause}.${undone}${findings}`, undone: outcome.undone };
});

