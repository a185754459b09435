/**
 * `TrafficRouting.replicaRatio(…)`: for an NLB, another L4 Service or a single target group, where
 * nothing can weight. The stable and the canary Deployment's pods both match one Service's selector,
 * so the traffic follows the ready pods; serinus scales the two Deployments so that the canary's
 * share of the pods approximates each step's weight.
 */
import { Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { REPLICA_RATIO_ROUTER, replicaRatioTargetKey, type ReplicaRatioTarget } from '../lambda/adapters/replica-ratio-target';
import type { BoundRouting, RoutingBindContext } from './routing';

/** Options of `TrafficRouting.replicaRatio`. */
export interface ReplicaRatioRoutingOptions {
  /**
   * The Service whose selector matches the pods of both the stable and the canary Deployment (in the
   * rollout's namespace). serinus never changes it; it names it in messages and in the lock key.
   */
  readonly serviceName: string;
  /**
   * The least total of stable + canary replicas while the canary has weight. Raise it for finer
   * steps: with 10, a 10% step is exactly 1 canary pod beside 9 stable ones. At the default the total
   * stays what the stable ran when the rollout began (at least 2 while the canary has weight).
   * @default 1
   */
  readonly minReplicas?: number;
  /**
   * The most total replicas while the canary has weight. Above the stable's replicas at the rollout's
   * start, serinus adds pods only where they bring the split closer to the weight; a stable that ran
   * more is capped to this while the canary has weight.
   * @default - the stable's replicas when the rollout began (or minReplicas, if larger): the total never grows to refine a split
   */
  readonly maxReplicas?: number;
}

/** Binds the replica ratio to a rollout's Deployments: the target, no AWS writes, Kubernetes access. */
export function bindReplicaRatio(_scope: Construct, context: RoutingBindContext, options: ReplicaRatioRoutingOptions): BoundRouting {
  const { clusterName, namespace, stableDeployment, canaryDeployment } = context;
  const { serviceName, maxReplicas } = options;
  const minReplicas = options.minReplicas ?? 1;
  const target: ReplicaRatioTarget = {
    kind: REPLICA_RATIO_ROUTER,
    key: replicaRatioTargetKey({ clusterName, namespace, serviceName }),
    clusterName,
    namespace,
    stableDeployment,
    canaryDeployment,
    serviceName,
    minReplicas,
    ...(maxReplicas !== undefined && { maxReplicas }),
  };
  return {
    target,
    // The Deployments are scaled through the Kubernetes API (deployments/scale and an annotation on
    // the canary Deployment, both within AmazonEKSEditPolicy on the namespace): no AWS resource changes.
    writeStatements: [],
    kubernetes: true,
    // No ALB target groups to watch: health comes from the user's alarms (or Container Insights).
    problems: replicaRatioProblems(options, minReplicas),
    description: `the ready pods behind Service ${serviceName} (namespace ${namespace})`,
  };
}

function replicaRatioProblems(options: ReplicaRatioRoutingOptions, minReplicas: number): string[] {
  const problems: string[] = [];
  const { serviceName, maxReplicas } = options;
  const known = (value: number | undefined): value is number => value !== undefined && !Token.isUnresolved(value);
  // RFC 1035 label: what the API server accepts as a Service name.
  if (!Token.isUnresolved(serviceName) && !/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(serviceName)) {
    problems.push(
      `routing.serviceName must be a Kubernetes Service name (lowercase letters, digits and "-", starting with a letter, at most 63), got ${JSON.stringify(serviceName)}`,
    );
  }
  if (known(minReplicas) && (!Number.isInteger(minReplicas) || minReplicas < 1)) {
    problems.push(`routing.minReplicas must be a whole number of at least 1, got ${minReplicas}`);
  }
  if (known(maxReplicas) && (!Number.isInteger(maxReplicas) || maxReplicas < 2)) {
    problems.push(`routing.maxReplicas must be a whole number of at least 2 (a split needs a stable and a canary pod), got ${maxReplicas}`);
  }
  if (known(minReplicas) && known(maxReplicas) && minReplicas > maxReplicas) {
    problems.push(`routing.minReplicas (${minReplicas}) must not be more than routing.maxReplicas (${maxReplicas})`);
  }
  return problems;
}
