/**
 * One sandbox world per routing mode: the target the rollout steers, the data plane the proxy
 * follows, and the steered split the live view draws. The fakes are seeded by the local engine's
 * per-kind worlds; this file only reads them.
 */
import type { TargetConfig, TesterHeader } from '../lambda/domain/types';
import type { LocalEngine } from '../local/local-engine';
import type { SynthesizedWorkflow } from '../local/synthesized-workflow';
import { albDataPlane, type DataPlane, type Side, type Split } from './data-plane';
import type { RoutingKind } from './routing-modes';
import { albTarget } from '../lambda/adapters/alb-target';
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

/** The target with the tester header, when the router takes it; the workflow that steers it. */
async function withTester(
  engine: LocalEngine,
  workflow: SynthesizedWorkflow,
  target: TargetConfig,
  testerHeader: TesterHeader | undefined,
): Promise<{ target: TargetConfig; workflow: SynthesizedWorkflow; testerRouted: boolean }> {
  const testerRouted = testerHeader !== undefined && (await routerHasTesterRoute(target.traffic.kind));
  const steered: TargetConfig = testerRouted ? { ...target, traffic: { ...target.traffic, testerHeader } } : target;
  const same = steered === workflow.target;
  return { target: steered, workflow: same ? workflow : engine.workflowFor(steered), testerRouted };
}

/** An ALB listener the engine seeded: the proxy evaluates its rules, the split is the steered action's. */
export function albWorld(
  kind: RoutingKind,
  engine: LocalEngine,
  steered: { target: TargetConfig; workflow: SynthesizedWorkflow; testerRouted: boolean },
  tg: { listenerArn: string; steeredArn: string; stable: string; canary: string },
): SandboxWorld {
  const sideOf = (arn: string): Side | undefined => (arn === tg.stable ? 'stable' : arn === tg.canary ? 'canary' : undefined);
  const split = (): Split => {
    const weights = engine.aws.elbv2.weights(tg.steeredArn);
    return percentSplit({ stable: weights[tg.stable] ?? 0, canary: weights[tg.canary] ?? 0 });
  };
  const stops: Array<() => void> = [];
  return {
    kind,
    ...steered,
    dataPlane: albDataPlane({
      rules: () => engine.aws.elbv2.listenerRules(tg.listenerArn),
      sideOf,
      describe: `ALB listener (a proxy evaluating its rules by priority) → ${tg.steeredArn === tg.listenerArn ? 'the default action' : 'the steered rule'}`,
    }),
    split,
    onSplitChange(listener) {
      const stop = engine.aws.elbv2.onWeightsChanged((change) => {
        if (change.arn === tg.steeredArn) listener(split());
      });
      stops.push(stop);
      return stop;
    },
    close: () => stops.splice(0).forEach((stop) => stop()),
  };
}

/** Builds the world of a routing mode on a started engine. */
export async function prepareWorld(
  kind: RoutingKind,
  engine: LocalEngine,
  workflow: SynthesizedWorkflow,
  testerHeader: TesterHeader | undefined,
): Promise<SandboxWorld> {
  if (kind === 'alb-listener') {
    const traffic = albTarget(workflow.target.traffic);
    const steered = await withTester(engine, workflow, workflow.target, testerHeader);
    return albWorld(kind, engine, steered, {
      listenerArn: traffic.listenerArn,
      steeredArn: traffic.ruleArn ?? traffic.listenerArn,
      stable: traffic.stableTargetGroupArn,
      canary: traffic.canaryTargetGroupArn,
    });
  }
  throw new Error(`the ${kind} routing is not wired yet`);
}
