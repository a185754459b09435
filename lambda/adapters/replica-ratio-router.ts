/**
 * The `replica-ratio` router: where nothing can weight, the traffic of one Service follows its ready
 * pods, so the canary's share is set by scaling the canary and the stable Deployment. The split is
 * rounded to whole pods; the weights asked for are recorded on the canary Deployment
 * (lambda/domain/replica-ratio.ts), because the functions keep no state and the pods alone cannot
 * say which weights they stand for.
 */
import {
  RATIO_ANNOTATION,
  baselineOf,
  describeSplit,
  formatRatioRecord,
  isUnfinishedWrite,
  liveWeights,
  parseRatioRecord,
  planScaling,
  sameIntent,
  splitReplicas,
  type RatioRecord,
  type ReplicaCounts,
  type ReplicaSplit,
} from '../domain/replica-ratio';
import type { DeploymentRef, TrafficTarget, Weights } from '../domain/types';
import { assertPlanWeights, formatWeights, sameWeights } from '../domain/weights';
import { DriftDetectedError, ValidationFailedError, WeightNotAppliedError } from '../errors';
import type {
  DeploymentInspection,
  Fence,
  RestoreResult,
  TrafficReading,
  TrafficRouter,
  Workloads,
  WriteWeightsOptions,
  WriteWeightsResult,
} from '../ports';
import { logger } from '../shared/observability';
import { replicaRatioTarget, type ReplicaRatioTarget } from './replica-ratio-target';

export interface ReplicaRatioRouterOptions {
  /**
   * Reads while waiting for pods: before a side gives up pods, until the other is ready; after the
   * write, until both show the new counts. @default 10
   */
  readonly readyAttempts?: number;
  /** Pause between two of those reads. @default 2000 */
  readonly readyDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

type SideName = 'stable' | 'canary';

/** Both Deployments and the record, from one read of each. */
interface RatioView {
  readonly specs: ReplicaCounts;
  readonly ready: ReplicaCounts;
  readonly record: RatioRecord | undefined;
  /** Set when the annotation holds something serinus cannot read. */
  readonly unreadable?: string;
  readonly weights: Weights;
}

/** A Workloads adapter that can read and write annotations. */
type AnnotatingWorkloads = Workloads & Required<Pick<Workloads, 'inspect' | 'annotate'>>;

export class ReplicaRatioRouter implements TrafficRouter {
  private readonly workloads: AnnotatingWorkloads;
  private readonly readyAttempts: number;
  private readonly readyDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(workloads: Workloads, options: ReplicaRatioRouterOptions = {}) {
    if (!workloads.inspect || !workloads.annotate) {
      throw new Error('the replica-ratio router needs a Workloads adapter that can inspect and annotate Deployments');
    }
    this.workloads = workloads as AnnotatingWorkloads;
    this.readyAttempts = Math.max(1, options.readyAttempts ?? 10);
    this.readyDelayMs = options.readyDelayMs ?? 2000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async readWeights(target: TrafficTarget): Promise<Weights> {
    return (await this.readTraffic(target)).weights;
  }

  /** Nothing to attach: every ready pod behind the Service takes traffic. */
  async readTraffic(traffic: TrafficTarget): Promise<TrafficReading> {
    const view = await this.read(replicaRatioTarget(traffic));
    return { weights: view.weights, canaryAttached: true };
  }

  async writeWeights(traffic: TrafficTarget, weights: Weights, options: WriteWeightsOptions = {}): Promise<WriteWeightsResult> {
    const target = replicaRatioTarget(traffic);
    const { expected, fence, decide } = options;
    if (!decide) assertPlanWeights(weights);

    const view = await this.read(target);
    const wanted = decide ? await decide(view.weights) : weights;
    if (!wanted) return { previous: view.weights, applied: view.weights, wrote: false };
    assertPlanWeights(wanted);
    if (view.unreadable) throw new ValidationFailedError(view.unreadable);

    const baseline = baselineOf(view.record, view.specs);
    const split = splitReplicas(wanted, baseline, target);
    if (expected && !sameWeights(view.weights, expected) && !sameWeights(view.weights, wanted) && !this.unfinished(view, expected, baseline, split, target)) {
      throw new DriftDetectedError(
        `the pods behind Service "${target.serviceName}" stand for ${formatWeights(view.weights)} (${describeCounts(target, view)}), ` +
          `but serinus last wrote ${formatWeights(expected)}: someone else is scaling them, so nothing was written`,
      );
    }

    let wrote = false;
    const record: RatioRecord = {
      baselineReplicas: baseline,
      weights: { stable: wanted.stable, canary: wanted.canary },
      replicas: split.replicas,
      previous: { weights: { stable: view.weights.stable, canary: view.weights.canary }, replicas: view.specs },
    };
    // Recorded before anything scales, so the baseline survives a function that dies mid-write. A
    // retried write keeps the first attempt's record, whose `previous` is where the write began.
    if (!sameIntent(view.record, record)) {
      await fence?.();
      await this.workloads.annotate(this.ref(target, 'canary'), { [RATIO_ANNOTATION]: formatRatioRecord(record) });
      wrote = true;
    }

    const plan = planScaling(view.specs, split.replicas);
    for (const { side, replicas } of plan.grow) {
      await fence?.();
      await this.workloads.scale(this.ref(target, side), replicas);
      wrote = true;
    }
    if (plan.shrink.length > 0) {
      await this.awaitReady(target, plan.readyBeforeShrink, split.replicas, `before ${plan.shrink.map((s) => `the ${s.side}`).join(' and ')} gave up pods`);
    }
    for (const { side, replicas } of plan.shrink) {
      await fence?.();
      await this.workloads.scale(this.ref(target, side), replicas);
      wrote = true;
    }
    await this.awaitReady(target, ['stable', 'canary'], split.replicas, 'after the write');

    const applied = (await this.read(target)).weights;
    const achieved = { canaryPercent: split.achievedPercent, roundingError: split.roundingError, description: describeSplit(split) };
    logger.info('replica ratio applied', {
      service: target.serviceName,
      weights: formatWeights(wanted),
      stableReplicas: split.replicas.stable,
      canaryReplicas: split.replicas.canary,
      achievedPercent: split.achievedPercent,
      roundingError: split.roundingError,
      split: achieved.description,
    });
    return { previous: view.weights, applied, wrote, achieved };
  }

  /** Nothing to attach: a Service sends traffic to every ready pod it selects. */
  async attachCanary(): Promise<boolean> {
    return false;
  }

  /**
   * Never refuses: the stable back to its baseline (or more, if it runs more now) and ready, then the
   * canary to 0. Only a stable with no ready pod at all keeps the canary running: taking it away then
   * would leave the Service with no endpoint.
   */
  async restoreStable(traffic: TrafficTarget, fence?: Fence): Promise<RestoreResult> {
    const target = replicaRatioTarget(traffic);
    // One after the other: two requests either way, and their order stays the same from run to run.
    const stable = await this.inspect(target, 'stable');
    const canary = await this.inspect(target, 'canary');
    const stableName = describeDeployment(target, 'stable');
    if (!stable) {
      return {
        wrote: false,
        nothingToSteer: true,
        findings: [
          `${stableName} no longer exists, so there is no stable side to give the traffic back to` +
            (canary && canary.status.desired > 0 ? `; the canary was left running: its ${canary.status.desired} replica(s) are all the Service "${target.serviceName}" has` : ''),
        ],
      };
    }
    const findings: string[] = [];
    const stableSpec = stable.status.desired;
    const canarySpec = canary?.status.desired ?? 0;
    const parsed = canary ? parseRatioRecord(canary.annotations[RATIO_ANNOTATION]) : undefined;
    if (parsed === 'invalid') {
      findings.push(`the ${RATIO_ANNOTATION} annotation of ${describeDeployment(target, 'canary')} is not one serinus wrote; it was replaced`);
    }
    const record = parsed === 'invalid' ? undefined : parsed;
    if (!canary) findings.push(`${describeDeployment(target, 'canary')} no longer exists, so it carries no traffic`);
    if (!record && canarySpec > 0) {
      findings.push(`nothing recorded the stable's replicas when the rollout began; the stable takes over the ${stableSpec + canarySpec} replicas both run now`);
    }
    const baseline = baselineOf(record, { stable: stableSpec, canary: canarySpec });
    let stableTarget = Math.max(baseline, stableSpec);
    if (stableSpec > baseline) findings.push(`${stableName} runs ${stableSpec} replicas, more than the ${baseline} it ran when the rollout began; they were kept`);
    if (stableTarget < 1) {
      stableTarget = 1;
      findings.push(`${stableName} had no replicas; it was scaled to 1 so that the Service has an endpoint`);
    }

    let wrote = false;
    if (stableSpec < stableTarget) {
      await fence?.();
      await this.workloads.scale(this.ref(target, 'stable'), stableTarget);
      wrote = true;
    }
    if (canary && canarySpec > 0) {
      const ready = await this.awaitStable(target, stableTarget);
      if (ready < stableTarget) {
        findings.push(`${stableName} had ${ready} of ${stableTarget} replicas ready when the canary was scaled to 0; the rest are still starting`);
      }
      await fence?.();
      await this.workloads.scale(this.ref(target, 'canary'), 0);
      wrote = true;
    }
    if (canary) {
      const restored: RatioRecord = { baselineReplicas: Math.max(baseline, 1), weights: { stable: 100, canary: 0 }, replicas: { stable: stableTarget, canary: 0 } };
      if (!sameIntent(record, restored)) {
        await fence?.();
        await this.workloads.annotate(this.ref(target, 'canary'), { [RATIO_ANNOTATION]: formatRatioRecord(restored) });
        wrote = true;
      }
      if (canarySpec > 0) await this.awaitReady(target, ['canary'], { stable: stableTarget, canary: 0 }, 'after the canary was scaled to 0');
    }
    return { wrote, nothingToSteer: false, findings };
  }

  /** No target group to look into: readiness rests on the Deployments. */
  async healthyTargets(): Promise<undefined> {
    return undefined;
  }

  /** A canary pod takes its share of the Service's traffic as soon as it is ready: none before the first weight. */
  async canaryReplicasBeforeTraffic(): Promise<number> {
    return 0;
  }

  private unfinished(view: RatioView, expected: Weights, baseline: number, split: ReplicaSplit, target: ReplicaRatioTarget): boolean {
    try {
      return isUnfinishedWrite(view.specs, splitReplicas(expected, baseline, target).replicas, split.replicas);
    } catch {
      return false;
    }
  }

  private async read(target: ReplicaRatioTarget): Promise<RatioView> {
    const stable = await this.inspect(target, 'stable');
    const canary = await this.inspect(target, 'canary');
    const missing = (['stable', 'canary'] as const).filter((side) => !(side === 'stable' ? stable : canary));
    if (!stable || !canary) {
      throw new ValidationFailedError(
        missing.map((side) => `${describeDeployment(target, side)} does not exist; the replica ratio of Service "${target.serviceName}" needs it`),
      );
    }
    const specs = { stable: stable.status.desired, canary: canary.status.desired };
    const ready = { stable: stable.status.available, canary: canary.status.available };
    const parsed = parseRatioRecord(canary.annotations[RATIO_ANNOTATION]);
    const record = parsed === 'invalid' ? undefined : parsed;
    const { weights } = liveWeights(record, specs, ready);
    return {
      specs,
      ready,
      record,
      weights,
      ...(parsed === 'invalid' && {
        unreadable:
          `the ${RATIO_ANNOTATION} annotation of ${describeDeployment(target, 'canary')} is not one serinus wrote; ` +
          'remove it (a rollback restores the stable and rewrites it)',
      }),
    };
  }

  private inspect(target: ReplicaRatioTarget, side: SideName): Promise<DeploymentInspection | undefined> {
    return this.workloads.inspect(this.ref(target, side));
  }

  /**
   * Reads until every named side runs its wanted count, all of it ready (available) and no old pod
   * left.
   * @throws WeightNotAppliedError when a side's rollout failed or the reads run out.
   */
  private async awaitReady(target: ReplicaRatioTarget, sides: ReadonlyArray<SideName>, wanted: ReplicaCounts, when: string): Promise<void> {
    let waiting: string[] = [];
    for (let attempt = 1; attempt <= this.readyAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.readyDelayMs);
      waiting = [];
      for (const side of sides) {
        const found = await this.inspect(target, side);
        const name = describeDeployment(target, side);
        if (!found) throw new WeightNotAppliedError(`${name} disappeared while serinus scaled it ${when}`);
        const { status } = found;
        if (status.desired !== wanted[side]) {
          waiting.push(`${name} is set to ${status.desired} replicas, not ${wanted[side]}`);
        } else if (wanted[side] === 0) {
          // Gone is all that counts: a canary that failed its rollout still reports ProgressDeadlineExceeded.
          if (status.available > 0) waiting.push(`${name} still has ${status.available} available replica(s)`);
        } else if (status.failed) {
          throw new WeightNotAppliedError(`${name} cannot reach ${wanted[side]} ready replicas ${when}: ${status.message}`);
        } else if (!status.complete || status.available < wanted[side]) {
          waiting.push(status.message);
        }
      }
      if (waiting.length === 0) return;
    }
    throw new WeightNotAppliedError(
      `scaled the Deployments behind Service "${target.serviceName}" to stable ${wanted.stable} / canary ${wanted.canary}, but ${when}, ` +
        `after ${this.readyAttempts} reads: ${waiting.join('; ')}`,
    );
  }

  /**
   * Waits for the stable's pods before the canary goes: all of them, or, when the reads run out, at
   * least one (a restore never keeps the canary serving beside a stable that can take the traffic).
   * @returns how many are ready
   * @throws WeightNotAppliedError when not one stable pod is ready.
   */
  private async awaitStable(target: ReplicaRatioTarget, wanted: number): Promise<number> {
    let last = '';
    let ready = 0;
    for (let attempt = 1; attempt <= this.readyAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.readyDelayMs);
      const found = await this.inspect(target, 'stable');
      if (!found) throw new WeightNotAppliedError(`${describeDeployment(target, 'stable')} disappeared while serinus restored it`);
      ready = found.status.available;
      last = found.status.message;
      if (found.status.complete && ready >= wanted) return ready;
    }
    if (ready > 0) return ready;
    throw new WeightNotAppliedError(
      `scaled ${describeDeployment(target, 'stable')} to ${wanted} replicas to take the traffic back, but after ${this.readyAttempts} reads none is ready ` +
        `(${last}); the canary keeps serving Service "${target.serviceName}" until one is`,
    );
  }

  private ref(target: ReplicaRatioTarget, side: SideName): DeploymentRef {
    return {
      clusterName: target.clusterName,
      namespace: target.namespace,
      name: side === 'stable' ? target.stableDeployment : target.canaryDeployment,
    };
  }
}

function describeDeployment(target: ReplicaRatioTarget, side: SideName): string {
  const name = side === 'stable' ? target.stableDeployment : target.canaryDeployment;
  return `${side} deployment "${name}" (namespace "${target.namespace}", cluster "${target.clusterName}")`;
}

function describeCounts(target: ReplicaRatioTarget, view: RatioView): string {
  return (
    `${target.stableDeployment} set to ${view.specs.stable} with ${view.ready.stable} ready, ` +
    `${target.canaryDeployment} set to ${view.specs.canary} with ${view.ready.canary} ready`
  );
}
