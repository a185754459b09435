import * as z from 'zod';
import { clock, wire } from '../shared/runtime';
import { health } from '../shared/wiring/health';
import { router } from '../shared/wiring/router';
import { store } from '../shared/wiring/store';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { planStepSchema, rolloutContextSchema } from '../use-cases/context';
import { checkHealth } from '../use-cases/bake';

const deps = wire({ store, health, router, workloads, clock });

const event = z.object({
  rollout: rolloutContextSchema,
  step: planStepSchema,
  // What the definition runs between this CheckHealth and the next step's ShiftWeight (lambda/domain/next-shift.ts).
  betweenSteps: z.object({ windowGate: z.boolean(), afterStepHook: z.boolean() }).optional(),
});

/** CheckHealth: alarms now and their history since the weight was written, drift, and the canary itself. */
export const handler = stateHandler('CheckHealth', event, (e) => checkHealth(deps, e.rollout, e.step, e.betweenSteps));
