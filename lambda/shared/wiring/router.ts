import { TrafficRouters } from '../../adapters/routers';
import type { TrafficRouter } from '../../ports';
import { once, pause } from '../runtime';

/** The Kubernetes side loads only when a router of a Kubernetes kind is first used. */
export const router = once(
  (): TrafficRouter =>
    new TrafficRouters({
      sleep: pause,
      kube: async () => (await import('./workloads')).kube(),
      workloads: async () => (await import('./workloads')).workloads(),
    }),
);
