import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { contextEvent } from '../use-cases/context';
import { finishRollout } from '../use-cases/finish';

/** Finish: traffic to stable, canary down, unlock. */
export const handler = stateHandler('Finish', contextEvent, (e) => finishRollout(deps, e.rollout));
