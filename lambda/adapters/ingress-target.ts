/**
 * The `ingress` traffic target: an ALB that the AWS Load Balancer Controller owns through an
 * Ingress. The weights live in the Ingress's `alb.ingress.kubernetes.io/actions.<actionName>`
 * annotation; the listener is where the controller's reconciled rule is read back. Pure: the
 * construct builds it, the Ingress router checks it.
 */
import * as z from 'zod';
import { describeIssues } from '../domain/target-schema';
import type { TrafficTarget } from '../domain/types';
import { ValidationFailedError } from '../errors';

/** The router kind of ALBs owned by an Ingress. */
export const INGRESS_ROUTER = 'ingress';

export interface IngressTarget extends TrafficTarget {
  readonly kind: typeof INGRESS_ROUTER;
  /** The EKS cluster of the Ingress (and the controller's `elbv2.k8s.aws/cluster` tag). */
  readonly clusterName: string;
  readonly namespace: string;
  readonly ingressName: string;
  /** The `<name>` of `alb.ingress.kubernetes.io/actions.<name>`. */
  readonly actionName: string;
  readonly stableService: string;
  readonly canaryService: string;
  /** A port number (`"80"`) or a Service port name (`"http"`), as the annotation names it. */
  readonly servicePort: string;
  /** The ALB listener whose rules the controller reconciles from the Ingress. */
  readonly listenerArn: string;
}

const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name');
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes namespace or Service name (a DNS label)');

const ingressTargetSchema = z
  .object({
    kind: z.literal(INGRESS_ROUTER),
    key: z.string(),
    clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'must be an EKS cluster name'),
    namespace: dnsLabel,
    ingressName: k8sName,
    // Annotation name segments: alphanumerics, '-', '_' and '.', at most 63 characters.
    actionName: z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'must be an annotation name segment (letters, digits, "-", "_", ".")'),
    stableService: dnsLabel,
    canaryService: dnsLabel,
    servicePort: z.string().regex(/^([1-9]\d{0,4}|(?=[-a-z0-9]*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?)$/, 'must be a port number or a Service port name'),
    listenerArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/[^/]+\/[0-9a-f]+\/[0-9a-f]+$/, 'must be an Application Load Balancer listener ARN'),
  })
  .strict()
  .refine((t) => t.stableService !== t.canaryService, 'stable and canary must be different Services')
  .refine((t) => t.key === ingressTargetKey(t), 'key must be ingress:<cluster>/<namespace>/<ingress>#<action>');

/** One rollout at a time per Ingress action: `ingress:<cluster>/<namespace>/<ingress>#<action>`. */
export function ingressTargetKey(target: {
  readonly clusterName: string;
  readonly namespace: string;
  readonly ingressName: string;
  readonly actionName: string;
}): string {
  return `ingress:${target.clusterName}/${target.namespace}/${target.ingressName}#${target.actionName}`;
}

/** The target, checked: @throws ValidationFailedError naming each field at fault. */
export function ingressTarget(target: TrafficTarget): IngressTarget {
  const parsed = ingressTargetSchema.safeParse(target);
  if (!parsed.success) throw new ValidationFailedError(describeIssues(parsed.error, 'traffic'));
  return target as IngressTarget;
}
