/**
 * A model of the AWS Load Balancer Controller for the Ingresses serinus steers: it turns an
 * Ingress's `alb.ingress.kubernetes.io/actions.<name>` annotation into the forward action of the
 * listener rule it owns in the fake ELBv2, creating (and tagging) a target group per Service.
 *
 * What it keeps of the real controller, because an adapter can get these wrong:
 * - It applies a change AFTER A LAG. The lag is counted in ELBv2 reads, not in time: a changed
 *   Ingress shows in the rule only at the `lagReads + 1`-th DescribeRules/DescribeListeners read of
 *   that rule, so a caller that reads back once sees the old weights. `pause()` makes it never
 *   apply (a crashed or throttled controller); `reconcile()` applies everything now.
 * - It OWNS the rule: every reconcile writes the whole action from the annotation, so a direct
 *   ModifyRule on its rule is reverted at its next reconcile (the controller drives the AWS
 *   resources it created to the Ingress's desired state; see its docs, guide/ingress/annotations).
 * - An annotation it cannot read (not JSON, not a forward, an unknown target group) fails the
 *   reconcile and leaves the rule as it was; the error is kept in `errors`.
 * - Target groups carry the controller's tags: `elbv2.k8s.aws/cluster`, `ingress.k8s.aws/stack`
 *   (`<namespace>/<ingress>`) and `ingress.k8s.aws/resource` (`<namespace>/<ingress>-<service>:<port>`,
 *   the controller's buildTargetGroupResourceID).
 * Keys are read case-insensitively, as Go's encoding/json does; this model has its own small reader
 * so that it does not share a bug with serinus's.
 */
import { createHash } from 'node:crypto';
import type { Action, TargetGroupTuple } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { FakeKubernetes, FakeObject } from '../fake-kubernetes';
import type { FakeElbv2 } from './elbv2';

export const CLUSTER_TAG = 'elbv2.k8s.aws/cluster';
export const STACK_TAG = 'ingress.k8s.aws/stack';
export const RESOURCE_TAG = 'ingress.k8s.aws/resource';

export interface FakeAlbControllerOptions {
  readonly kube: FakeKubernetes;
  readonly elbv2: FakeElbv2;
  readonly clusterName: string;
  /** Reads of a rule that still show its old actions after its Ingress changed. @default 2 */
  readonly lagReads?: number;
}

/** One custom action of one Ingress, and the listener rule the controller reconciles it into. */
export interface ManagedAction {
  readonly namespace: string;
  readonly ingressName: string;
  readonly actionName: string;
  readonly listenerArn: string;
  /** @default - derived from the listener and the action */
  readonly ruleArn?: string;
  /** @default 1 */
  readonly priority?: number;
}

interface Managed extends Required<ManagedAction> {
  /** Reads left before a pending change surfaces; undefined when nothing is pending. */
  readsLeft?: number;
}

export const ingressPath = (namespace: string, name: string): string =>
  `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses/${name}`;

export class FakeAlbController {
  /** Reconciles that failed, newest last, as the controller's events would say. */
  readonly errors: string[] = [];
  /** How many reconciles wrote a rule. */
  reconciles = 0;
  private readonly managed: Managed[] = [];
  private readonly lagReads: number;
  private paused = false;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly options: FakeAlbControllerOptions) {
    this.lagReads = options.lagReads ?? 2;
    this.unsubscribe.push(options.kube.onObjectChange((path) => this.ingressChanged(path)));
    this.unsubscribe.push(options.elbv2.onRead((arns) => this.ruleRead(arns)));
  }

  /**
   * Starts managing an action: its rule is created from the Ingress's current annotation at once,
   * as if the controller had reconciled the Ingress before the test began. @returns the rule ARN
   */
  manage(action: ManagedAction): string {
    const ruleArn = action.ruleArn ?? deriveRuleArn(action.listenerArn, action.actionName);
    const managed: Managed = { ...action, ruleArn, priority: action.priority ?? 1 };
    const actions = this.desiredActions(managed);
    if (!actions) throw new Error(`cannot manage ${action.actionName}: ${this.errors.at(-1)}`);
    this.options.elbv2.addRule(ruleArn, action.listenerArn, actions, {
      priority: managed.priority,
      conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
    });
    this.managed.push(managed);
    return ruleArn;
  }

  /** The ARN of the target group the controller creates for a Service port of an Ingress. */
  targetGroupArn(listenerArn: string, namespace: string, ingressName: string, serviceName: string, servicePort: string): string {
    const [, region, account] = /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):(\d{12}):/.exec(listenerArn) ?? [];
    const hash = createHash('sha256').update(`${this.options.clusterName}/${namespace}/${ingressName}/${serviceName}/${servicePort}`).digest('hex');
    const clean = (value: string) => value.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
    return `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/k8s-${clean(namespace)}-${clean(serviceName)}-${hash.slice(0, 10)}/${hash.slice(10, 26)}`;
  }

  /** Stops applying changes (a crashed controller): pending ones wait, direct edits stay. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Whether a change of a managed Ingress has not reached its rule yet. */
  get pending(): boolean {
    return this.managed.some((managed) => managed.readsLeft !== undefined);
  }

  /** Reconciles every managed action now (unless paused), reverting direct edits of its rules. */
  reconcile(): void {
    if (this.paused) return;
    for (const managed of this.managed) this.apply(managed);
  }

  close(): void {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
  }

  private ingressChanged(path: string): void {
    for (const managed of this.managed) {
      if (ingressPath(managed.namespace, managed.ingressName) === path) managed.readsLeft = this.lagReads;
    }
  }

  private ruleRead(arns: string[]): void {
    if (this.paused) return;
    for (const managed of this.managed) {
      if (managed.readsLeft === undefined || !arns.includes(managed.ruleArn)) continue;
      if (managed.readsLeft > 0) managed.readsLeft -= 1;
      else this.apply(managed);
    }
  }

  private apply(managed: Managed): void {
    managed.readsLeft = undefined;
    const actions = this.desiredActions(managed);
    if (!actions) return;
    this.options.elbv2.replaceActionsOutOfBand(managed.ruleArn, actions);
    this.reconciles += 1;
  }

  /** The rule's actions as the annotation describes them, or undefined (with an error kept) when it cannot. */
  private desiredActions(managed: Managed): Action[] | undefined {
    const fail = (why: string): undefined => {
      this.errors.push(`${managed.namespace}/${managed.ingressName}: ${why}`);
      return undefined;
    };
    let ingress: FakeObject;
    try {
      ingress = this.options.kube.object(ingressPath(managed.namespace, managed.ingressName));
    } catch {
      return fail('the Ingress does not exist');
    }
    const raw = ingress.metadata.annotations?.[`alb.ingress.kubernetes.io/actions.${managed.actionName}`];
    if (raw === undefined) return fail(`no annotation for action ${managed.actionName}`);
    let action: unknown;
    try {
      action = JSON.parse(raw);
    } catch {
      return fail(`failed to parse json annotation, alb.ingress.kubernetes.io/actions.${managed.actionName}: ${raw}`);
    }
    if (field(action, 'type') !== 'forward') return fail(`unsupported action type ${String(field(action, 'type'))}`);
    const forwardConfig = field(action, 'forwardConfig');
    const listed = forwardConfig !== undefined ? field(forwardConfig, 'targetGroups') : [{ targetGroupARN: field(action, 'targetGroupARN') }];
    if (!Array.isArray(listed) || listed.length === 0) return fail('a forward action needs target groups');
    const tuples: TargetGroupTuple[] = [];
    for (const entry of listed) {
      const arn = field(entry, 'targetGroupARN');
      const serviceName = field(entry, 'serviceName');
      const servicePort = field(entry, 'servicePort');
      const weight = field(entry, 'weight');
      if (weight !== undefined && typeof weight !== 'number') return fail(`json: cannot unmarshal ${typeof weight} into weight of type int64`);
      let targetGroupArn: string;
      if (typeof arn === 'string') {
        if (!this.options.elbv2.hasTargetGroup(arn)) return fail(`target group ${arn} not found`);
        targetGroupArn = arn;
      } else if (typeof serviceName === 'string' && (typeof servicePort === 'string' || typeof servicePort === 'number')) {
        targetGroupArn = this.ensureTargetGroup(managed, serviceName, String(servicePort));
      } else {
        return fail('a target group needs targetGroupARN, or serviceName and servicePort');
      }
      tuples.push({ TargetGroupArn: targetGroupArn, ...(weight !== undefined && { Weight: weight }) });
    }
    const stickiness = forwardConfig !== undefined ? field(forwardConfig, 'targetGroupStickinessConfig') : undefined;
    const enabled = stickiness !== undefined ? field(stickiness, 'enabled') : undefined;
    const duration = stickiness !== undefined ? field(stickiness, 'durationSeconds') : undefined;
    return [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: tuples,
          ...(enabled === true && { TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: duration as number } }),
        },
      },
    ];
  }

  private ensureTargetGroup(managed: Managed, serviceName: string, servicePort: string): string {
    const arn = this.targetGroupArn(managed.listenerArn, managed.namespace, managed.ingressName, serviceName, servicePort);
    if (!this.options.elbv2.hasTargetGroup(arn)) {
      this.options.elbv2.addTargetGroup(arn, {
        tags: {
          [CLUSTER_TAG]: this.options.clusterName,
          [STACK_TAG]: `${managed.namespace}/${managed.ingressName}`,
          [RESOURCE_TAG]: `${managed.namespace}/${managed.ingressName}-${serviceName}:${servicePort}`,
        },
      });
    }
    return arn;
  }
}

/** A key of a JSON object, matched case-insensitively; the last match wins, as in Go. */
function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  let found: unknown;
  for (const [key, child] of Object.entries(value)) if (key.toLowerCase() === name.toLowerCase()) found = child;
  return found;
}

function deriveRuleArn(listenerArn: string, actionName: string): string {
  const id = createHash('sha256').update(`${listenerArn}#${actionName}`).digest('hex').slice(0, 16);
  return `${listenerArn.replace(':listener/', ':listener-rule/')}/${id}`;
}
