/**
 * The sample's traffic target steered by each router kind: the same service, alarms, defaults and
 * timing as the synthesized sample, with the routing (and its own namespace, so its Deployments
 * never collide with the sample's) of the kind. A flow seeds it with `engine.addTarget(target)` and
 * runs `engine.workflowFor(target)`: no synth per kind.
 */
import type { RollbackPace, TargetConfig, TesterHeader, TrafficTarget } from '../lambda/domain/types';
import { ALB_ROUTER, albTargetKey } from '../lambda/adapters/alb-target';
import { INGRESS_ROUTER, ingressTargetKey } from '../lambda/adapters/ingress-target';
import { ISTIO_ROUTER, istioTargetKey } from '../lambda/adapters/istio-target';
import { REPLICA_RATIO_ROUTER, replicaRatioTargetKey } from '../lambda/adapters/replica-ratio-target';
import { CANARY_SUBSET, STABLE_SUBSET } from './router-worlds';

export type SampleRouterKind = typeof ALB_ROUTER | typeof INGRESS_ROUTER | typeof ISTIO_ROUTER | typeof REPLICA_RATIO_ROUTER;

export const SAMPLE_ROUTER_KINDS: readonly SampleRouterKind[] = [ALB_ROUTER, INGRESS_ROUTER, ISTIO_ROUTER, REPLICA_RATIO_ROUTER];

export interface SampleTargetOptions {
  /**
   * Tells this target apart from others of the same kind in one engine (its namespace, listener,
   * route…). @default - the kind's name alone
   */
  readonly suffix?: string;
  /** A gradual rollback. @default - instant */
  readonly rollbackPace?: RollbackPace;
  /** A tester route (ALB and Istio only). @default - none */
  readonly testerHeader?: TesterHeader;
  /** Replica ratio: the least total of replicas while the canary has weight. @default 2 */
  readonly minReplicas?: number;
  /** Replica ratio: the most. @default 10 */
  readonly maxReplicas?: number;
}

/** A hex id of 16 digits derived from a name, for ARNs. */
function hexId(name: string, length = 16): string {
  let hash = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < length; round++) {
    for (const char of `${round}:${name}`) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
    out += hash.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

/**
 * The sample target (`base`, the synthesized sample's TargetConfig) steered by a router of `kind`.
 * Its workload is the sample's Deployments in a namespace of their own (`checkout-<kind>`).
 */
export function sampleTarget(base: TargetConfig, kind: SampleRouterKind, options: SampleTargetOptions = {}): TargetConfig {
  const name = options.suffix ? `${kind}-${options.suffix}` : kind;
  const namespace = `${base.workload.namespace}-${name}`.slice(0, 63);
  const workload = { ...base.workload, namespace };
  const clusterName = base.workload.clusterName;
  const [, region = 'eu-west-1', account = '123456789012'] = /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):(\d{12}):/.exec(String(base.traffic.listenerArn ?? '')) ?? [];
  const elb = `arn:aws:elasticloadbalancing:${region}:${account}`;
  const listenerArn = `${elb}:listener/app/${name}/${hexId(`lb:${name}`)}/${hexId(`listener:${name}`)}`;
  const tester = options.testerHeader !== undefined ? { testerHeader: options.testerHeader } : {};
  let traffic: TrafficTarget;
  switch (kind) {
    case ALB_ROUTER: {
      const fields = {
        listenerArn,
        stableTargetGroupArn: `${elb}:targetgroup/${name}-stable/${hexId(`stable:${name}`)}`,
        canaryTargetGroupArn: `${elb}:targetgroup/${name}-canary/${hexId(`canary:${name}`)}`,
      };
      traffic = { kind, key: albTargetKey(fields), ...fields, ...tester };
      break;
    }
    case INGRESS_ROUTER: {
      const fields = { clusterName, namespace, ingressName: base.service, actionName: 'weighted' };
      traffic = {
        kind,
        key: ingressTargetKey(fields),
        ...fields,
        stableService: workload.stableDeployment,
        canaryService: workload.canaryDeployment,
        servicePort: '80',
        listenerArn,
      };
      break;
    }
    case ISTIO_ROUTER: {
      const fields = { clusterName, namespace, virtualService: base.service, route: 'primary' };
      traffic = {
        kind,
        key: istioTargetKey(fields),
        ...fields,
        apiVersion: 'v1',
        stableHost: base.service,
        stableSubset: STABLE_SUBSET,
        canaryHost: base.service,
        canarySubset: CANARY_SUBSET,
        ...tester,
      };
      break;
    }
    case REPLICA_RATIO_ROUTER: {
      const fields = { clusterName, namespace, serviceName: base.service };
      traffic = {
        kind,
        key: replicaRatioTargetKey(fields),
        ...fields,
        stableDeployment: workload.stableDeployment,
        canaryDeployment: workload.canaryDeployment,
        minReplicas: options.minReplicas ?? 2,
        maxReplicas: options.maxReplicas ?? 10,
      };
      break;
    }
  }
  return {
    ...base,
    traffic,
    workload,
    ...(options.rollbackPace !== undefined && { rollbackPace: options.rollbackPace }),
  };
}
