import { z } from 'zod';
import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { cleanupExecution } from '../use-cases/rollback';

/** EventBridge "Step Functions Execution Status Change". */
const event = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().min(1),
    status: z.enum(['ABORTED', 'TIMED_OUT', 'FAILED', 'SUCCEEDED', 'RUNNING', 'PENDING_REDRIVE']),
  }),
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
