import { z } from 'zod';
import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { validateRollout } from '../use-cases/validate';

const event = z.object({ executionArn: z.string().min(1), input: z.unknown(), target: z.unknown() });

/** Validate: parse and check everything; change nothing. */
export const handler = stateHandler('Validate', event, (e) => validateRollout(deps, e));
