import { clock, wire } from '../shared/runtime';
import { router } from '../shared/wiring/router';
import { store } from '../shared/wiring/store';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { contextEvent } from '../use-cases/context';
import { deployCanary } from '../use-cases/deploy';

const deps = wire({ store, workloads, router, clock });

/** DeployCanary: the candidate image on the canary Deployment, scaled up. */
export const handler = stateHandler('DeployCanary', contextEvent, (e) => deployCanary(deps, e.rollout));
