import * as z from 'zod';
import { ValidationFailedError } from '../errors';
import { AFTER_PROMOTION, APPROVAL_MODES, DRIFT_POLICIES, INSUFFICIENT_DATA_POLICIES, type TargetConfig } from './types';

const arn = (service: string, resource: RegExp, what: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${resource.source}$`), `must be ${what}`);

const listenerArn = arn('elasticloadbalancing', /listener\/app\/[^/]+\/[0-9a-f]+\/[0-9a-f]+/, 'an Application Load Balancer listener ARN');
const ruleArn = arn('elasticloadbalancing', /listener-rule\/app\/[^/]+\/[0-9a-f]+\/[0-9a-f]+\/[0-9a-f]+/, 'an ALB listener rule ARN');
const targetGroupArn = arn('elasticloadbalancing', /targetgroup\/[^/]+\/[0-9a-f]+/, 'a target group ARN');
const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name (lowercase letters, digits, "-" and ".")');
const positiveInt = z.number().int().positive();

/** Windows and freezes as the construct or Validate wrote them; the gate parses them again. */
export const calendarSchema = z
  .object({
    windows: z.array(z.string().min(1)),
    freezes: z.array(z.object({ start: z.string(), end: z.string(), reason: z.string().optional() }).strict()),
  })
  .strict();

const stepSchema = z.object({ weight: z.number().int().min(1).max(100), bakeSeconds: z.number().int().min(0).max(86_400) }).strict();

export const targetConfigSchema = z
  .object({
    service: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-_]{0,62}$/, 'must be 1–63 letters, digits, "-" or "_"'),
    traffic: z
      .object({
        listenerArn,
        ruleArn: ruleArn.optional(),
        stableTargetGroupArn: targetGroupArn,
        canaryTargetGroupArn: targetGroupArn,
      })
      .strict()
      .refine((t) => t.stableTargetGroupArn !== t.canaryTargetGroupArn, 'stable and canary must be different target groups'),
    workload: z
      .object({
        clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'must be an EKS cluster name'),
        namespace: k8sName,
        stableDeployment: k8sName,
        canaryDeployment: k8sName,
        containers: z.array(z.string().min(1)).min(1, 'must name at least one container'),
        canaryReplicas: positiveInt,
      })
      .strict()
      .refine((w) => w.stableDeployment !== w.canaryDeployment, 'stable and canary must be different Deployments'),
    alarmNames: z.array(z.string().min(1).max(255)),
    defaults: z
      .object({
        strategy: z.string().optional(),
        steps: z.array(stepSchema).optional(),
        approval: z.enum(APPROVAL_MODES).optional(),
        insufficientData: z.enum(INSUFFICIENT_DATA_POLICIES).optional(),
        afterPromotion: z.enum(AFTER_PROMOTION).optional(),
      })
      .strict(),
    timing: z
      .object({
        settleSeconds: z.number().int().min(0),
        readyTimeoutSeconds: positiveInt,
        pollSeconds: positiveInt,
        approvalTimeoutSeconds: positiveInt.optional(),
        maxRolloutSeconds: positiveInt.optional(),
      })
      .strict(),
    onDrift: z.enum(DRIFT_POLICIES),
    imageParameters: z.array(z.string().min(1)).optional(),
    calendar: calendarSchema.optional(),
    eventBusName: z.string().min(1).max(256).optional(),
  })
  .strict();

/** Formats zod issues as `<prefix> <path>: <message>` sentences. */
export function describeIssues(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${prefix} ${path}: ${issue.message}` : `${prefix}: ${issue.message}`;
  });
}

/**
 * Parses the target configuration the construct embeds in the definition. A failure here means
 * the deployed stack is wrong, not the execution input, and the message says so.
 */
export function parseTargetConfig(raw: unknown): TargetConfig {
  const parsed = targetConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationFailedError(describeIssues(parsed.error, 'target configuration (set by the CanaryRollout construct)'));
  }
  return parsed.data;
}
