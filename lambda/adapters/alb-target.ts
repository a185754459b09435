/**
 * The `alb` traffic target: an ALB listener's default action, or one of its rules, forwarding to a
 * stable and a canary target group. Pure: the construct builds it, the ELBv2 router checks it.
 */
import * as z from 'zod';
import { describeIssues, testerHeaderSchema } from '../domain/target-schema';
import type { TrafficTarget } from '../domain/types';
import { ValidationFailedError } from '../errors';

/** The router kind of ALB listeners and rules that CDK or the user owns. */
export const ALB_ROUTER = 'alb';

/** The tag on a tester route's listener rule; its value is the key of the traffic target it serves. */
export const TESTER_ROUTE_TAG = 'serinus:tester-route';

/** An ALB traffic target: the listener's default action, or one of its rules. */
export interface AlbTarget extends TrafficTarget {
  readonly kind: typeof ALB_ROUTER;
  /** The listener. When `ruleArn` is unset, its default action is the one steered. */
  readonly listenerArn: string;
  /** A listener rule whose forward action is steered instead of the listener's default action. */
  readonly ruleArn?: string;
  readonly stableTargetGroupArn: string;
  readonly canaryTargetGroupArn: string;
}

const arn = (resource: string, what: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:${resource}$`), `must be ${what}`);

const albTargetSchema = z
  .object({
    kind: z.literal(ALB_ROUTER),
    key: z.string(),
    listenerArn: arn('listener/app/[^/]+/[0-9a-f]+/[0-9a-f]+', 'an Application Load Balancer listener ARN'),
    ruleArn: arn('listener-rule/app/[^/]+/[0-9a-f]+/[0-9a-f]+/[0-9a-f]+', 'an ALB listener rule ARN').optional(),
    stableTargetGroupArn: arn('targetgroup/[^/]+/[0-9a-f]+', 'a target group ARN'),
    canaryTargetGroupArn: arn('targetgroup/[^/]+/[0-9a-f]+', 'a target group ARN'),
    testerHeader: testerHeaderSchema.optional(),
  })
  .strict()
  .refine((t) => t.stableTargetGroupArn !== t.canaryTargetGroupArn, 'stable and canary must be different target groups')
  .refine((t) => t.key === (t.ruleArn ?? t.listenerArn), 'key must be the rule ARN, or the listener ARN when no rule is steered');

/** The lock key of an ALB target: the rule when one is steered, else the listener. */
export function albTargetKey(target: { readonly listenerArn: string; readonly ruleArn?: string }): string {
  return target.ruleArn ?? target.listenerArn;
}

/** The target, checked: @throws ValidationFailedError naming each field at fault. */
export function albTarget(target: TrafficTarget): AlbTarget {
  const parsed = albTargetSchema.safeParse(target);
  if (!parsed.success) throw new ValidationFailedError(describeIssues(parsed.error, 'traffic'));
  return target as AlbTarget;
}

