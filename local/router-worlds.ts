/**
 * What the local engine seeds for each router kind, and how the data plane's split is read from
 * it: the world a rollout of that kind steers.
 * - `alb`: a listener (or a rule) forwarding to two target groups; the pods of each Deployment are
 *   registered in its target group, as the AWS Load Balancer Controller's TargetGroupBinding does.
 * - `ingress`: an Ingress whose `actions.<name>` annotation forwards to two Services, and a model of
 *   the AWS Load Balancer Controller that reconciles it into a listener rule after a lag (and
 *   reverts direct edits of that rule); pods are registered in the target groups it created.
 * - `istio`: a VirtualService with a named route to a stable and a canary subset, behind Istio's
 *   validating webhook; the split is the route's weights.
 * - `replica-ratio`: two Deployments behind one notional Service; the split is the ready pods'.
 * The split is what the data plane does now, never what serinus asked for.
 */
import type { TargetConfig, TrafficTarget } from '../lambda/domain/types';
import { albTarget } from '../lambda/adapters/alb-target';
import { ingressTarget, type IngressTarget } from '../lambda/adapters/ingress-target';
import { istioRouteRef, istioTarget, type IstioTarget } from '../lambda/adapters/istio-target';
import { replicaRatioTarget } from '../lambda/adapters/replica-ratio-target';
import { hasTesterRoute, readRoute } from '../lambda/domain/istio-routes';
import { weightsOfPods } from '../lambda/domain/replica-ratio';
import type { AwsFakes } from './fakes/aws';
import { FakeAlbController, ingressPath } from './fakes/alb-controller';
import { installIstioWebhook } from './fakes/istio-webhook';
import type { FakeDeployment, FakeKubernetes } from './fake-kubernetes';

/** What a world is seeded in: the engine's fakes, and what the engine keeps for its worlds. */
export interface WorldContext {
  readonly aws: AwsFakes;
  readonly kube: FakeKubernetes;
  /** What worlds keep between calls (an Ingress's controller model), by world and target key. */
  readonly worldState: Map<string, unknown>;
}

/** The split the data plane applies now. */
export interface LiveSplit {
  readonly stable: number;
  readonly canary: number;
  /** Whether a tester route sends a header to the canary now (routers that have one). */
  readonly testerRoute?: boolean;
}

export interface SplitChange extends LiveSplit {
  /** `api`: it follows serinus's (or an API client's) write; `out-of-band`: someone edited the data plane directly. */
  readonly source: 'api' | 'out-of-band';
  /** Healthy targets (or ready pods) on the canary side when the split changed. */
  readonly canaryHealthyTargets: number;
}

export interface RouterWorld {
  /**
   * Whether the data plane applies the plan's weights exactly. The replica ratio rounds to whole
   * pods and passes through intermediate splits while it scales.
   */
  readonly exactWeights: boolean;
  /** Seeds what the target steers (the Deployments are the engine's, seeded before). */
  seed(ctx: WorldContext, target: TargetConfig): void;
  liveSplit(ctx: WorldContext, target: TargetConfig): LiveSplit;
  /** Calls `listener` after every change of the split. @returns unsubscribe */
  onSplitChange(ctx: WorldContext, target: TargetConfig, listener: (change: SplitChange) => void): () => void;
  /** A Deployment of the target changed (its pods became available or went away). */
  deploymentChanged?(ctx: WorldContext, target: TargetConfig, side: 'stable' | 'canary', deployment: FakeDeployment): void;
}

const available = (deployment: FakeDeployment) => deployment.status.availableReplicas ?? 0;

function registerTargets(aws: AwsFakes, targetGroupArn: string, prefix: string, count: number): void {
  aws.elbv2.setTargetHealth(
    targetGroupArn,
    Array.from({ length: count }, (_, i) => ({ id: `${prefix}-pod-${i}`, port: 8080, state: 'healthy' as const })),
  );
}

function healthyTargets(aws: AwsFakes, targetGroupArn: string): number {
  const output = aws.elbv2.describeTargetHealth({ TargetGroupArn: targetGroupArn });
  return (output.TargetHealthDescriptions ?? []).filter((t) => t.TargetHealth?.State === 'healthy').length;
}

function readyPods(ctx: WorldContext, target: TargetConfig, side: 'stable' | 'canary'): number {
  const { namespace, stableDeployment, canaryDeployment } = target.workload;
  return available(ctx.kube.deployment(namespace, side === 'stable' ? stableDeployment : canaryDeployment));
}

/** Emits only real changes of the split, from a source that may fire for unrelated reasons. */
function changesOf(initial: LiveSplit, listener: (change: SplitChange) => void): (next: SplitChange) => void {
  let last = initial;
  return (next) => {
    if (next.stable === last.stable && next.canary === last.canary && next.testerRoute === last.testerRoute) return;
    last = next;
    listener(next);
  };
}

export const albWorld: RouterWorld = {
  exactWeights: true,
  seed(ctx, target) {
    const traffic = albTarget(target.traffic);
    const { elbv2 } = ctx.aws;
    // Adding the forward action creates its target groups.
    const actions = [
      {
        Type: 'forward' as const,
        Order: 1,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: traffic.stableTargetGroupArn, Weight: 100 },
            { TargetGroupArn: traffic.canaryTargetGroupArn, Weight: 0 },
          ],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ];
    if (traffic.ruleArn) {
      elbv2.addListener(traffic.listenerArn, [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '404' } }]);
      elbv2.addRule(traffic.ruleArn, traffic.listenerArn, actions, { priority: 10 });
    } else {
      elbv2.addListener(traffic.listenerArn, actions);
    }
    registerTargets(ctx.aws, traffic.stableTargetGroupArn, target.workload.stableDeployment, readyPods(ctx, target, 'stable'));
    registerTargets(ctx.aws, traffic.canaryTargetGroupArn, target.workload.canaryDeployment, readyPods(ctx, target, 'canary'));
  },
  liveSplit(ctx, target) {
    const traffic = albTarget(target.traffic);
    const map = ctx.aws.elbv2.weights(traffic.ruleArn ?? traffic.listenerArn);
    return { stable: map[traffic.stableTargetGroupArn] ?? 0, canary: map[traffic.canaryTargetGroupArn] ?? 0 };
  },
  onSplitChange(ctx, target, listener) {
    const traffic = albTarget(target.traffic);
    const steered = traffic.ruleArn ?? traffic.listenerArn;
    return ctx.aws.elbv2.onWeightsChanged((change) => {
      if (change.arn !== steered) return;
      listener({
        stable: change.weights[traffic.stableTargetGroupArn] ?? 0,
        canary: change.weights[traffic.canaryTargetGroupArn] ?? 0,
        source: change.source,
        canaryHealthyTargets: healthyTargets(ctx.aws, traffic.canaryTargetGroupArn),
      });
    });
  },
  // What the AWS Load Balancer Controller's TargetGroupBinding does: available pods become healthy
  // targets of the Deployment's target group.
  deploymentChanged(ctx, target, side, deployment) {
    const traffic = albTarget(target.traffic);
    registerTargets(ctx.aws, side === 'stable' ? traffic.stableTargetGroupArn : traffic.canaryTargetGroupArn, deployment.metadata.name, available(deployment));
  },
};

/** The camelCase action annotation forwarding to the two Services. */
export function ingressAction(target: IngressTarget, weights: { stable: number; canary: number }): string {
  const port = /^\d+$/.test(target.servicePort) ? Number(target.servicePort) : target.servicePort;
  return JSON.stringify({
    type: 'forward',
    forwardConfig: {
      targetGroups: [
        { serviceName: target.stableService, servicePort: port, weight: weights.stable },
        { serviceName: target.canaryService, servicePort: port, weight: weights.canary },
      ],
    },
  });
}

interface IngressState {
  readonly controller: FakeAlbController;
  readonly ruleArn: string;
  readonly stableTargetGroupArn: string;
  readonly canaryTargetGroupArn: string;
}

/** How many ELBv2 reads of its rule the controller model takes to apply an Ingress change. */
export const INGRESS_CONTROLLER_LAG_READS = 2;

/** The controller model reconciling the target's Ingress, and what it created. */
export function ingressController(ctx: WorldContext, target: TargetConfig): IngressState {
  const state = ctx.worldState.get(`ingress:${target.traffic.key}`) as IngressState | undefined;
  if (!state) throw new Error(`no Ingress world seeded for ${target.traffic.key}`);
  return state;
}

export const ingressWorld: RouterWorld = {
  exactWeights: true,
  seed(ctx, target) {
    const traffic = ingressTarget(target.traffic);
    const { elbv2 } = ctx.aws;
    elbv2.addListener(traffic.listenerArn, [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '404' } }]);
    ctx.kube.putObject(ingressPath(traffic.namespace, traffic.ingressName), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        annotations: {
          'alb.ingress.kubernetes.io/scheme': 'internet-facing',
          'alb.ingress.kubernetes.io/target-type': 'ip',
          [`alb.ingress.kubernetes.io/actions.${traffic.actionName}`]: ingressAction(traffic, { stable: 100, canary: 0 }),
        },
      },
      spec: {
        ingressClassName: 'alb',
        rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: traffic.actionName, port: { name: 'use-annotation' } } } }] } }],
      },
    });
    const controller = new FakeAlbController({ kube: ctx.kube, elbv2, clusterName: traffic.clusterName, lagReads: INGRESS_CONTROLLER_LAG_READS });
    const ruleArn = controller.manage({ namespace: traffic.namespace, ingressName: traffic.ingressName, actionName: traffic.actionName, listenerArn: traffic.listenerArn });
    const tg = (service: string) => controller.targetGroupArn(traffic.listenerArn, traffic.namespace, traffic.ingressName, service, traffic.servicePort);
    const state: IngressState = { controller, ruleArn, stableTargetGroupArn: tg(traffic.stableService), canaryTargetGroupArn: tg(traffic.canaryService) };
    ctx.worldState.set(`ingress:${traffic.key}`, state);
    registerTargets(ctx.aws, state.stableTargetGroupArn, target.workload.stableDeployment, readyPods(ctx, target, 'stable'));
    registerTargets(ctx.aws, state.canaryTargetGroupArn, target.workload.canaryDeployment, readyPods(ctx, target, 'canary'));
  },
  liveSplit(ctx, target) {
    const state = ingressController(ctx, target);
    const map = ctx.aws.elbv2.weights(state.ruleArn);
    return { stable: map[state.stableTargetGroupArn] ?? 0, canary: map[state.canaryTargetGroupArn] ?? 0 };
  },
  onSplitChange(ctx, target, listener) {
    const traffic = ingressTarget(target.traffic);
    const state = ingressController(ctx, target);
    return ctx.aws.elbv2.onWeightsChanged((change) => {
      if (change.arn !== state.ruleArn) return;
      const split = { stable: change.weights[state.stableTargetGroupArn] ?? 0, canary: change.weights[state.canaryTargetGroupArn] ?? 0 };
      // The controller writes the rule out of band too: a change that matches the Ingress is its
      // reconcile of an API write; one that does not is someone editing the rule directly.
      const desired = annotatedWeights(ctx, traffic);
      const reconciled = desired?.stable === split.stable && desired.canary === split.canary;
      listener({ ...split, source: reconciled ? 'api' : 'out-of-band', canaryHealthyTargets: healthyTargets(ctx.aws, state.canaryTargetGroupArn) });
    });
  },
  deploymentChanged(ctx, target, side, deployment) {
    const state = ingressController(ctx, target);
    registerTargets(ctx.aws, side === 'stable' ? state.stableTargetGroupArn : state.canaryTargetGroupArn, deployment.metadata.name, available(deployment));
  },
};

/** The weights the Ingress's annotation asks for (what the controller converges the rule to). */
function annotatedWeights(ctx: WorldContext, traffic: IngressTarget): { stable: number; canary: number } | undefined {
  const raw = ctx.kube.object(ingressPath(traffic.namespace, traffic.ingressName)).metadata.annotations?.[`alb.ingress.kubernetes.io/actions.${traffic.actionName}`];
  try {
    const groups = (JSON.parse(raw ?? '') as { forwardConfig?: { targetGroups?: Array<{ serviceName?: string; weight?: number }> } }).forwardConfig?.targetGroups ?? [];
    const weight = (service: string) => groups.find((g) => g.serviceName === service)?.weight ?? 0;
    return { stable: weight(traffic.stableService), canary: weight(traffic.canaryService) };
  } catch {
    return undefined;
  }
}

export const STABLE_SUBSET = 'stable';
export const CANARY_SUBSET = 'canary';

export function virtualServicePath(target: IstioTarget): string {
  return `/apis/networking.istio.io/${target.apiVersion}/namespaces/${target.namespace}/virtualservices/${target.virtualService}`;
}

export const istioWorld: RouterWorld = {
  exactWeights: true,
  seed(ctx, target) {
    const traffic = istioTarget(target.traffic);
    if (!ctx.worldState.has('istio:webhook')) ctx.worldState.set('istio:webhook', installIstioWebhook(ctx.kube));
    const destination = (host: string, subset: string | undefined) => ({ host, ...(subset !== undefined && { subset }), port: { number: 80 } });
    ctx.kube.putObject(virtualServicePath(traffic), {
      apiVersion: `networking.istio.io/${traffic.apiVersion}`,
      kind: 'VirtualService',
      metadata: {},
      spec: {
        hosts: [traffic.stableHost],
        http: [
          {
            name: traffic.route,
            route: [
              { destination: destination(traffic.stableHost, traffic.stableSubset), weight: 100 },
              { destination: destination(traffic.canaryHost, traffic.canarySubset), weight: 0 },
            ],
          },
        ],
      },
    });
  },
  liveSplit(ctx, target) {
    const traffic = istioTarget(target.traffic);
    const spec = ctx.kube.object(virtualServicePath(traffic)).spec as Record<string, unknown>;
    const view = readRoute(spec, istioRouteRef(traffic));
    const weights = view.steerable ? view.weights : { stable: 0, canary: 0 };
    return { ...weights, testerRoute: hasTesterRoute(spec, traffic.route) };
  },
  onSplitChange(ctx, target, listener) {
    const path = virtualServicePath(istioTarget(target.traffic));
    const emit = changesOf(this.liveSplit(ctx, target), listener);
    return ctx.kube.onObjectChange((changed) => {
      if (changed !== path) return;
      emit({ ...this.liveSplit(ctx, target), source: 'api', canaryHealthyTargets: readyPods(ctx, target, 'canary') });
    });
  },
};

export const replicaRatioWorld: RouterWorld = {
  exactWeights: false,
  seed(_ctx, target) {
    // The Service selects both Deployments' pods: nothing to seed beyond them. The target names
    // the workload's Deployments.
    const traffic = replicaRatioTarget(target.traffic);
    if (traffic.stableDeployment !== target.workload.stableDeployment || traffic.canaryDeployment !== target.workload.canaryDeployment) {
      throw new Error(`the replica ratio of ${traffic.serviceName} must steer the workload's Deployments`);
    }
  },
  liveSplit(ctx, target) {
    const weights = weightsOfPods({ stable: readyPods(ctx, target, 'stable'), canary: readyPods(ctx, target, 'canary') });
    return { stable: weights.stable, canary: weights.canary };
  },
  onSplitChange(ctx, target, listener) {
    const { namespace, stableDeployment, canaryDeployment } = target.workload;
    const emit = changesOf(this.liveSplit(ctx, target), listener);
    return ctx.kube.onChange((changedNamespace, name) => {
      if (changedNamespace !== namespace || (name !== stableDeployment && name !== canaryDeployment)) return;
      emit({ ...this.liveSplit(ctx, target), source: 'api', canaryHealthyTargets: readyPods(ctx, target, 'canary') });
    });
  },
};

export const ROUTER_WORLDS: Readonly<Record<string, RouterWorld>> = {
  alb: albWorld,
  ingress: ingressWorld,
  istio: istioWorld,
  'replica-ratio': replicaRatioWorld,
};

/** The world of a target's kind. @throws for a kind the local engine cannot seed */
export function routerWorld(traffic: TrafficTarget): RouterWorld {
  const world = Object.hasOwn(ROUTER_WORLDS, traffic.kind) ? ROUTER_WORLDS[traffic.kind] : undefined;
  if (!world) throw new Error(`the local engine seeds no world for router kind ${JSON.stringify(traffic.kind)}; known: ${Object.keys(ROUTER_WORLDS).join(', ')}`);
  return world;
}
