import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { contextEvent } from '../use-cases/context';
import { deployCanary } from '../use-cases/deploy';

/** DeployCanary: the candidate image on the canary Deployment, scaled up. */
export const handler = stateHandler('DeployCanary', contextEvent, (e) => deployCanary(deps, e.rollout));
