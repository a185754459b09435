import * as z from 'zod';
import { RecordMismatchError } from '../errors';
import { calendarSchema, targetConfigSchema } from '../domain/target-schema';
import {
  AFTER_PROMOTION,
  APPROVAL_MODES,
  INSUFFICIENT_DATA_POLICIES,
  type DeploymentRef,
  type RolloutPlan,
  type RolloutRecord,
  type RolloutRequest,
  type TargetConfig,
} from '../domain/types';
import type { Fence, RolloutStore } from '../ports';

/**
 * What Validate hands to every later state (`$.rollout` in the definition). Everything a state needs
 * travels here, so a state never re-reads the execution input.
 */
export interface RolloutContext {
  readonly executionArn: string;
  readonly targetKey: string;
  readonly target: TargetConfig;
  readonly request: RolloutRequest;
  readonly plan: RolloutPlan;
  /** `plan.steps.length`, for the definition's Choice loop. */
  readonly stepCount: number;
  /**
   * Set when the image came from an SSM parameter and stable already runs it: the workflow ends
   * with this as its output, without taking the lock.
   */
  readonly alreadyRunning?: AlreadyRunning;
}

/** A release with nothing to roll out: the output of the workflow's `AlreadyRunning` state. */
export interface AlreadyRunning {
  readonly message: string;
  readonly images: Record<string, string>;
  readonly imageParameter: { readonly name: string; readonly version: number };
}

const stepSpec = z.object({ weight: z.number(), bakeSeconds: z.number() });

const planStep = z.object({
  index: z.number().int().min(0),
  weight: z.number().int().min(1).max(100),
  bakeSeconds: z.number().int().min(0),
  approvalBefore: z.boolean(),
  timeoutSeconds: z.number().int().positive(),
});

export const planStepSchema = planStep;

export const rolloutContextSchema = z.object({
  executionArn: z.string().min(1),
  targetKey: z.string().min(1),
  target: targetConfigSchema,
  request: z.object({
    images: z.record(z.string(), z.string()),
    steps: z.array(stepSpec),
    strategyName: z.string(),
    approval: z.enum(APPROVAL_MODES),
    insufficientData: z.enum(INSUFFICIENT_DATA_POLICIES),
    afterPromotion: z.enum(AFTER_PROMOTION),
    dryRun: z.boolean(),
    reason: z.string().optional(),
    imageParameter: z.object({ name: z.string(), version: z.number() }).optional(),
    calendar: calendarSchema.optional(),
  }),
  plan: z.object({
    steps: z.array(planStep),
    approvalBeforePromote: z.boolean(),
    maxDurationSeconds: z.number(),
  }),
  stepCount: z.number().int().min(0),
});

/** An event that carries only the rollout context. */
export const contextEvent = z.object({ rollout: rolloutContextSchema });

export function stableRef(target: TargetConfig): DeploymentRef {
  return { clusterName: target.workload.clusterName, namespace: target.workload.namespace, name: target.workload.stableDeployment };
}

export function canaryRef(target: TargetConfig): DeploymentRef {
  return { clusterName: target.workload.clusterName, namespace: target.workload.namespace, name: target.workload.canaryDeployment };
}

/** The record of this execution, or an error saying the lock is no longer ours (released, taken over or ended). */
export async function heldRecord(store: RolloutStore, rollout: RolloutContext): Promise<RolloutRecord> {
  return assertHeld(await store.get(rollout.targetKey), rollout);
}

/** `heldRecord`'s check, for a record the caller has already read. */
export function assertHeld(record: RolloutRecord | undefined, rollout: RolloutContext): RolloutRecord {
  if (!record || record.executionArn !== rollout.executionArn) {
    throw new RecordMismatchError(
      record
        ? `the traffic target is held by ${record.executionArn}, not by this execution`
        : 'the rollout record is gone: the lock was released (by cleanup or an operator)',
    );
  }
  if (record.endedAt) {
    throw new RecordMismatchError(`this rollout was ended at ${record.endedAt} (${record.endReason ?? 'stopped'}); nothing more is written`);
  }
  return record;
}

/**
 * The fence of a handler that read `record`: each call checks, with a conditional write, that the
 * execution still holds the record at the generation this handler last saw, and moves it on. A
 * handler still running after cleanup ended the rollout therefore fails its next fence, and writes
 * nothing more.
 */
export function fenceOf(store: RolloutStore, record: RolloutRecord): Fence {
  let generation = record.generation;
  return async () => {
    generation = await store.fence(record.targetKey, record.executionArn, generation);
  };
}
