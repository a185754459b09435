import { z } from 'zod';
import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { sweep } from '../use-cases/rollback';

/** Runs on a schedule; the event's content does not matter. */
const event = z.unknown();

/** Catches a lost status event: undoes records whose execution is no longer running. */
export const handler = stateHandler('Sweeper', event, () => sweep(deps), () => undefined);
