import { z } from 'zod';
import { targetConfigSchema } from '../domain/target-schema';
import type { DeploymentRef, RolloutPlan, RolloutRequest, TargetConfig } from '../domain/types';

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
    approval: z.enum(['none', 'beforeTraffic', 'beforePromote', 'everyStep']),
    insufficientData: z.enum(['healthy', 'unhealthy']),
    afterPromotion: z.enum(['scaleCanaryToZero', 'keepCanary']),
    dryRun: z.boolean(),
    reason: z.string().optional(),
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
