import { clock, wire } from '../shared/runtime';
import { store } from '../shared/wiring/store';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { contextEvent } from '../use-cases/context';
import { promoteStable } from '../use-cases/deploy';

const deps = wire({ store, workloads, clock });

/** PromoteStable: the baked image on the stable Deployment. */
export const handler = stateHandler('PromoteStable', contextEvent, (e) => promoteStable(deps, e.rollout));
