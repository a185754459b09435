import * as z from 'zod';
import { clock, fenceSeconds, wire } from '../shared/runtime';
import { router } from '../shared/wiring/router';
import { events } from '../shared/wiring/events';
import { store } from '../shared/wiring/store';
import { timer } from '../shared/wiring/timer';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { cleanupExecution } from '../use-cases/rollback';

const deps = wire({ store, router, workloads, timer, clock, fenceSeconds, events });

/**
 * EventBridge "Step Functions Execution Status Change", read leniently: only the execution and its
 * status are needed, and a status this code does not know is ignored rather than refused.
 */
const event = z.object({
  detail: z.looseObject({ executionArn: z.string().min(1), status: z.string() }),
});

/** A stopped, timed-out or failed execution runs no Catch: undo what its record still holds. */
export const handler = stateHandler(
  'Cleanup',
  event,
  async (e) => {
    if (!['ABORTED', 'TIMED_OUT', 'FAILED'].includes(e.detail.status)) return { held: false, undone: [] };
    return cleanupExecution(deps, e.detail.executionArn, e.detail.status);
  },
  (e) => e.detail.executionArn,
);
