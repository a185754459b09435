/**
 * Records what a local rollout did to the world, with timestamps: every weight change, every
 * Deployment change, every alarm state. Flow tests check the invariants against it; the sandbox
 * draws its timeline from it.
 */
import type { FakeDeployment } from './fake-kubernetes';
import type { LocalEngine } from './local-engine';
import { albTarget } from '../lambda/adapters/alb-target';

export interface WeightSample {
  readonly at: number;
  readonly stable: number;
  readonly canary: number;
  readonly source: 'api' | 'out-of-band';
  /** Healthy targets in the canary target group when the weights changed. */
  readonly canaryHealthyTargets: number;
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

  constructor(private readonly engine: LocalEngine) {
    const { workload } = engine.target;
    const traffic = albTarget(engine.target.traffic);
    const steered = traffic.ruleArn ?? traffic.listenerArn;
    for (const [which, name] of [['stable', workload.stableDeployment], ['canary', workload.canaryDeployment]] as const) {
      this.recordDeployment(which, engine.kube.deployment(workload.namespace, name));
    }
    this.unsubscribe.push(
      engine.aws.elbv2.onWeightsChanged((change) => {
        if (change.arn !== steered) return;
        this.weights.push({
          at: Date.now(),
          stable: change.weights[traffic.stableTargetGroupArn] ?? 0,
          canary: change.weights[traffic.canaryTargetGroupArn] ?? 0,
          source: change.source,
          canaryHealthyTargets: this.healthyTargets(traffic.canaryTargetGroupArn),
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

  /** The weights steered right now, as the fake ELBv2 holds them. */
  currentWeights(): { stable: number; canary: number } {
    const traffic = albTarget(this.engine.target.traffic);
    const map = this.engine.aws.elbv2.weights(traffic.ruleArn ?? traffic.listenerArn);
    return { stable: map[traffic.stableTargetGroupArn] ?? 0, canary: map[traffic.canaryTargetGroupArn] ?? 0 };
  }

  /** Every image the stable Deployment has had, in order, without repeats. */
  stableImages(container = this.engine.target.workload.containers[0]!): string[] {
    return distinct(this.deployments.filter((d) => d.deployment === 'stable').map((d) => d.images[container] ?? ''));
  }

  /** Canary weights written by serinus, in order. */
  canaryWeights(): number[] {
    return this.weights.filter((w) => w.source === 'api').map((w) => w.canary);
  }

  close(): void {
    for (const stop of this.unsubscribe) stop();
  }

  private healthyTargets(targetGroupArn: string): number {
    const output = this.engine.aws.elbv2.describeTargetHealth({ TargetGroupArn: targetGroupArn });
    return (output.TargetHealthDescriptions ?? []).filter((t) => t.TargetHealth?.State === 'healthy').length;
  }
}

function distinct(values: string[]): string[] {
  return values.filter((value, i) => i === 0 || values[i - 1] !== value);
}
