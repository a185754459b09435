/**
 * The `istio` router: steers one named HTTP route of an Istio VirtualService between the stable
 * and the canary destination by rewriting their weights through the Kubernetes API, keeping every
 * other field of the object. Health comes from CloudWatch alarms: Istio shows no target health.
 *
 * Every write is a PUT of the object as read, carrying the read `metadata.resourceVersion`: a
 * concurrent edit makes the API server answer 409 Conflict instead of being overwritten, and the
 * router then reads again and decides again (the drift check included) from the fresh object.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import {
  hasTesterRoute,
  planRestore,
  readRoute,
  type RouteView,
  type VirtualServiceSpec,
  withTesterRoute,
  withWeights,
  withoutTesterRoute,
} from '../domain/istio-routes';
import type { TrafficTarget, Weights } from '../domain/types';
import { assertPlanWeights, formatWeights, sameWeights } from '../domain/weights';
import { DriftDetectedError, ValidationFailedError, WeightNotAppliedError } from '../errors';
import type { Fence, RestoreResult, TesterRoute, TrafficReading, TrafficRouter, WriteWeightsOptions, WriteWeightsResult } from '../ports';
import { logger } from '../shared/observability';
import { kubernetesClient, type EksConnections } from './eks-connection';
import { istioRouteRef, istioTarget, type IstioTarget } from './istio-target';

const GROUP = 'networking.istio.io';
const PLURAL = 'virtualservices';

export interface IstioTrafficRouterOptions {
  /** Kubernetes connections, shared with the other adapters of the function. */
  readonly connections: EksConnections;
  /** Reads after a write until the object shows the written weights. @default 3 */
  readonly readBackAttempts?: number;
  /** Pause between two read-backs. @default 500 */
  readonly readBackDelayMs?: number;
  /** Read→decide→write attempts when the API server answers 409 Conflict (someone wrote in between). @default 4 */
  readonly conflictAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The VirtualService as the API returns it: only `metadata` and `spec` are looked at. */
interface VirtualService {
  readonly metadata: { readonly resourceVersion?: string } & Record<string, unknown>;
  readonly spec: VirtualServiceSpec;
  readonly [field: string]: unknown;
}

/** One attempt's decision: the spec to write (none: nothing to write) and what to return. */
interface Decision<T> {
  readonly spec?: VirtualServiceSpec;
  readonly value: T;
}

/** The VirtualService does not exist (404). */
class VirtualServiceGoneError extends ValidationFailedError {}

export class IstioTrafficRouter implements TrafficRouter {
  private readonly connections: EksConnections;
  private readonly readBackAttempts: number;
  private readonly readBackDelayMs: number;
  private readonly conflictAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: IstioTrafficRouterOptions) {
    this.connections = options.connections;
    this.readBackAttempts = Math.max(1, options.readBackAttempts ?? 3);
    this.readBackDelayMs = options.readBackDelayMs ?? 500;
    this.conflictAttempts = Math.max(1, options.conflictAttempts ?? 4);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async readWeights(target: TrafficTarget): Promise<Weights> {
    return (await this.readTraffic(target)).weights;
  }

  async readTraffic(traffic: TrafficTarget): Promise<TrafficReading> {
    const target = istioTarget(traffic);
    const { weights, canaryAttached } = steerable(target, (await this.get(target)).spec);
    return { weights, canaryAttached };
  }

  async writeWeights(traffic: TrafficTarget, weights: Weights, options: WriteWeightsOptions = {}): Promise<WriteWeightsResult> {
    const target = istioTarget(traffic);
    const { expected, fence, decide } = options;
    if (!decide) assertPlanWeights(weights);
    const ref = istioRouteRef(target);

    const { wrote, value } = await this.update(target, fence, async (vs) => {
      const view = steerable(target, vs.spec);
      const wanted = decide ? await decide(view.weights) : weights;
      if (!wanted) return { value: { previous: view.weights, written: undefined } };
      assertPlanWeights(wanted);
      // Live weights equal to the ones being written mean this write already happened (a retried
      // task), not that someone else steered.
      if (expected && !sameWeights(view.weights, expected) && !sameWeights(view.weights, wanted)) {
        throw new DriftDetectedError(
          `${describeTarget(target)} carries ${formatWeights(view.weights)}, but serinus last wrote ` +
            `${formatWeights(expected)}: someone else is steering it, so nothing was written`,
        );
      }
      const value = { previous: view.weights, written: wanted as Weights | undefined };
      if (sameWeights(view.weights, wanted) && view.canaryAttached) return { value };
      return { spec: withWeights(vs.spec, ref, wanted), value };
    });

    if (!value.written) return { previous: value.previous, applied: value.previous, wrote: false };
    const applied = await this.readBack(target, value.written);
    return { previous: value.previous, applied, wrote };
  }

  async attachCanary(traffic: TrafficTarget, fence?: Fence): Promise<boolean> {
    const target = istioTarget(traffic);
    const { wrote } = await this.update(target, fence, async (vs) => {
      const view = steerable(target, vs.spec);
      return { value: undefined, ...(!view.canaryAttached && { spec: withWeights(vs.spec, istioRouteRef(target), view.weights) }) };
    });
    return wrote;
  }

  async restoreStable(traffic: TrafficTarget, fence?: Fence): Promise<RestoreResult> {
    const target = istioTarget(traffic);
    const ref = istioRouteRef(target);
    let outcome: { wrote: boolean; value: { nothingToSteer: boolean; findings: string[] } };
    try {
      outcome = await this.update(target, fence, async (vs) => {
        const plan = planRestore(vs.spec, ref);
        const value = { nothingToSteer: plan.nothingToSteer, findings: plan.findings.map((f) => `virtualservice "${target.virtualService}" in namespace "${target.namespace}": ${f}`) };
        return { value, ...(plan.spec && { spec: plan.spec }) };
      });
    } catch (error) {
      if (error instanceof VirtualServiceGoneError) {
        return { wrote: false, nothingToSteer: true, findings: [`${describeTarget(target)} no longer exists, so no traffic goes through it`] };
      }
      throw error;
    }
    if (outcome.wrote) await this.readBackRestored(target);
    return { wrote: outcome.wrote, ...outcome.value };
  }

  /** Istio shows no target health: readiness rests on the Deployment, health on CloudWatch alarms. */
  async healthyTargets(): Promise<undefined> {
    return undefined;
  }

  readonly testerRoute: TesterRoute = {
    open: async (traffic, fence) => {
      const target = istioTarget(traffic);
      const header = target.testerHeader;
      if (!header) throw new ValidationFailedError(`traffic.testerHeader: ${describeTarget(target)} has no tester header to route on`);
      const { wrote } = await this.update(target, fence, async (vs) => {
        steerable(target, vs.spec);
        const next = withTesterRoute(vs.spec, istioRouteRef(target), header);
        return { value: undefined, ...(!sameJson(next, vs.spec) && { spec: next }) };
      });
      return wrote;
    },
    close: async (traffic) => {
      const target = istioTarget(traffic);
      try {
        const { wrote } = await this.update(target, undefined, async (vs) => {
          const next = withoutTesterRoute(vs.spec, target.route);
          return { value: undefined, ...(next && { spec: next }) };
        });
        return wrote;
      } catch (error) {
        if (error instanceof VirtualServiceGoneError) return false;
        throw error;
      }
    },
    isOpen: async (traffic) => {
      const target = istioTarget(traffic);
      try {
        return hasTesterRoute((await this.get(target)).spec, target.route);
      } catch (error) {
        if (error instanceof VirtualServiceGoneError) return false;
        throw error;
      }
    },
  };

  /**
   * Read, decide, write with the read resourceVersion; on 409 Conflict, all over again from a fresh
   * read. The fence runs last, right before each PUT.
   */
  private async update<T>(
    target: IstioTarget,
    fence: Fence | undefined,
    decide: (vs: VirtualService) => Promise<Decision<T>>,
  ): Promise<{ wrote: boolean; value: T }> {
    for (let attempt = 1; ; attempt++) {
      const vs = await this.get(target);
      const decision = await decide(vs);
      if (!decision.spec) return { wrote: false, value: decision.value };
      if (fence) await fence();
      try {
        await this.put(target, { ...vs, spec: decision.spec });
        return { wrote: true, value: decision.value };
      } catch (error) {
        if (statusOf(error) !== 409 || attempt >= this.conflictAttempts) throw error;
        logger.info('VirtualService changed between read and write; reading it again', { target: target.key, attempt });
      }
    }
  }

  /** Reads until the route shows `expected`: a mutating webhook or another writer may have changed it. */
  private async readBack(target: IstioTarget, expected: Weights): Promise<Weights> {
    let seen: Weights | undefined;
    for (let attempt = 1; attempt <= this.readBackAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.readBackDelayMs);
      seen = steerable(target, (await this.get(target)).spec).weights;
      if (sameWeights(seen, expected)) return seen;
    }
    throw new WeightNotAppliedError(
      `wrote ${formatWeights(expected)} to ${describeTarget(target)}, but after ${this.readBackAttempts} ` +
        `reads it shows ${seen ? formatWeights(seen) : 'nothing'}`,
    );
  }

  private async readBackRestored(target: IstioTarget): Promise<void> {
    let seen = '';
    for (let attempt = 1; attempt <= this.readBackAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.readBackDelayMs);
      const check = planRestore((await this.get(target)).spec, istioRouteRef(target));
      if (!check.spec) return;
      seen = check.findings.join('; ') || 'the route still needs the write';
    }
    throw new WeightNotAppliedError(
      `put the traffic of ${describeTarget(target)} back on stable, but after ${this.readBackAttempts} reads it still shows: ${seen}`,
    );
  }

  private async get(target: IstioTarget): Promise<VirtualService> {
    const object = await this.call(target, 'read', (api) =>
      api.getNamespacedCustomObject({ group: GROUP, version: target.apiVersion, namespace: target.namespace, plural: PLURAL, name: target.virtualService }),
    );
    if (!isObject(object) || !isObject(object.metadata)) {
      throw new ValidationFailedError(`${describeTarget(target)}: the API returned no VirtualService object`);
    }
    return { ...object, metadata: object.metadata, spec: isObject(object.spec) ? object.spec : {} };
  }

  private async put(target: IstioTarget, body: VirtualService): Promise<void> {
    await this.call(target, 'update', (api) =>
      api.replaceNamespacedCustomObject({
        group: GROUP,
        version: target.apiVersion,
        namespace: target.namespace,
        plural: PLURAL,
        name: target.virtualService,
        body,
      }),
    );
  }

  private async call<T>(target: IstioTarget, action: 'read' | 'update', request: (api: CustomObjectsApi) => Promise<T>): Promise<T> {
    const { clusterName, namespace, virtualService } = target;
    const { CustomObjectsApi } = await kubernetesClient();
    const api = await this.connections.api(clusterName, CustomObjectsApi);
    const site = { clusterName, namespace, object: `virtualservice "${virtualService}"`, action };
    try {
      return await this.connections.call(site, () => request(api));
    } catch (error) {
      throw explain(target, action, error);
    }
  }
}

/** The route's view, or the ValidationFailedError that says why it cannot be steered. */
function steerable(target: IstioTarget, spec: VirtualServiceSpec): RouteView {
  const view = readRoute(spec, istioRouteRef(target));
  if (!view.steerable) throw new ValidationFailedError(`${describeTarget(target)} ${view.problem}`);
  return view;
}

/**
 * What only the Istio router knows about a failed call: EKS access policies do not cover Istio's
 * API group, and Istio's validating webhook refuses with 400.
 */
function explain(target: IstioTarget, action: string, error: unknown): unknown {
  const status = statusOf(error);
  const where = `${describeTarget(target)} (cluster "${target.clusterName}")`;
  if (status === 404) {
    const older = target.apiVersion === 'v1' ? '; on Istio before 1.22, which serves no v1, set the routing\'s apiVersion to v1beta1' : '';
    return new VirtualServiceGoneError(`${where} does not exist (networking.istio.io/${target.apiVersion})${older}`, { cause: error });
  }
  if (status === 403) {
    return new ValidationFailedError(
      `serinus may not ${action} ${where} (403 Forbidden): EKS access policies such as AmazonEKSEditPolicy do not cover ` +
        `the networking.istio.io API group. Bind a Role in namespace "${target.namespace}" allowing get, update and patch on ` +
        `virtualservices.networking.istio.io to a Kubernetes group, and add that group to the Lambda role's EKS access entry ` +
        '(kubernetesGroups)',
      { cause: error },
    );
  }
  if (status === 400 || status === 422) {
    return new ValidationFailedError(`Kubernetes refused the ${action} of ${where}: ${messageOf(error)}`, { cause: error });
  }
  return error;
}

/** The HTTP status behind an EksConnections error (its cause is the client's ApiException). */
function statusOf(error: unknown): number | undefined {
  if (!isObject(error)) return undefined;
  if (typeof error.statusCode === 'number') return error.statusCode;
  const cause = error.cause;
  return isObject(cause) && cause.code !== undefined ? Number(cause.code) : undefined;
}

function messageOf(error: unknown): string {
  const cause = isObject(error) ? error.cause : undefined;
  const body = isObject(cause) ? cause.body : undefined;
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      if (isObject(parsed) && typeof parsed.message === 'string') return parsed.message;
    } catch {
      return body;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

function describeTarget(target: IstioTarget): string {
  return `route "${target.route}" of virtualservice "${target.virtualService}" in namespace "${target.namespace}"`;
}

/** Deep equality with object keys in any order: the API server returns a custom object's keys sorted. */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => [key, canonical(value[key])]),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
