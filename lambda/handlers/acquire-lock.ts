import { clock, wire } from '../shared/runtime';
import { router } from '../shared/wiring/router';
import { events } from '../shared/wiring/events';
import { store } from '../shared/wiring/store';
import { timer } from '../shared/wiring/timer';
import { stateHandler } from '../shared/handler';
import { contextEvent } from '../use-cases/context';
import { acquireLock } from '../use-cases/lock';

const deps = wire({ store, router, timer, clock, events });

/** Lock: one rollout per traffic target. */
export const handler = stateHandler('Lock', contextEvent, (e) => acquireLock(deps, e.rollout));
