/**
 * The `replica-ratio` traffic target: one Service whose selector matches the pods of both the stable
 * and the canary Deployment, so the traffic follows the ready pods. Pure: the construct builds it,
 * the replica-ratio router checks it.
 */
import * as z from 'zod';
import { describeIssues } from '../domain/target-schema';
import type { TrafficTarget } from '../domain/types';
import { ValidationFailedError } from '../errors';

/** The router kind that steers by the count of ready pods behind one Service. */
export const REPLICA_RATIO_ROUTER = 'replica-ratio';

/** A replica-ratio traffic target. */
export interface ReplicaRatioTarget extends TrafficTarget {
  readonly kind: typeof REPLICA_RATIO_ROUTER;
  readonly clusterName: string;
  readonly namespace: string;
  /** The same Deployments as the workload's. */
  readonly stableDeployment: string;
  readonly canaryDeployment: string;
  /** The Service that selects both Deployments' pods; named in messages and keys, never changed. */
  readonly serviceName: string;
  /** The least total of stable + canary replicas while the canary has weight. */
  readonly minReplicas: number;
  /** The most. @default - the stable's replicas when the rollout began */
  readonly maxReplicas?: number;
}

const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name');

const replicaRatioTargetSchema = z
  .object({
    kind: z.literal(REPLICA_RATIO_ROUTER),
    key: z.string(),
    clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'must be an EKS cluster name'),
    namespace: k8sName,
    stableDeployment: k8sName,
    canaryDeployment: k8sName,
    // RFC 1035 label: what the API server accepts as a Service name.
    serviceName: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Service name (RFC 1035 label)'),
    minReplicas: z.number().int().min(1),
    maxReplicas: z.number().int().min(2, 'must be at least 2: a split needs a stable and a canary pod').optional(),
    testerHeader: z
      .undefined({ message: 'the replica ratio has no tester route: every pod behind the Service takes its share of all requests' })
      .optional(),
  })
  .strict()
  .refine((t) => t.stableDeployment !== t.canaryDeployment, 'stable and canary must be different Deployments')
  .refine((t) => t.maxReplicas === undefined || t.minReplicas <= t.maxReplicas, 'minReplicas must not exceed maxReplicas')
  .refine((t) => t.key === replicaRatioTargetKey(t), 'key must be replica-ratio:<cluster>/<namespace>/<service>');

/** The lock key: one rollout at a time per Service. */
export function replicaRatioTargetKey(target: { readonly clusterName: string; readonly namespace: string; readonly serviceName: string }): string {
  return `${REPLICA_RATIO_ROUTER}:${target.clusterName}/${target.namespace}/${target.serviceName}`;
}

/** The target, checked: @throws ValidationFailedError naming each field at fault. */
export function replicaRatioTarget(target: TrafficTarget): ReplicaRatioTarget {
  const parsed = replicaRatioTargetSchema.safeParse(target);
  if (!parsed.success) throw new ValidationFailedError(describeIssues(parsed.error, 'traffic'));
  return target as ReplicaRatioTarget;
}
