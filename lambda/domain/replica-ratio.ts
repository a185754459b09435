/**
 * The replica ratio: where nothing can weight (an NLB, another L4 Service, a single target group),
 * the traffic follows the ready pods behind one Service, so the canary's share is its pods' share.
 * Pure decisions: which replica counts stand for a weight, in which order to scale, which weights
 * a set of counts stands for, and what serinus records on the canary Deployment between calls.
 */
import * as z from 'zod';
import { ValidationFailedError } from '../errors';
import type { Weights } from './types';

/** Replicas of the stable and the canary Deployment (spec, or ready pods). */
export interface ReplicaCounts {
  readonly stable: number;
  readonly canary: number;
}

/** The total replicas (stable + canary) allowed while the canary has weight. */
export interface ReplicaBounds {
  /** The least total. */
  readonly minReplicas: number;
  /**
   * The most. Above the baseline, serinus adds pods only where they bring the split closer to the
   * weight; below it, the baseline is capped.
   * @default - the baseline (clamped up to minReplicas): the total never grows to refine a split
   */
  readonly maxReplicas?: number;
}

/** The replica counts for one weight, and how close they come. */
export interface ReplicaSplit {
  readonly replicas: ReplicaCounts;
  /** The canary's share asked for, in percent. */
  readonly requestedPercent: number;
  /** The canary's share of the pods, in percent, to 2 decimals. */
  readonly achievedPercent: number;
  /** `achievedPercent - requestedPercent`, in percentage points, to 2 decimals. */
  readonly roundingError: number;
}

/**
 * The canary's share of the traffic the weights ask for, in percent.
 * @throws ValidationFailedError when the weights route no traffic.
 */
export function canaryPercent(weights: Weights): number {
  const total = weights.stable + weights.canary;
  if (!(total > 0) || weights.stable < 0 || weights.canary < 0) {
    throw new ValidationFailedError(`weights stable ${weights.stable} / canary ${weights.canary} route no traffic`);
  }
  return (weights.canary * 100) / total;
}

/**
 * The replicas that give the canary the share of the weights, from the stable's replicas when the
 * rollout began (`baselineReplicas`):
 * - no canary weight: the stable at its baseline, no canary (whatever the bounds: it is what ran);
 * - all weight on the canary: no stable, the canary at the baseline clamped to the bounds;
 * - otherwise at least one pod on each side, a total within the bounds (and at least 2), the
 *   smallest total from the baseline up to `maxReplicas` that comes closest to the weight.
 * @throws ValidationFailedError when the baseline or the bounds are not usable.
 */
export function splitReplicas(weights: Weights, baselineReplicas: number, bounds: ReplicaBounds): ReplicaSplit {
  const { minReplicas, maxReplicas } = bounds;
  const problems: string[] = [];
  if (!Number.isInteger(baselineReplicas) || baselineReplicas < 1) {
    problems.push(`the stable Deployment ran ${baselineReplicas} replicas when the rollout began; the replica ratio needs at least 1 to start from`);
  }
  if (!Number.isInteger(minReplicas) || minReplicas < 1) problems.push(`minReplicas must be a whole number ≥ 1, got ${minReplicas}`);
  if (maxReplicas !== undefined && (!Number.isInteger(maxReplicas) || maxReplicas < 2)) {
    problems.push(`maxReplicas must be a whole number ≥ 2 (a split needs a stable and a canary pod), got ${maxReplicas}`);
  }
  if (maxReplicas !== undefined && maxReplicas < minReplicas) problems.push(`minReplicas (${minReplicas}) must not exceed maxReplicas (${maxReplicas})`);
  if (problems.length > 0) throw new ValidationFailedError(problems);

  const requestedPercent = canaryPercent(weights);
  const natural = Math.min(Math.max(baselineReplicas, minReplicas), maxReplicas ?? Number.POSITIVE_INFINITY);
  const split = (stable: number, canary: number): ReplicaSplit => {
    const achievedPercent = (canary * 100) / (stable + canary);
    return {
      replicas: { stable, canary },
      requestedPercent: round2(requestedPercent),
      achievedPercent: round2(achievedPercent),
      roundingError: round2(achievedPercent - requestedPercent),
    };
  };
  if (weights.canary === 0) return split(baselineReplicas, 0);
  if (weights.stable === 0) return split(0, natural);

  const lowest = Math.max(natural, 2);
  const highest = Math.max(lowest, maxReplicas ?? lowest);
  let best: { total: number; canary: number; error: number } | undefined;
  for (let total = lowest; total <= highest; total++) {
    // Integer arithmetic: total × canary / (stable + canary), rounded half up.
    const exact = (total * weights.canary) / (weights.stable + weights.canary);
    const canary = Math.min(Math.max(Math.round(exact), 1), total - 1);
    const error = Math.abs(canary * (weights.stable + weights.canary) - total * weights.canary) / total;
    if (!best || error < best.error - 1e-9) best = { total, canary, error };
    if (error === 0) break;
  }
  return split(best!.total - best!.canary, best!.canary);
}

/**
 * The weights a set of ready pods stands for, in percent. A side with ready pods keeps at least 1,
 * so "the canary has traffic" stays true for 1 pod in 300; no ready pod at all routes nothing (0/0).
 */
export function weightsOfPods(ready: ReplicaCounts): Weights {
  const total = ready.stable + ready.canary;
  if (total <= 0) return { stable: 0, canary: 0 };
  let canary = Math.round((ready.canary * 100) / total);
  if (ready.canary > 0 && ready.stable > 0) canary = Math.min(Math.max(canary, 1), 99);
  return { stable: 100 - canary, canary };
}

/** What a write scales, in the order that keeps the traffic carried. */
export interface ScalingPlan {
  /** Scaled up first. */
  readonly grow: ReadonlyArray<{ readonly side: 'stable' | 'canary'; readonly replicas: number }>;
  /**
   * Sides that must be ready at their new count before anything shrinks: every side that does not
   * shrink carries the traffic the shrinking one gives up. Empty when nothing shrinks.
   */
  readonly readyBeforeShrink: ReadonlyArray<'stable' | 'canary'>;
  /** Scaled down last. */
  readonly shrink: ReadonlyArray<{ readonly side: 'stable' | 'canary'; readonly replicas: number }>;
}

/**
 * Make before break: scale up, wait until the grown (and unchanged) sides are ready, then scale
 * down. So the canary's pods are ready before the stable gives up pods, and when restoring, the
 * stable's pods are ready before the canary goes to 0.
 */
export function planScaling(from: ReplicaCounts, to: ReplicaCounts): ScalingPlan {
  const sides = ['stable', 'canary'] as const;
  const grow = sides.filter((side) => to[side] > from[side]).map((side) => ({ side, replicas: to[side] }));
  // The side losing pods first, so the canary leaves before the stable when both shrink.
  const shrink = (['canary', 'stable'] as const).filter((side) => to[side] < from[side]).map((side) => ({ side, replicas: to[side] }));
  const readyBeforeShrink = shrink.length === 0 ? [] : sides.filter((side) => to[side] >= from[side]);
  return { grow, readyBeforeShrink, shrink };
}

/**
 * Whether the replica specs are a write from `from` to `to` that stopped half way (each side at
 * its old or its new count): serinus's own unfinished write, to be finished, not drift.
 */
export function isUnfinishedWrite(specs: ReplicaCounts, from: ReplicaCounts, to: ReplicaCounts): boolean {
  return (specs.stable === from.stable || specs.stable === to.stable) && (specs.canary === from.canary || specs.canary === to.canary);
}

export function sameCounts(a: ReplicaCounts, b: ReplicaCounts): boolean {
  return a.stable === b.stable && a.canary === b.canary;
}

/** The annotation on the canary Deployment that carries the ratio between two calls. */
export const RATIO_ANNOTATION = 'serinus.dev/replica-ratio';

/**
 * What serinus records on the canary Deployment before it scales: the Lambda functions keep no
 * state, and a rounded split cannot be read back as the weights that asked for it.
 */
export interface RatioRecord {
  /** The stable's replicas when the rollout began: where restoring takes it back to. */
  readonly baselineReplicas: number;
  /** The weights last requested. */
  readonly weights: Weights;
  /** The replica specs those weights map to. */
  readonly replicas: ReplicaCounts;
  /** The weights and specs the last write started from (to read a write stopped before it scaled). */
  readonly previous?: { readonly weights: Weights; readonly replicas: ReplicaCounts };
}

const count = z.number().int().min(0);
const weightsSchema = z.object({ stable: count, canary: count });
const countsSchema = z.object({ stable: count, canary: count });
const recordSchema = z.object({
  baselineReplicas: z.number().int().min(1),
  weights: weightsSchema,
  replicas: countsSchema,
  previous: z.object({ weights: weightsSchema, replicas: countsSchema }).optional(),
});

/** @returns the record, undefined when there is none, or `invalid` when the annotation is not one serinus wrote. */
export function parseRatioRecord(annotation: string | undefined): RatioRecord | 'invalid' | undefined {
  if (annotation === undefined) return undefined;
  try {
    const parsed = recordSchema.safeParse(JSON.parse(annotation));
    return parsed.success ? parsed.data : 'invalid';
  } catch {
    return 'invalid';
  }
}

export function formatRatioRecord(record: RatioRecord): string {
  return JSON.stringify(record);
}

/** Whether two records ask for the same thing (`previous` aside: a retried write keeps the first one's). */
export function sameIntent(a: RatioRecord | undefined, b: RatioRecord): boolean {
  return (
    a !== undefined &&
    a.baselineReplicas === b.baselineReplicas &&
    a.weights.stable === b.weights.stable &&
    a.weights.canary === b.weights.canary &&
    sameCounts(a.replicas, b.replicas)
  );
}

/**
 * The stable's replicas when the rollout began. The record's, while a rollout is under way (its
 * weights give the canary traffic, or the canary still has replicas); between rollouts the record
 * is stale and the stable's count now is the baseline. Without a record while the canary runs
 * (someone else started it), what both run now.
 */
export function baselineOf(record: RatioRecord | undefined, specs: ReplicaCounts): number {
  const between = specs.canary === 0 && (record === undefined || record.weights.canary === 0);
  if (between) return specs.stable;
  return record ? record.baselineReplicas : specs.stable + specs.canary;
}

/** Where the live weights come from: the record while the specs still equal what it maps to, else the ready pods. */
export function liveWeights(record: RatioRecord | undefined, specs: ReplicaCounts, ready: ReplicaCounts): { weights: Weights; source: 'record' | 'pods' } {
  if (record && sameCounts(specs, record.replicas)) return { weights: record.weights, source: 'record' };
  if (record?.previous && sameCounts(specs, record.previous.replicas)) return { weights: record.previous.weights, source: 'record' };
  return { weights: weightsOfPods(ready), source: 'pods' };
}

/** `canary 1 of 4 pods (25%, 5 points above the 20% asked)`. */
export function describeSplit(split: ReplicaSplit): string {
  const { stable, canary } = split.replicas;
  const error = split.roundingError;
  const off = error === 0 ? 'exact' : `${Math.abs(error)} points ${error > 0 ? 'above' : 'below'} the ${split.requestedPercent}% asked`;
  return `canary ${canary} of ${stable + canary} pods (${split.achievedPercent}%, ${off})`;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
