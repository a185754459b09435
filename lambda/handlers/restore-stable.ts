import { clock, wire } from '../shared/runtime';
import { store } from '../shared/wiring/store';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { contextEvent } from '../use-cases/context';
import { restoreStable } from '../use-cases/restore';

const deps = wire({ store, workloads, clock });

/** RestoreStable: a failed promotion gets the stable Deployment's previous images back before traffic moves. */
export const handler = stateHandler('RestoreStable', contextEvent, (e) => restoreStable(deps, e.rollout));
