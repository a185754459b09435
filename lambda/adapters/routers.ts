/**
 * The traffic routers, by kind. A target's `kind` picks its adapter at run time; each adapter is
 * loaded on first use, so a function steering an ALB never initialises a Kubernetes client.
 * Adding a router is one adapter, its line here and its factory in lib/routing.ts.
 */
import type { EksConnections } from './eks-connection';
import type { TrafficTarget, Weights } from '../domain/types';
import { ValidationFailedError } from '../errors';
import type {
  Fence,
  RestoreResult,
  Side,
  TesterRoute,
  TrafficReading,
  TrafficRouter,
  Workloads,
  WriteWeightsOptions,
  WriteWeightsResult,
} from '../ports';

/** What an adapter may need from its host; each is loaded and built on first use. */
export interface RouterServices {
  /** The adapters' own pauses (read-back, throttling): compressed under the local engine. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Kubernetes API clients, one connection pool per cluster, shared with the Deployments adapter. */
  readonly kube: () => Promise<EksConnections>;
  readonly workloads: () => Promise<Workloads>;
}

export type RouterFactory = (services: RouterServices) => Promise<TrafficRouter>;

export const ROUTER_ADAPTERS: Readonly<Record<string, RouterFactory>> = {
  alb: async ({ sleep }) => new (await import('./elbv2-traffic-router')).Elbv2TrafficRouter(undefined, { sleep }),
  ingress: async ({ sleep, kube }) => new (await import('./ingress-traffic-router')).IngressTrafficRouter({ kube, sleep }),
  istio: async ({ sleep, kube }) => new (await import('./istio-traffic-router')).IstioTrafficRouter({ connections: await kube(), sleep }),
  'replica-ratio': async ({ sleep, workloads }) => new (await import('./replica-ratio-router')).ReplicaRatioRouter(await workloads(), { sleep }),
};

/** One `TrafficRouter` over every kind: each call goes to the adapter of its target's kind. */
export class TrafficRouters implements TrafficRouter {
  private readonly built = new Map<string, Promise<TrafficRouter>>();

  constructor(
    private readonly services: RouterServices,
    private readonly adapters: Readonly<Record<string, RouterFactory>> = ROUTER_ADAPTERS,
  ) {}

  /** The adapter of the target's kind. @throws ValidationFailedError for a kind no adapter steers. */
  routerFor(target: TrafficTarget): Promise<TrafficRouter> {
    const kind = target.kind;
    const factory = Object.hasOwn(this.adapters, kind) ? this.adapters[kind] : undefined;
    if (!factory) {
      return Promise.reject(
        new ValidationFailedError(`traffic.kind: no router steers ${JSON.stringify(kind)}; known kinds: ${Object.keys(this.adapters).join(', ')}`),
      );
    }
    let router = this.built.get(kind);
    if (!router) {
      router = factory(this.services);
      this.built.set(kind, router);
      router.catch(() => this.built.delete(kind));
    }
    return router;
  }

  async readWeights(target: TrafficTarget): Promise<Weights> {
    return (await this.routerFor(target)).readWeights(target);
  }

  async readTraffic(target: TrafficTarget): Promise<TrafficReading> {
    return (await this.routerFor(target)).readTraffic(target);
  }

  async writeWeights(target: TrafficTarget, weights: Weights, options?: WriteWeightsOptions): Promise<WriteWeightsResult> {
    return (await this.routerFor(target)).writeWeights(target, weights, options);
  }

  async attachCanary(target: TrafficTarget, fence?: Fence): Promise<boolean> {
    return (await this.routerFor(target)).attachCanary(target, fence);
  }

  async restoreStable(target: TrafficTarget, fence?: Fence): Promise<RestoreResult> {
    return (await this.routerFor(target)).restoreStable(target, fence);
  }

  async healthyTargets(target: TrafficTarget, side: Side): Promise<number | undefined> {
    return (await this.routerFor(target)).healthyTargets(target, side);
  }

  async canaryReplicasBeforeTraffic(target: TrafficTarget): Promise<number | undefined> {
    const router = await this.routerFor(target);
    return router.canaryReplicasBeforeTraffic ? router.canaryReplicasBeforeTraffic(target) : undefined;
  }

  readonly testerRoute: TesterRoute = {
    open: async (target, fence) => (await this.testerRouteOf(target)).open(target, fence),
    close: async (target) => (await this.routerFor(target)).testerRoute?.close(target) ?? false,
    isOpen: async (target) => (await this.routerFor(target)).testerRoute?.isOpen(target) ?? false,
  };

  private async testerRouteOf(target: TrafficTarget): Promise<TesterRoute> {
    const route = (await this.routerFor(target)).testerRoute;
    if (!route) {
      throw new ValidationFailedError(`traffic.testerHeader: the ${target.kind} router has no tester route; remove testerHeader`);
    }
    return route;
  }
}
