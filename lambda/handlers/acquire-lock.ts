import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { contextEvent } from '../use-cases/context';
import { acquireLock } from '../use-cases/lock';

/** Lock: one rollout per traffic target. */
export const handler = stateHandler('Lock', contextEvent, (e) => acquireLock(deps, e.rollout));
