import { z } from 'zod';
import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { planStepSchema, rolloutContextSchema } from '../use-cases/context';
import { shiftWeight } from '../use-cases/traffic';

const event = z.object({ rollout: rolloutContextSchema, step: planStepSchema });

/** ShiftWeight: write, verify and drift-check one step's weights. */
export const handler = stateHandler('ShiftWeight', event, (e) => shiftWeight(deps, e.rollout, e.step));
