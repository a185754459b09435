/**
 * The `istio` routing: one named HTTP route of an Istio VirtualService, whose stable and canary
 * destination weights serinus rewrites through the Kubernetes API. No AWS write permissions; the
 * traffic functions call the cluster's API. EKS access policies do not cover Istio's custom
 * resources, so the cluster access entry of serinus's Kubernetes role carries the Kubernetes groups
 * of `kubernetesGroups`, and the platform binds a Role to them (see that option).
 */
import { Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ISTIO_API_VERSIONS, ISTIO_ROUTER, istioTargetKey, type IstioTarget } from '../lambda/adapters/istio-target';
import type { BoundRouting, RoutingBindContext, TesterRouteOptions } from './routing';

/** Options of `TrafficRouting.istio`. */
export interface IstioRoutingOptions {
  /** The VirtualService's name. */
  readonly virtualService: string;
  /** The `name` of the VirtualService's http route whose destinations serinus weights. */
  readonly route: string;
  /** The host of the stable destination (a Service: short name or FQDN), and of the canary unless `canaryHost` is set. */
  readonly host: string;
  /**
   * The DestinationRule subset of the stable Deployment's pods.
   * @default - no subset (required when `canaryHost` is not set)
   */
  readonly stableSubset?: string;
  /**
   * The DestinationRule subset of the canary Deployment's pods.
   * @default - no subset (required when `canaryHost` is not set)
   */
  readonly canarySubset?: string;
  /**
   * The host of the canary destination, for a setup with one Service per Deployment.
   * @default - `host`, with the two subsets telling stable and canary apart
   */
  readonly canaryHost?: string;
  /**
   * The VirtualService's namespace.
   * @default - the namespace of the Deployments
   */
  readonly namespace?: string;
  /**
   * The `networking.istio.io` version serinus reads and writes: `v1` (Istio 1.22 and later) or `v1beta1`.
   * @default 'v1'
   */
  readonly apiVersion?: string;
  /**
   * Requests with this header go to the canary while a rollout runs: an http route named
   * `serinus-tester-<route>` placed just before the steered route, with the steered route's matches
   * plus an exact match on the header, created at Lock and removed on promotion, rollback and cleanup.
   * @default - no tester route
   */
  readonly testerRoute?: TesterRouteOptions;
  /**
   * Kubernetes groups the cluster access entry of serinus's Kubernetes role carries. EKS access
   * policies (AmazonEKSEditPolicy) do not reach custom resources, so bind a Role to the group in the
   * VirtualService's namespace:
   *
   * ```yaml
   * apiVersion: rbac.authorization.k8s.io/v1
   * kind: Role
   * metadata: { name: serinus-virtualservices, namespace: <namespace> }
   * rules:
   *   - apiGroups: [networking.istio.io]
   *     resources: [virtualservices]
   *     resourceNames: [<virtualService>]
   *     verbs: [get, update, patch]
   * ---
   * apiVersion: rbac.authorization.k8s.io/v1
   * kind: RoleBinding
   * metadata: { name: serinus-virtualservices, namespace: <namespace> }
   * roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: serinus-virtualservices }
   * subjects:
   *   - { apiGroup: rbac.authorization.k8s.io, kind: Group, name: serinus-istio }
   * ```
   *
   * Every rollout on one cluster shares the entry, so it carries the groups of all of them.
   * @default ['serinus-istio']
   */
  readonly kubernetesGroups?: string[];
}

/** The group an Istio rollout's access entry carries unless told otherwise. */
export const DEFAULT_ISTIO_KUBERNETES_GROUP = 'serinus-istio';

const literal = (value: string | undefined): value is string => value !== undefined && !Token.isUnresolved(value);

const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const ROUTE_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const HOST = /^[A-Za-z0-9]([-A-Za-z0-9.]{0,251}[A-Za-z0-9])?$/;
const SUBSET = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Istio's webhook accepts header names of these characters only (pkg/config/validation, ValidateHTTPHeaderName). */
const ISTIO_HEADER_NAME = /^[-_A-Za-z0-9]+$/;

/** Binds the routing to its rollout: the target, no AWS write statements, the Kubernetes flag. */
export function bindIstio(_scope: Construct, context: RoutingBindContext, options: IstioRoutingOptions): BoundRouting {
  const namespace = options.namespace ?? context.namespace;
  const canaryHost = options.canaryHost ?? options.host;
  const apiVersion = (options.apiVersion ?? 'v1') as IstioTarget['apiVersion'];
  const target: IstioTarget = {
    kind: ISTIO_ROUTER,
    key: istioTargetKey({ clusterName: context.clusterName, namespace, virtualService: options.virtualService, route: options.route }),
    clusterName: context.clusterName,
    namespace,
    virtualService: options.virtualService,
    route: options.route,
    apiVersion,
    stableHost: options.host,
    ...(options.stableSubset !== undefined && { stableSubset: options.stableSubset }),
    canaryHost,
    ...(options.canarySubset !== undefined && { canarySubset: options.canarySubset }),
    ...(options.testerRoute && { testerHeader: { name: options.testerRoute.headerName, value: options.testerRoute.headerValue } }),
  };
  return {
    target,
    writeStatements: [],
    kubernetes: true,
    kubernetesGroups: [...(options.kubernetesGroups ?? [DEFAULT_ISTIO_KUBERNETES_GROUP])],
    problems: istioProblems(options, namespace),
    description: `route "${options.route}" of VirtualService ${namespace}/${options.virtualService}`,
  };
}

function istioProblems(options: IstioRoutingOptions, namespace: string): string[] {
  const problems: string[] = [];
  const check = (name: string, value: string | undefined, pattern: RegExp, what: string) => {
    if (literal(value) && !pattern.test(value)) problems.push(`routing.${name} must be ${what}, got ${JSON.stringify(value)}`);
  };
  check('virtualService', options.virtualService, K8S_NAME, 'a Kubernetes object name');
  check('namespace', namespace, K8S_NAME, 'a Kubernetes namespace name');
  check('route', options.route, ROUTE_NAME, 'the name of an http route (letters, digits, "-", "_", ".")');
  check('host', options.host, HOST, 'a Service host name');
  check('canaryHost', options.canaryHost, HOST, 'a Service host name');
  check('stableSubset', options.stableSubset, SUBSET, 'a DestinationRule subset name');
  check('canarySubset', options.canarySubset, SUBSET, 'a DestinationRule subset name');
  if (literal(options.apiVersion) && !(ISTIO_API_VERSIONS as readonly string[]).includes(options.apiVersion)) {
    problems.push(`routing.apiVersion must be one of ${ISTIO_API_VERSIONS.join(', ')}, got ${JSON.stringify(options.apiVersion)}`);
  }
  const oneHost = options.canaryHost === undefined || (literal(options.canaryHost) && literal(options.host) && options.canaryHost.toLowerCase() === options.host.toLowerCase());
  // On one host, a side without a subset would be every pod of the Service, stable and canary alike.
  if (oneHost && (options.stableSubset === undefined || options.canarySubset === undefined)) {
    problems.push('routing: with one host, set both stableSubset and canarySubset (or set canaryHost for one Service per Deployment)');
  } else if (oneHost && literal(options.stableSubset) && options.stableSubset === options.canarySubset) {
    problems.push('routing: stable and canary must be different destinations (different subsets, or different hosts)');
  }
  for (const group of options.kubernetesGroups ?? []) {
    // EKS CreateAccessEntry: a group name can't start with system:, eks:, aws:, amazon: or iam:.
    if (literal(group) && !/^(?!(system|eks|aws|amazon|iam):)[^\s]{1,255}$/.test(group)) {
      problems.push(`routing.kubernetesGroups must be Kubernetes group names not starting with system:, eks:, aws:, amazon: or iam:, got ${JSON.stringify(group)}`);
    }
  }
  const tester = options.testerRoute;
  if (tester) {
    if (literal(tester.headerName) && !ISTIO_HEADER_NAME.test(tester.headerName)) {
      problems.push(`routing.testerRoute.headerName must be letters, digits, "-" or "_" (Istio refuses others), got ${JSON.stringify(tester.headerName)}`);
    }
    if (literal(tester.headerValue) && !/^[\x21-\x7e]([\x20-\x7e]{0,126}[\x21-\x7e])?$/.test(tester.headerValue)) {
      problems.push(`routing.testerRoute.headerValue must be 1–128 visible ASCII characters, got ${JSON.stringify(tester.headerValue)}`);
    }
  }
  return problems;
}
