/**
 * One sandbox world per routing mode: the target the rollout steers, the data plane the proxy
 * follows, and the steered split the live view draws. The fakes are seeded by the local engine's
 * per-kind worlds; this file only reads them.
 */
import type { TargetConfig, TesterHeader } from '../lambda/domain/types';
import type { LocalEngine } from '../local/local-engine';
import type { SynthesizedWorkflow } from '../local/synthesized-workflow';
import type { Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { routerWorld, ingressController, virtualServicePath } from '../local/router-worlds';
import { sampleTarget } from '../local/sample-targets';
import { albDataPlane, istioDataPlane, replicaRatioDataPlane, type DataPlane, type IstioDestination, type Side, type Split } from './data-plane';
import type { RoutingKind } from './routing-modes';
import { ALB_ROUTER, albTarget } from '../lambda/adapters/alb-target';
import { INGRESS_ROUTER, ingressTarget } from '../lambda/adapters/ingress-target';
import { ISTIO_ROUTER, istioTarget } from '../lambda/adapters/istio-target';
import { REPLICA_RATIO_ROUTER } from '../lambda/adapters/replica-ratio-target';
import { ROUTER_ADAPTERS } from '../lambda/adapters/routers';

export interface SandboxWorld {
  readonly kind: RoutingKind;
  /** The target the rollout steers, with the tester header when its router has a tester route. */
  readonly target: TargetConfig;
  readonly workflow: SynthesizedWorkflow;
  readonly dataPlane: DataPlane;
  /** Whether serinus was given the tester header: false when the router has no tester route (yet). */
  readonly testerRouted: boolean;
  /** The steered split now, in percent (the main route, not the tester route). */
  split(): Split;
  /** Called after every change of the steered split. @returns unsubscribe */
  onSplitChange(listener: (split: Split) => void): () => void;
  /** Whether a tester route exists in the data plane now. */
  testerRouteOpen(): boolean;
  close(): void;
}

/** Stable and canary as percentages of their sum; `{100, 0}` when nothing routes. */
export function percentSplit(split: Split): Split {
  const total = split.stable + split.canary;
  if (!(total > 0)) return { stable: 100, canary: 0 };
  const canary = Math.round((split.canary * 100) / total);
  return { stable: 100 - canary, canary };
}

/** Whether the adapter of a router kind has a tester route (the ALB one gains it separately). */
export async function routerHasTesterRoute(routerKind: string): Promise<boolean> {
  const factory = ROUTER_ADAPTERS[routerKind];
  if (!factory) return false;
  const unavailable = () => Promise.reject(new Error('not needed to look at the adapter'));
  try {
    const router = await factory({ sleep: () => Promise.resolve(), kube: unavailable, workloads: unavailable });
    return router.testerRoute !== undefined;
  } catch {
    // A router that needs its services to be built: the ones that do have a tester route say so in their target schema.
    return routerKind === 'istio';
  }
}

/** Reads the data plane's split through the engine's world of the target's kind. */
function splitOf(engine: LocalEngine, target: TargetConfig): Pick<SandboxWorld, 'split' | 'onSplitChange' | 'close'> {
  const world = routerWorld(target.traffic);
  const stops: Array<() => void> = [];
  return {
    split: () => percentSplit(world.liveSplit(engine.world, target)),
    onSplitChange(listener) {
      const stop = world.onSplitChange(engine.world, target, (change) => listener(percentSplit(change)));
      stops.push(stop);
      return stop;
    },
    close: () => stops.splice(0).forEach((stop) => stop()),
  };
}

/** An ALB data plane: the listener's rules by priority, each target group serving one side. */
function albPlane(engine: LocalEngine, listenerArn: string, stable: string, canary: string, describe: string): DataPlane {
  return albDataPlane({
    rules: () => engine.aws.elbv2.rulesInEffect(listenerArn),
    sideOf: (arn: string): Side | undefined => (arn === stable ? 'stable' : arn === canary ? 'canary' : undefined),
    describe,
  });
}

/** A rule ARN on the listener, `…:listener-rule/app/<lb>/<lb-id>/<listener-id>/<rule-id>`. */
function ruleArnOn(listenerArn: string): string {
  return `${listenerArn.replace(':listener/', ':listener-rule/')}/5a0d1e2c3b4f6789`;
}

/** The target of a mode, seeded in the engine (the alb-listener mode steers the synthesized sample's own). */
function targetOf(kind: RoutingKind, engine: LocalEngine, testerHeader: TesterHeader | undefined): TargetConfig {
  const tester = testerHeader && { testerHeader };
  let target: TargetConfig;
  switch (kind) {
    case 'alb-listener':
      return tester ? { ...engine.target, traffic: { ...engine.target.traffic, ...tester } } : engine.target;
    case 'alb-rule': {
      const base = sampleTarget(engine.target, ALB_ROUTER, { suffix: 'rule', ...tester });
      const ruleArn = ruleArnOn(String(base.traffic.listenerArn));
      target = { ...base, traffic: { ...base.traffic, ruleArn, key: ruleArn } };
      break;
    }
    case 'ingress':
      target = sampleTarget(engine.target, INGRESS_ROUTER);
      break;
    case 'istio':
      target = sampleTarget(engine.target, ISTIO_ROUTER, { ...tester });
      break;
    case 'replica-ratio':
      target = sampleTarget(engine.target, REPLICA_RATIO_ROUTER);
      break;
  }
  engine.addTarget(target);
  return target;
}

/**
 * Builds the world of a routing mode on a started engine: seeds its target (with the tester
 * header when its router has a tester route) and the data plane the proxy follows.
 */
export async function prepareWorld(
  kind: RoutingKind,
  engine: LocalEngine,
  workflow: SynthesizedWorkflow,
  testerHeader: TesterHeader | undefined,
): Promise<SandboxWorld> {
  const routerKind = kind === 'alb-listener' || kind === 'alb-rule' ? ALB_ROUTER : kind;
  const testerRouted = testerHeader !== undefined && (await routerHasTesterRoute(routerKind));
  const target = targetOf(kind, engine, testerRouted ? testerHeader : undefined);
  const steered = { target, workflow: target === workflow.target ? workflow : engine.workflowFor(target), testerRouted };
  let dataPlane: DataPlane;
  let testerRouteOpen: () => boolean = () => false;
  switch (kind) {
    case 'alb-listener':
    case 'alb-rule': {
      const traffic = albTarget(target.traffic);
      dataPlane = albPlane(
        engine,
        traffic.listenerArn,
        traffic.stableTargetGroupArn,
        traffic.canaryTargetGroupArn,
        `ALB listener (a proxy evaluating its rules by priority; serinus steers ${traffic.ruleArn ? 'the rule at priority 10' : 'the default action'})`,
      );
      testerRouteOpen = () => testerHeader !== undefined && hasHeaderRule(engine.aws.elbv2.rulesInEffect(traffic.listenerArn), testerHeader);
      break;
    }
    case 'ingress': {
      const traffic = ingressTarget(target.traffic);
      const controller = ingressController(engine.world, target);
      dataPlane = albPlane(
        engine,
        traffic.listenerArn,
        controller.stableTargetGroupArn,
        controller.canaryTargetGroupArn,
        `ALB listener whose rule the Load Balancer Controller reconciles from Ingress ${traffic.namespace}/${traffic.ingressName} (a proxy evaluating its rules)`,
      );
      break;
    }
    case 'istio': {
      const traffic = istioTarget(target.traffic);
      const path = virtualServicePath(traffic);
      const same = (a: IstioDestination, host: string, subset: string | undefined) => a.host.toLowerCase() === host.toLowerCase() && (a.subset ?? '') === (subset ?? '');
      dataPlane = istioDataPlane({
        spec: () => engine.kube.object(path).spec,
        sideOf: (destination) =>
          same(destination, traffic.canaryHost, traffic.canarySubset) ? 'canary' : same(destination, traffic.stableHost, traffic.stableSubset) ? 'stable' : undefined,
        describe: `Istio sidecar (a proxy evaluating VirtualService ${traffic.namespace}/${traffic.virtualService}'s routes)`,
      });
      testerRouteOpen = () => routerWorld(target.traffic).liveSplit(engine.world, target).testerRoute === true;
      break;
    }
    case 'replica-ratio': {
      const { namespace, stableDeployment, canaryDeployment } = target.workload;
      const ready = (name: string) => engine.kube.deployment(namespace, name).status.availableReplicas ?? 0;
      dataPlane = replicaRatioDataPlane({
        readyPods: () => ({ stable: ready(stableDeployment), canary: ready(canaryDeployment) }),
        describe: `Service ${namespace}/${String(target.traffic.serviceName)} (a proxy spreading requests over the ready pods of both Deployments)`,
      });
      break;
    }
  }
  return { kind, ...steered, dataPlane, testerRouteOpen, ...splitOf(engine, target) };
}

/** Whether a listener rule routes on the tester header (whatever it forwards to). */
function hasHeaderRule(rules: readonly Rule[], header: TesterHeader): boolean {
  return rules.some(
    (rule) =>
      !rule.IsDefault &&
      (rule.Conditions ?? []).some((c) => c.Field === 'http-header' && c.HttpHeaderConfig?.HttpHeaderName?.toLowerCase() === header.name.toLowerCase()),
  );
}
