import * as z from 'zod';
import { ValidationFailedError } from '../errors';
import { AFTER_PROMOTION, APPROVAL_MODES, DRIFT_POLICIES, INSUFFICIENT_DATA_POLICIES, type TargetConfig } from './types';

const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name (lowercase letters, digits, "-" and ".")');
const positiveInt = z.number().int().positive();

/** Windows and freezes as the construct or Validate wrote them; the gate parses them again. */
export const calendarSchema = z
  .object({
    windows: z.array(z.string().min(1)),
    freezes: z.array(z.object({ start: z.string(), end: z.string(), reason: z.string().optional() }).strict()),
  })
  .strict();

/** A tester route's header: an HTTP token name and a visible-ASCII value. */
export const testerHeaderSchema = z
  .object({
    name: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$/, 'must be an HTTP header name'),
    value: z.string().regex(/^[\x21-\x7e]([\x20-\x7e]{0,126}[\x21-\x7e])?$/, 'must be 1–128 visible ASCII characters'),
  })
  .strict();

/** A gradual rollback's pace (lib/routing.ts `gradualRollbackProblems` is stricter at synth). */
export const rollbackPaceSchema = z
  .object({ steps: z.number().int().min(2).max(10), intervalSeconds: z.number().int().min(1).max(60), evenOnAlarm: z.boolean() })
  .strict();

const stepSchema = z.object({ weight: z.number().int().min(1).max(100), bakeSeconds: z.number().int().min(0).max(86_400) }).strict();

export const targetConfigSchema = z
  .object({
    service: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-_]{0,62}$/, 'must be 1–63 letters, digits, "-" or "_"'),
    // The router's own fields are its adapter's to check (lambda/adapters/routers.ts).
    traffic: z
      .object({
        kind: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a router kind'),
        key: z.string().min(1).max(1024),
        testerHeader: testerHeaderSchema.optional(),
      })
      .passthrough(),
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
    rollbackPace: rollbackPaceSchema.optional(),
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
