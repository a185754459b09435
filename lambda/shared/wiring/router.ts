import { Elbv2TrafficRouter } from '../../adapters/elbv2-traffic-router';
import type { TrafficRouter } from '../../ports';
import { once, pause } from '../runtime';

export const router = once((): TrafficRouter => new Elbv2TrafficRouter(undefined, { sleep: pause }));
