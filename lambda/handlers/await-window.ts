import * as z from 'zod';
import { clock, wire } from '../shared/runtime';
import { health } from '../shared/wiring/health';
import { callbacks } from '../shared/wiring/step-functions';
import { store } from '../shared/wiring/store';
import { timer } from '../shared/wiring/timer';
import { stateHandler } from '../shared/handler';
import { planStepSchema, rolloutContextSchema } from '../use-cases/context';
import { awaitWindow } from '../use-cases/window';

const deps = wire({ store, health, timer, callbacks, clock });

const event = z.object({ rollout: rolloutContextSchema, step: planStepSchema.optional(), taskToken: z.string().min(1) });

/** A deployment-window gate (`.waitForTaskToken`): open at once, or hold until the next window opens. */
export const handler = stateHandler('AwaitWindow', event, (e) => awaitWindow(deps, e.rollout, e.step, e.taskToken));
