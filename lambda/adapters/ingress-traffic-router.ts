/**
 * The `ingress` router: steers an ALB that the AWS Load Balancer Controller owns through an
 * Ingress. The controller reverts direct listener edits on the rules it reconciles, so the weights
 * are written where the controller reads them, the Ingress's `alb.ingress.kubernetes.io/actions.<name>`
 * annotation (through the Kubernetes API, with optimistic concurrency), and verified where the
 * traffic is decided, the listener rule (through ELBv2), once the controller has reconciled.
 *
 * The rule and its target groups are found by the controller's own tags: DescribeRules on the
 * listener, DescribeTags on the target groups it forwards to, and the target group tagged
 * `ingress.k8s.aws/resource = <namespace>/<ingress>-<service>:<port>` and
 * `elbv2.k8s.aws/cluster = <cluster>` is that Service's. Only Describe* calls reach ELBv2.
 */
import {
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { V1Ingress } from '@kubernetes/client-node';
import {
  actionAnnotationKey,
  type IngressBackends,
  planIngressRestore,
  readForwardSplit,
  withForwardWeights,
} from '../domain/ingress-actions';
import type { TrafficTarget, Weights } from '../domain/types';
import { assertPlanWeights, formatWeights, sameWeights } from '../domain/weights';
import { DriftDetectedError, THROTTLING_ERROR_NAMES, WeightNotAppliedError } from '../errors';
import type { Fence, RestoreResult, Side, TrafficReading, TrafficRouter, WriteWeightsOptions, WriteWeightsResult } from '../ports';
import { logger } from '../shared/observability';
import { clientConfig, withoutSdkLogging } from './client-config';
import { isKubernetesStatus, kubernetesClient, type EksConnections } from './eks-connection';
import { ingressTarget, type IngressTarget } from './ingress-target';

/** The controller's tags on the target groups it creates (pkg/deploy/tracking, model_build_target_group.go). */
export const LBC_CLUSTER_TAG = 'elbv2.k8s.aws/cluster';
export const LBC_RESOURCE_TAG = 'ingress.k8s.aws/resource';

export interface IngressTrafficRouterOptions {
  /** Kubernetes API clients, per cluster. */
  readonly kube: () => Promise<EksConnections>;
  readonly client?: ElasticLoadBalancingV2Client;
  /**
   * Reads of the listener's rules after a write until they show the written weights. The controller
   * reconciles within seconds, more under load; the bound is attempts × delay. @default 15
   */
  readonly readBackAttempts?: number;
  /** Pause between two read-backs. @default 2000 */
  readonly readBackDelayMs?: number;
  /** Read→write attempts when the Ingress changed between the read and the write (409 Conflict). @default 3 */
  readonly conflictAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What the listener's rules show for the Ingress action, read through ELBv2. */
interface RuleView {
  readonly stableTargetGroupArn?: string;
  readonly canaryTargetGroupArn?: string;
  /** The rules whose forward action includes the stable or the canary target group, as target group → weight. */
  readonly rules: Array<{ readonly ruleArn: string; readonly weights: Map<string, number> }>;
}

/** The Ingress as read: the typed object (with its resourceVersion) and the action's annotation. */
interface IngressRead {
  readonly ingress: V1Ingress;
  readonly annotation: string | undefined;
}

const THROTTLING_CODES = new Set(THROTTLING_ERROR_NAMES);

export class IngressTrafficRouter implements TrafficRouter {
  private readonly client: ElasticLoadBalancingV2Client;
  private readonly kube: () => Promise<EksConnections>;
  private readonly readBackAttempts: number;
  private readonly readBackDelayMs: number;
  private readonly conflictAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Tags of target groups by ARN: the controller's tags do not change for an ARN, so each is described once. */
  private readonly tags = new Map<string, Map<string, string>>();

  constructor(options: IngressTrafficRouterOptions) {
    this.kube = options.kube;
    this.client = options.client ?? withoutSdkLogging(new ElasticLoadBalancingV2Client({ ...clientConfig }));
    this.readBackAttempts = Math.max(1, options.readBackAttempts ?? 15);
    this.readBackDelayMs = options.readBackDelayMs ?? 2000;
    this.conflictAttempts = Math.max(1, options.conflictAttempts ?? 3);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async readWeights(target: TrafficTarget): Promise<Weights> {
    return (await this.readTraffic(target)).weights;
  }

  /** From the annotation: what the controller is told to apply, and what serinus last wrote. */
  async readTraffic(traffic: TrafficTarget): Promise<TrafficReading> {
    const target = ingressTarget(traffic);
    const { annotation } = await this.readIngress(target);
    return readForwardSplit(annotation, backendsOf(target), describeAction(target));
  }

  async writeWeights(traffic: TrafficTarget, weights: Weights, options: WriteWeightsOptions = {}): Promise<WriteWeightsResult> {
    const target = ingressTarget(traffic);
    const { expected, fence, decide } = options;
    if (!decide) assertPlanWeights(weights);
    const where = describeAction(target);

    // Each attempt reads afresh, so after a 409 the drift check and `decide` see the Ingress as it is now.
    const attempt = await this.retryingConflicts(target, async () => {
      const read = await this.readIngress(target);
      const split = readForwardSplit(read.annotation, backendsOf(target), where);
      const wanted = decide ? await decide(split.weights) : weights;
      if (!wanted) return { previous: split.weights, written: undefined, sent: false };
      assertPlanWeights(wanted);
      // Live weights equal to the ones being written mean this write already happened (a retried task).
      if (expected && !sameWeights(split.weights, expected) && !sameWeights(split.weights, wanted)) {
        throw new DriftDetectedError(
          `${where} carries ${formatWeights(split.weights)}, but serinus last wrote ${formatWeights(expected)}: ` +
            'someone else is steering it, so nothing was written',
        );
      }
      if (sameWeights(split.weights, wanted) && split.canaryAttached) return { previous: split.weights, written: wanted, sent: false };
      await this.replaceAnnotation(target, read, withForwardWeights(read.annotation, backendsOf(target), wanted, where), fence);
      return { previous: split.weights, written: wanted, sent: true };
    });

    if (!attempt.written) return { previous: attempt.previous, applied: attempt.previous, wrote: false };
    // Also when the annotation already held the weights (a retried task): the controller may not have applied them yet.
    const applied = await this.readBack(target, attempt.written);
    return { previous: attempt.previous, applied, wrote: attempt.sent };
  }

  async attachCanary(traffic: TrafficTarget, fence?: Fence): Promise<boolean> {
    const target = ingressTarget(traffic);
    const where = describeAction(target);
    const attached = await this.retryingConflicts(target, async () => {
      const read = await this.readIngress(target);
      const split = readForwardSplit(read.annotation, backendsOf(target), where);
      if (split.canaryAttached) return undefined;
      await this.replaceAnnotation(target, read, withForwardWeights(read.annotation, backendsOf(target), split.weights, where), fence);
      return split.weights;
    });
    if (!attached) return false;
    // Attached means the controller created the canary's target group and put it in the rule.
    await this.readBack(target, attached);
    return true;
  }

  async restoreStable(traffic: TrafficTarget, fence?: Fence): Promise<RestoreResult> {
    const target = ingressTarget(traffic);
    const where = describeAction(target);
    const outcome = await this.retryingConflicts(target, async () => {
      const read = await this.readIngress(target, { missingOk: true });
      if (!read) {
        const findings = [`ingress "${target.ingressName}" no longer exists in namespace "${target.namespace}", so no traffic goes through it`];
        return { wrote: false, nothingToSteer: true, findings };
      }
      const plan = planIngressRestore(read.annotation, backendsOf(target), where);
      if (plan.nothingToSteer || plan.annotation === undefined) return { wrote: false, nothingToSteer: plan.nothingToSteer, findings: plan.findings };
      await this.replaceAnnotation(target, read, plan.annotation, fence);
      return { wrote: true, nothingToSteer: false, findings: plan.findings };
    });
    if (outcome.wrote) await this.readBackRestored(target);
    return outcome;
  }

  /** The side's target group, found by the controller's tags; 0 while the controller has not created it. */
  async healthyTargets(traffic: TrafficTarget, side: Side): Promise<number> {
    const target = ingressTarget(traffic);
    const view = await this.readRules(target);
    const targetGroupArn = side === 'canary' ? view.canaryTargetGroupArn : view.stableTargetGroupArn;
    if (!targetGroupArn) return 0;
    const output = await this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    return (output.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'healthy').length;
  }

  /** Reads until every rule of the action shows `expected`: the controller applies an Ingress change after a lag. */
  private async readBack(target: IngressTarget, expected: Weights): Promise<Weights> {
    const seen = await this.untilRules(target, (view, rule) => {
      const stable = view.stableTargetGroupArn ? rule.weights.get(view.stableTargetGroupArn) : undefined;
      const canary = view.canaryTargetGroupArn ? rule.weights.get(view.canaryTargetGroupArn) : undefined;
      if (stable === expected.stable && canary === expected.canary) return undefined;
      return `${formatWeights({ stable: stable ?? 0, canary: canary ?? 0 })}${canary === undefined ? ' (no canary target group)' : ''}`;
    });
    if (seen === undefined) return expected;
    throw new WeightNotAppliedError(
      `wrote ${formatWeights(expected)} to ${describeAction(target)}, but after ${this.readBackAttempts} reads of listener ` +
        `${target.listenerArn} the AWS Load Balancer Controller had not applied it: ${seen}. Check the controller's logs and ` +
        `the Ingress's events (kubectl describe ingress ${target.ingressName} -n ${target.namespace})`,
    );
  }

  /** Reads until every rule of the action sends nothing to a target group other than stable, and something to stable. */
  private async readBackRestored(target: IngressTarget): Promise<void> {
    const seen = await this.untilRules(target, (view, rule) => {
      const stable = view.stableTargetGroupArn ? (rule.weights.get(view.stableTargetGroupArn) ?? 0) : 0;
      const others = [...rule.weights].filter(([arn, weight]) => arn !== view.stableTargetGroupArn && weight > 0);
      if (stable > 0 && others.length === 0) return undefined;
      return `stable ${stable}${others.map(([arn, weight]) => `, ${arn} ${weight}`).join('')}`;
    });
    if (seen === undefined) return;
    throw new WeightNotAppliedError(
      `put the traffic of ${describeAction(target)} back on the stable Service, but after ${this.readBackAttempts} reads of ` +
        `listener ${target.listenerArn} the AWS Load Balancer Controller had not applied it: ${seen}`,
    );
  }

  /**
   * Reads the action's rules, `readBackAttempts` times at most, until `check` finds no rule amiss.
   * @returns undefined once every rule passed, else what the last read saw
   */
  private async untilRules(
    target: IngressTarget,
    check: (view: RuleView, rule: RuleView['rules'][number]) => string | undefined,
  ): Promise<string | undefined> {
    let seen = 'nothing';
    for (let attempt = 1; attempt <= this.readBackAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.readBackDelayMs);
      const view = await this.readRulesTolerant(target);
      if (!view) {
        seen = 'a throttled read';
        continue;
      }
      const mismatch = describeMismatch(target, view, (rule) => check(view, rule));
      if (!mismatch) return undefined;
      seen = mismatch;
    }
    return seen;
  }

  /** `readRules`, with an ELBv2 throttle counted as a read that saw nothing yet. */
  private async readRulesTolerant(target: IngressTarget): Promise<RuleView | undefined> {
    try {
      return await this.readRules(target);
    } catch (error) {
      if (error instanceof Error && THROTTLING_CODES.has(error.name)) return undefined;
      throw error;
    }
  }

  private async readRules(target: IngressTarget): Promise<RuleView> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(new DescribeRulesCommand({ ListenerArn: target.listenerArn, ...(marker && { Marker: marker }) }));
      rules.push(...(page.Rules ?? []));
      marker = page.NextMarker;
    } while (marker);

    const forwards = rules.map((rule) => {
      const forward = rule.Actions?.find((action) => action.Type === 'forward');
      const tuples = forward?.ForwardConfig?.TargetGroups?.length
        ? forward.ForwardConfig.TargetGroups.map((t) => [t.TargetGroupArn ?? '', t.Weight ?? 1] as const)
        : forward?.TargetGroupArn
          ? [[forward.TargetGroupArn, 1] as const]
          : [];
      return { ruleArn: rule.RuleArn ?? '', weights: new Map<string, number>(tuples) };
    });
    const referenced = [...new Set(forwards.flatMap((rule) => [...rule.weights.keys()]))].filter(Boolean);
    await this.describeTags(referenced);
    const stableTargetGroupArn = this.targetGroupOf(target, target.stableService, referenced);
    const canaryTargetGroupArn = this.targetGroupOf(target, target.canaryService, referenced);
    const ours = forwards.filter(
      (rule) => (stableTargetGroupArn && rule.weights.has(stableTargetGroupArn)) || (canaryTargetGroupArn && rule.weights.has(canaryTargetGroupArn)),
    );
    return { stableTargetGroupArn, canaryTargetGroupArn, rules: ours };
  }

  /** Describes the tags of target groups not described before, 20 at a time (the API's limit). */
  private async describeTags(arns: string[]): Promise<void> {
    const unknown = arns.filter((arn) => !this.tags.has(arn));
    for (let start = 0; start < unknown.length; start += 20) {
      const output = await this.client.send(new DescribeTagsCommand({ ResourceArns: unknown.slice(start, start + 20) }));
      for (const description of output.TagDescriptions ?? []) {
        if (!description.ResourceArn) continue;
        this.tags.set(description.ResourceArn, new Map((description.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])));
      }
    }
  }

  /**
   * The target group the controller created for the Service in this Ingress (buildTargetGroupResourceID),
   * among those the rules reference now: a Service recreated gets a new target group with the same tags.
   */
  private targetGroupOf(target: IngressTarget, service: string, referenced: string[]): string | undefined {
    const resource = `${target.namespace}/${target.ingressName}-${service}:${target.servicePort}`;
    return referenced.find((arn) => {
      const tags = this.tags.get(arn);
      return tags?.get(LBC_RESOURCE_TAG) === resource && tags.get(LBC_CLUSTER_TAG) === target.clusterName;
    });
  }

  private async readIngress(target: IngressTarget): Promise<IngressRead>;
  private async readIngress(target: IngressTarget, options: { missingOk: true }): Promise<IngressRead | undefined>;
  private async readIngress(target: IngressTarget, options: { missingOk?: boolean } = {}): Promise<IngressRead | undefined> {
    const connections = await this.kube();
    const { NetworkingV1Api } = await kubernetesClient();
    const api = await connections.api(target.clusterName, NetworkingV1Api);
    const ingress = await connections.call(this.site(target, 'read'), async () => {
      try {
        return await api.readNamespacedIngress({ name: target.ingressName, namespace: target.namespace });
      } catch (error) {
        if (options.missingOk && (await isKubernetesStatus(error, 404))) return undefined;
        throw error;
      }
    });
    if (!ingress) return undefined;
    return { ingress, annotation: ingress.metadata?.annotations?.[actionAnnotationKey(target.actionName)] };
  }

  /**
   * PUT of the Ingress as read with the annotation replaced: the body carries the read's
   * resourceVersion, so the API server refuses it (409) if anyone changed the Ingress since. The
   * fence runs last, right before the call.
   */
  private async replaceAnnotation(target: IngressTarget, read: IngressRead, annotation: string, fence?: Fence): Promise<void> {
    const body: V1Ingress = {
      ...read.ingress,
      metadata: {
        ...read.ingress.metadata,
        annotations: { ...read.ingress.metadata?.annotations, [actionAnnotationKey(target.actionName)]: annotation },
      },
    };
    const connections = await this.kube();
    const { NetworkingV1Api } = await kubernetesClient();
    const api = await connections.api(target.clusterName, NetworkingV1Api);
    if (fence) await fence();
    await connections.call(this.site(target, 'update'), () =>
      api.replaceNamespacedIngress({ name: target.ingressName, namespace: target.namespace, body }),
    );
  }

  /** Repeats a read→write step when the write lost a race (409 Conflict): the next attempt reads the Ingress afresh. */
  private async retryingConflicts<T>(target: IngressTarget, step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (!isConflict(error) || attempt >= this.conflictAttempts) throw error;
        logger.warn('The Ingress changed between the read and the write; reading it again', {
          ingress: `${target.namespace}/${target.ingressName}`,
          attempt,
        });
      }
    }
  }

  private site(target: IngressTarget, action: string) {
    return { clusterName: target.clusterName, namespace: target.namespace, object: `ingress "${target.ingressName}"`, action };
  }
}

function isConflict(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: unknown }).statusCode === 409;
}

function backendsOf(target: IngressTarget): IngressBackends {
  return { stableService: target.stableService, canaryService: target.canaryService, servicePort: target.servicePort };
}

function describeAction(target: IngressTarget): string {
  return (
    `annotation ${actionAnnotationKey(target.actionName)} of ingress "${target.ingressName}" ` +
    `(namespace "${target.namespace}", cluster "${target.clusterName}")`
  );
}

/** Undefined when every rule of the action passes `check`; else what the rules show, for a person. */
function describeMismatch(
  target: IngressTarget,
  view: RuleView,
  check: (rule: RuleView['rules'][number]) => string | undefined,
): string | undefined {
  if (!view.stableTargetGroupArn) {
    return `no target group of listener ${target.listenerArn} is tagged as the stable Service's (${LBC_RESOURCE_TAG}=${target.namespace}/${target.ingressName}-${target.stableService}:${target.servicePort})`;
  }
  if (view.rules.length === 0) return `no rule of listener ${target.listenerArn} forwards to the stable or the canary target group`;
  const wrong = view.rules.flatMap((rule) => {
    const shows = check(rule);
    return shows === undefined ? [] : [`rule ${rule.ruleArn} shows ${shows}`];
  });
  return wrong.length === 0 ? undefined : wrong.join('; ');
}
