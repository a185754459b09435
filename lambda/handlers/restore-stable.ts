import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { contextEvent } from '../use-cases/context';
import { restoreStable } from '../use-cases/restore';

/** RestoreStable: a failed promotion gets the stable Deployment's previous images back before traffic moves. */
export const handler = stateHandler('RestoreStable', contextEvent, (e) => restoreStable(deps, e.rollout));
