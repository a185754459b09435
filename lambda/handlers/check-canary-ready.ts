import { z } from 'zod';
import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { rolloutContextSchema } from '../use-cases/context';
import { checkReady } from '../use-cases/deploy';

const event = z.object({ rollout: rolloutContextSchema, since: z.iso.datetime() });

/** One poll of the canary's readiness; the definition loops with a Wait. */
export const handler = stateHandler('CheckCanaryReady', event, (e) => checkReady(deps, e.rollout.target, 'canary', e.since));
