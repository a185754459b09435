/**
 * The `istio` traffic target: one named HTTP route of an Istio VirtualService, routing to a stable
 * and a canary destination (two subsets of one host, or two hosts). Pure: the construct builds it,
 * the Istio router checks it.
 */
import * as z from 'zod';
import type { IstioRouteRef } from '../domain/istio-routes';
import { describeIssues, testerHeaderSchema } from '../domain/target-schema';
import type { TrafficTarget } from '../domain/types';
import { ValidationFailedError } from '../errors';

/** The router kind of Istio VirtualService routes. */
export const ISTIO_ROUTER = 'istio';

/** The VirtualService API versions serinus speaks: `v1` from Istio 1.22, `v1beta1` before. */
export const ISTIO_API_VERSIONS = ['v1', 'v1beta1'] as const;

export interface IstioTarget extends TrafficTarget {
  readonly kind: typeof ISTIO_ROUTER;
  readonly clusterName: string;
  readonly namespace: string;
  readonly virtualService: string;
  /** `spec.http[].name` of the steered route. */
  readonly route: string;
  /** The `networking.istio.io` version the VirtualService is read and written in. */
  readonly apiVersion: (typeof ISTIO_API_VERSIONS)[number];
  readonly stableHost: string;
  readonly stableSubset?: string;
  readonly canaryHost: string;
  readonly canarySubset?: string;
}

const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name (lowercase letters, digits, "-" and ".")');
const host = z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9.]{0,251}[A-Za-z0-9])?$/, 'must be a Service host name (a short name or an FQDN)');
const subset = z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'must be a DestinationRule subset name');

const istioTargetSchema = z
  .object({
    kind: z.literal(ISTIO_ROUTER),
    key: z.string(),
    clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'must be an EKS cluster name'),
    namespace: k8sName,
    virtualService: k8sName,
    route: z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'must be the name of an http route of the VirtualService'),
    apiVersion: z.enum(ISTIO_API_VERSIONS),
    stableHost: host,
    stableSubset: subset.optional(),
    canaryHost: host,
    canarySubset: subset.optional(),
    // Istio's webhook accepts header names of letters, digits, "-" and "_" only (ValidateHTTPHeaderName).
    testerHeader: testerHeaderSchema
      .refine((h) => /^[-_A-Za-z0-9]+$/.test(h.name), 'the header name must be letters, digits, "-" or "_" (Istio refuses others)')
      .optional(),
  })
  .strict()
  .refine(
    (t) => !(t.stableHost.toLowerCase() === t.canaryHost.toLowerCase() && (t.stableSubset ?? '') === (t.canarySubset ?? '')),
    'stable and canary must be different destinations: two subsets of one host, or two hosts',
  )
  .refine((t) => t.key === istioTargetKey(t), 'key must be istio:<cluster>/<namespace>/<virtualService>#<route>');

/** The lock key: one rollout at a time per route. */
export function istioTargetKey(target: {
  readonly clusterName: string;
  readonly namespace: string;
  readonly virtualService: string;
  readonly route: string;
}): string {
  return `istio:${target.clusterName}/${target.namespace}/${target.virtualService}#${target.route}`;
}

/** The target, checked: @throws ValidationFailedError naming each field at fault. */
export function istioTarget(target: TrafficTarget): IstioTarget {
  const parsed = istioTargetSchema.safeParse(target);
  if (!parsed.success) throw new ValidationFailedError(describeIssues(parsed.error, 'traffic'));
  return target as IstioTarget;
}

/** The route and its two sides, as the pure route functions take them. */
export function istioRouteRef(target: IstioTarget): IstioRouteRef {
  return {
    namespace: target.namespace,
    route: target.route,
    stable: { host: target.stableHost, ...(target.stableSubset !== undefined && { subset: target.stableSubset }) },
    canary: { host: target.canaryHost, ...(target.canarySubset !== undefined && { subset: target.canarySubset }) },
  };
}
