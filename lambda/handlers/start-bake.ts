import * as z from 'zod';
import { clock, wire } from '../shared/runtime';
import { health } from '../shared/wiring/health';
import { callbacks } from '../shared/wiring/step-functions';
import { store } from '../shared/wiring/store';
import { timer } from '../shared/wiring/timer';
import { stateHandler } from '../shared/handler';
import { planStepSchema, rolloutContextSchema } from '../use-cases/context';
import { startBake } from '../use-cases/bake';

const deps = wire({ store, health, timer, callbacks, clock });

const event = z.object({ rollout: rolloutContextSchema, step: planStepSchema, taskToken: z.string().min(1) });

/** Bake (`.waitForTaskToken`): check alarms, store the token, schedule the bake's end. */
export const handler = stateHandler('Bake', event, (e) => startBake(deps, e.rollout, e.step, e.taskToken));
