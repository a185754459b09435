import * as z from 'zod';
import { clock, wire } from '../shared/runtime';
import { health } from '../shared/wiring/health';
import { router } from '../shared/wiring/router';
import { events } from '../shared/wiring/events';
import { store } from '../shared/wiring/store';
import { stateHandler } from '../shared/handler';
import { planStepSchema, rolloutContextSchema } from '../use-cases/context';
import { shiftWeight } from '../use-cases/traffic';

const deps = wire({ store, router, health, clock, events });

const event = z.object({ rollout: rolloutContextSchema, step: planStepSchema });

/** ShiftWeight: write, verify and drift-check one step's weights. */
export const handler = stateHandler('ShiftWeight', event, (e) => shiftWeight(deps, e.rollout, e.step));
