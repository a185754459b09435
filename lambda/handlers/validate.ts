import * as z from 'zod';
import { clock, wire } from '../shared/runtime';
import { health } from '../shared/wiring/health';
import { parameters } from '../shared/wiring/parameters';
import { router } from '../shared/wiring/router';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { validateRollout } from '../use-cases/validate';

const deps = wire({ router, health, workloads, parameters, clock });

const event = z.object({ executionArn: z.string().min(1), input: z.unknown(), target: z.unknown() });

/** Validate: parse and check everything; change nothing. */
export const handler = stateHandler('Validate', event, (e) => validateRollout(deps, e));
