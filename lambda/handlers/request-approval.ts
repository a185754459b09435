import * as z from 'zod';
import { clock, wire } from '../shared/runtime';
import { events, notifier } from '../shared/wiring/events';
import { store } from '../shared/wiring/store';
import { stateHandler } from '../shared/handler';
import { requestApproval } from '../use-cases/approval';
import { planStepSchema, rolloutContextSchema } from '../use-cases/context';

const deps = wire({ store, notifier, events, clock });

const event = z.object({
  rollout: rolloutContextSchema,
  gate: z.enum(['step', 'promotion']),
  step: planStepSchema.optional(),
  approvalTopicArn: z.string().min(1),
  taskToken: z.string().min(1),
});

/** ApproveStep / ApprovePromotion (`.waitForTaskToken`): token on the record, a message to people, an event. */
export const handler = stateHandler('RequestApproval', event, (e) =>
  requestApproval(deps, e.rollout, { gate: e.gate, ...(e.step && { step: e.step }) }, e.approvalTopicArn, e.taskToken),
);
