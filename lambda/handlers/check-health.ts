import { z } from 'zod';
import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { planStepSchema, rolloutContextSchema } from '../use-cases/context';
import { checkHealth } from '../use-cases/bake';

const event = z.object({ rollout: rolloutContextSchema, step: planStepSchema });

/** CheckHealth: alarms now and their history since the bake began. */
export const handler = stateHandler('CheckHealth', event, (e) => checkHealth(deps, e.rollout, e.step));
