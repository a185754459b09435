import { z } from 'zod';
import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { rolloutContextSchema } from '../use-cases/context';
import { describeFailure, rollbackExecution } from '../use-cases/rollback';

const event = z.object({
  rollout: rolloutContextSchema,
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  heldLock: z.boolean().optional(),
});

/** Rollback: undo whatever the record holds; returns the cause the execution fails with. */
export const handler = stateHandler('Rollback', event, async (e) => {
  const cause = describeFailure(e.error);
  const { targetKey, executionArn, target } = e.rollout;
  const outcome = await rollbackExecution(deps, { targetKey, executionArn, traffic: target.traffic, heldLock: e.heldLock ?? true }, cause);
  const undone = outcome.undone.length > 0 ? ` Rolled back: ${outcome.undone.join('; ')}.` : '';
  const found = outcome.findings.length > 0 ? ` Found: ${outcome.findings.join('; ')}.` : '';
  return { cause: `${cause}.${undone}${found}`, undone: outcome.undone };
});
