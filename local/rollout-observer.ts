/**
 * Records what a local rollout did to the world, with timestamps: every weight change, every
 * Deployment change, every alarm state. Flow tests check the invariants against it; the sandbox
 * draws its timeline from it.
 */
import type { FakeDeployment } from './fake-kubernetes';
import type { LocalEngine } from './local-engine';
import type { TargetConfig } from '../lambda/domain/types';
import { routerWorld, type LiveSplit, type RouterWorld } from './router-worlds';

export interface WeightSample {
  readonly at: number;
  readonly stable: number;
  readonly canary: number;
  readonly source: 'api' | 'out-of-band';
  /** Healthy targets in the canary target group (or ready canary pods) when the weights changed. */
  readonly canaryHealthyTargets: number;
  /** Whether a tester route was open, for routers that have one. */
  readonly testerRoute?: boolean;
}

export interface DeploymentSample {
  readonly at: number;
  readonly deployment: 'stable' | 'canary';
  readonly images: Record<string, string>;
  readonly replicas: number;
  readonly available: number;
}

export class RolloutObserver {
  readonly weights: WeightSample[] = [];
  readonly deployments: DeploymentSample[] = [];
  private readonly unsubscribe: Array<() => void> = [];

  /** How the observed target's data plane is seeded and read. */
  readonly world: RouterWorld;

  /** Observes `target` (one the engine seeded, e.g. with `addTarget`); the engine's own by default. */
  constructor(
    private readonly engine: LocalEngine,
    readonly target: TargetConfig = engine.target,
  ) {
    const { workload } = target;
    this.world = routerWorld(target.traffic);
    for (const [which, name] of [['stable', workload.stableDeployment], ['canary', workload.canaryDeployment]] as const) {
      this.recordDeployment(which, engine.kube.deployment(workload.namespace, name));
    }
    this.unsubscribe.push(
      this.world.onSplitChange(engine.world, target, (change) => {
        this.weights.push({
          at: Date.now(),
          stable: change.stable,
          canary: change.canary,
          source: change.source,
          canaryHealthyTargets: change.canaryHealthyTargets,
          ...(change.testerRoute !== undefined && { testerRoute: change.testerRoute }),
        });
      }),
      engine.kube.onChange((namespace, name, deployment) => {
        if (namespace !== workload.namespace) return;
        const which = name === workload.stableDeployment ? 'stable' : name === workload.canaryDeployment ? 'canary' : undefined;
        if (which) this.recordDeployment(which, deployment);
      }),
    );
  }

  private recordDeployment(which: 'stable' | 'canary', deployment: FakeDeployment): void {
    this.deployments.push({
      at: Date.now(),
      deployment: which,
      images: Object.fromEntries(deployment.spec.template.spec.containers.map((c) => [c.name, c.image])),
      replicas: deployment.spec.replicas,
      available: deployment.status.availableReplicas ?? 0,
    });
  }

  /** The weights the data plane applies right now (the ELBv2 rule, the VirtualService, the ready pods). */
  currentWeights(): { stable: number; canary: number } {
    const { stable, canary } = this.currentSplit();
    return { stable, canary };
  }

  /** The split right now, with whether a tester route is open (routers that have one). */
  currentSplit(): LiveSplit {
    return this.world.liveSplit(this.engine.world, this.target);
  }

  /** Every image the stable Deployment has had, in order, without repeats. */
  stableImages(container = this.target.workload.containers[0]!): string[] {
    return distinct(this.deployments.filter((d) => d.deployment === 'stable').map((d) => d.images[container] ?? ''));
  }

  /** Canary weights written by serinus, in order. */
  canaryWeights(): number[] {
    return this.weights.filter((w) => w.source === 'api').map((w) => w.canary);
  }

  close(): void {
    for (const stop of this.unsubscribe) stop();
  }
}

function distinct(values: string[]): string[] {
  return values.filter((value, i) => i === 0 || values[i - 1] !== value);
}
