import { z } from 'zod';
import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { rolloutContextSchema } from '../use-cases/context';
import { checkReady } from '../use-cases/deploy';

const event = z.object({ rollout: rolloutContextSchema, since: z.iso.datetime() });

/** One poll of the promoted stable Deployment's readiness. */
export const handler = stateHandler('CheckStableReady', event, (e) => checkReady(deps, e.rollout.target, 'stable', e.since));
