import * as z from 'zod';
import { clock, wire } from '../shared/runtime';
import { router } from '../shared/wiring/router';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { rolloutContextSchema } from '../use-cases/context';
import { checkReady } from '../use-cases/deploy';

const deps = wire({ workloads, router, clock });

const event = z.object({ rollout: rolloutContextSchema, since: z.iso.datetime() });

/** One poll of the promoted stable Deployment's readiness. */
export const handler = stateHandler('CheckStableReady', event, (e) => checkReady(deps, e.rollout.target, 'stable', e.since));
