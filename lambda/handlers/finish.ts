import { wire } from '../shared/runtime';
import { router } from '../shared/wiring/router';
import { events } from '../shared/wiring/events';
import { store } from '../shared/wiring/store';
import { timer } from '../shared/wiring/timer';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { contextEvent } from '../use-cases/context';
import { finishRollout } from '../use-cases/finish';

const deps = wire({ store, router, workloads, timer, events });

/** Finish: traffic to stable, canary down, unlock. */
export const handler = stateHandler('Finish', contextEvent, (e) => finishRollout(deps, e.rollout));
