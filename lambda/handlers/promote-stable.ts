import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { contextEvent } from '../use-cases/context';
import { promoteStable } from '../use-cases/deploy';

/** PromoteStable: the baked image on the stable Deployment. */
export const handler = stateHandler('PromoteStable', contextEvent, (e) => promoteStable(deps, e.rollout));
