import * as z from 'zod';
import { clock, wire } from '../shared/runtime';
import { router } from '../shared/wiring/router';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { rolloutContextSchema } from '../use-cases/context';
import { checkReady } from '../use-cases/deploy';

const deps = wire({ workloads, router, clock });

const event = z.object({ rollout: rolloutContextSchema, since: z.iso.datetime() });

/** One poll of the canary's readiness; the definition loops with a Wait. */
export const handler = stateHandler('CheckCanaryReady', event, (e) => checkReady(deps, e.rollout.target, 'canary', e.since));
