import { z } from 'zod';
import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { planStepSchema, rolloutContextSchema } from '../use-cases/context';
import { awaitWindow } from '../use-cases/window';

const event = z.object({ rollout: rolloutContextSchema, step: planStepSchema.optional(), taskToken: z.string().min(1) });

/** A deployment-window gate (`.waitForTaskToken`): open at once, or hold until the next window opens. */
export const handler = stateHandler('AwaitWindow', event, (e) => awaitWindow(deps, e.rollout, e.step, e.taskToken));
