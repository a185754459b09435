import { z } from 'zod';
import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { planStepSchema, rolloutContextSchema } from '../use-cases/context';
import { startBake } from '../use-cases/bake';

const event = z.object({ rollout: rolloutContextSchema, step: planStepSchema, taskToken: z.string().min(1) });

/** Bake (`.waitForTaskToken`): check alarms, store the token, schedule the bake's end. */
export const handler = stateHandler('Bake', event, (e) => startBake(deps, e.rollout, e.step, e.taskToken));
