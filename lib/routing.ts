/**
 * How a rollout steers traffic: one `routing` value, built by a static factory per router kind.
 * Each kind brings its traffic target (what its adapter in lambda/adapters/ reads), the IAM its
 * functions need, whether they call the Kubernetes API, and the metrics managed alarms can use.
 */
import { type Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ALB_ROUTER, albTargetKey, TESTER_ROUTE_TAG, type AlbTarget } from '../lambda/adapters/alb-target';
import { acknowledgeWildcardResources } from './acknowledgements';
import { testerHeaderSchema } from '../lambda/domain/target-schema';
import type { RollbackPace, TesterHeader, TrafficTarget } from '../lambda/domain/types';
import { loadBalancerFullNameFromListenerArn, targetGroupFullName } from './managed-alarms';
import { bindIngress, type IngressRoutingOptions } from './routing-ingress';
import { bindIstio, type IstioRoutingOptions } from './routing-istio';
import { bindReplicaRatio, type ReplicaRatioRoutingOptions } from './routing-replica-ratio';

/** The stable and the canary target group of an ALB forward action. */
export interface AlbTargetGroups {
  /** The target group of the stable Deployment. */
  readonly stable: elbv2.ITargetGroup;
  /** The target group of the canary Deployment; it stays in the forward action at weight 0 between rollouts. */
  readonly canary: elbv2.ITargetGroup;
}

/** An HTTP header that sends a request to the canary while a rollout runs. */
export interface TesterRouteOptions {
  /** The header's name, e.g. `x-canary`. */
  readonly headerName: string;
  /** The value that selects the canary, e.g. `always`. */
  readonly headerValue: string;
}

/** Options of the ALB factories. */
export interface AlbRoutingOptions extends AlbTargetGroups {
  /**
   * Requests with this header go to the canary target group while a rollout runs: a listener rule
   * with an http-header condition, created at Lock with a free priority and removed on promotion,
   * rollback and cleanup.
   * @default - no tester route
   */
  readonly testerRoute?: TesterRouteOptions;
}

/** The CloudWatch dimensions of the ALB and its target groups, for managed alarms and the dashboard. */
export interface AlbMetricDimensions {
  readonly loadBalancerFullName: string;
  readonly stableTargetGroupFullName: string;
  readonly canaryTargetGroupFullName: string;
}

/**
 * An ARN a routing names, checked at synth against the stack's partition, region and account.
 * @internal
 */
export interface RoutingArn {
  /** The key a problem starts with: `routing.listener`. */
  readonly key: string;
  readonly arn: string;
  /** Whether it must be a target group's ARN. @default false */
  readonly targetGroup?: boolean;
}

/** What the construct knows when it binds a routing. */
export interface RoutingBindContext {
  /** The EKS cluster of the Deployments. */
  readonly clusterName: string;
  /** The namespace of the Deployments. */
  readonly namespace: string;
  readonly stableDeployment: string;
  readonly canaryDeployment: string;
}

/**
 * A routing bound to its rollout.
 * @internal
 */
export interface BoundRouting {
  /** The traffic target every state receives; may hold tokens. */
  readonly target: TrafficTarget;
  /** IAM for the functions that write traffic (each names its resources). */
  readonly writeStatements: iam.PolicyStatement[];
  /**
   * ELBv2 Describe actions the adapter calls beyond the listener, rule and target-health reads.
   * They support no resource-level permissions and join those reads on `*`.
   * @default - none
   */
  readonly readActions?: string[];
  /** Whether the traffic functions call the Kubernetes API of the cluster (the namespace's access entry). */
  readonly kubernetes: boolean;
  /** ALB metric dimensions, when the router steers an ALB whose target groups serinus knows. */
  readonly albMetrics?: AlbMetricDimensions;
  /** Problems with the options, each a sentence starting with the option's name. */
  readonly problems: string[];
  /** A sentence naming what is steered, for messages. */
  readonly description: string;
  /** ARNs that must be of the stack's partition, region and account, each with the key a problem starts with. */
  readonly arns?: ReadonlyArray<RoutingArn>;
  /**
   * Kubernetes groups the cluster access entry of the traffic functions' role carries, for RBAC the
   * platform binds to them (a Role and RoleBinding beyond the namespace's access policy).
   * @default - none
   */
  readonly kubernetesGroups?: string[];
}

/** How a rollout steers traffic between stable and canary. Build one with a static factory. */
export abstract class TrafficRouting {
  /**
   * The default action of an ALB listener: its forward action's two target group weights.
   */
  static albListener(listener: elbv2.IApplicationListener, options: AlbRoutingOptions): TrafficRouting {
    return new AlbRouting(listener.listenerArn, undefined, options);
  }

  /** `albListener` for a listener known only by its ARN. */
  static albListenerArn(listenerArn: string, options: AlbRoutingOptions): TrafficRouting {
    return new AlbRouting(listenerArn, undefined, options);
  }

  /**
   * One rule of an ALB listener: its forward action's two target group weights. Not the listener's
   * default rule: ELBv2 changes that one only through the listener (use `albListener`).
   */
  static albRule(listener: elbv2.IApplicationListener, ruleArn: string, options: AlbRoutingOptions): TrafficRouting {
    return new AlbRouting(listener.listenerArn, ruleArn, options);
  }

  /** `albRule` for a listener known only by its ARN. */
  static albRuleArn(listenerArn: string, ruleArn: string, options: AlbRoutingOptions): TrafficRouting {
    return new AlbRouting(listenerArn, ruleArn, options);
  }

  /**
   * An ALB that the AWS Load Balancer Controller owns through an Ingress: the weights of the
   * Ingress's `alb.ingress.kubernetes.io/actions.<actionName>` annotation, verified on the listener
   * rule the controller reconciles. Direct listener edits would be reverted by the controller.
   */
  static ingress(options: IngressRoutingOptions): TrafficRouting {
    return new IngressRouting(options);
  }

  /**
   * One named http route of an Istio VirtualService: the weights of its stable and canary
   * destinations (two subsets of one host, or two hosts), edited through the Kubernetes API.
   */
  static istio(options: IstioRoutingOptions): TrafficRouting {
    return new IstioRouting(options);
  }

  /**
   * The ready pods behind one Service, for an NLB, another L4 Service or a single target group, where
   * nothing can weight: the stable and the canary Deployment's pods both match the Service's selector,
   * and serinus scales the two so that the canary's share of the pods approximates each step's weight.
   */
  static replicaRatio(options: ReplicaRatioRoutingOptions): TrafficRouting {
    return new ReplicaRatioRouting(options);
  }

  /** @internal */
  abstract _bind(scope: Construct, context: RoutingBindContext): BoundRouting;
}

class IngressRouting extends TrafficRouting {
  constructor(private readonly options: IngressRoutingOptions) {
    super();
  }

  override _bind(scope: Construct, context: RoutingBindContext): BoundRouting {
    return bindIngress(scope, context, this.options);
  }
}

class ReplicaRatioRouting extends TrafficRouting {
  constructor(private readonly options: ReplicaRatioRoutingOptions) {
    super();
  }

  override _bind(scope: Construct, context: RoutingBindContext): BoundRouting {
    return bindReplicaRatio(scope, context, this.options);
  }
}

class IstioRouting extends TrafficRouting {
  constructor(private readonly options: IstioRoutingOptions) {
    super();
  }

  override _bind(scope: Construct, context: RoutingBindContext): BoundRouting {
    return bindIstio(scope, context, this.options);
  }
}

const LISTENER_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/([^/]+\/[0-9a-f]+\/[0-9a-f]+)$/;
const RULE_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule\/app\/([^/]+\/[0-9a-f]+\/[0-9a-f]+)\/[0-9a-f]+$/;

const literal = (value: string | undefined): value is string => value !== undefined && !Token.isUnresolved(value);

/** A tester header as the target carries it. */
export function testerHeaderOf(options: TesterRouteOptions | undefined): { testerHeader?: TesterHeader } {
  return options ? { testerHeader: { name: options.headerName, value: options.headerValue } } : {};
}

/** Problems with a tester route's header, each starting with `testerRoute`. */
export function testerRouteProblems(options: TesterRouteOptions | undefined): string[] {
  if (!options) return [];
  const problems: string[] = [];
  // The construct accepts exactly what the runtime's target schema accepts.
  const { name, value } = testerHeaderSchema.shape;
  if (literal(options.headerName) && !name.safeParse(options.headerName).success) {
    problems.push(`testerRoute.headerName must be an HTTP header name of 1–40 token characters, got ${JSON.stringify(options.headerName)}`);
  }
  if (literal(options.headerValue) && !value.safeParse(options.headerValue).success) {
    problems.push(`testerRoute.headerValue must be 1–128 visible ASCII characters, got ${JSON.stringify(options.headerValue)}`);
  }
  return problems;
}

class AlbRouting extends TrafficRouting {
  constructor(
    private readonly listenerArn: string,
    private readonly ruleArn: string | undefined,
    private readonly options: AlbRoutingOptions,
  ) {
    super();
  }

  override _bind(scope: Construct): BoundRouting {
    const { listenerArn, ruleArn, options } = this;
    const stableTargetGroupArn = options.stable.targetGroupArn;
    const canaryTargetGroupArn = options.canary.targetGroupArn;
    const target: AlbTarget = {
      kind: ALB_ROUTER,
      key: albTargetKey({ listenerArn, ...(ruleArn !== undefined && { ruleArn }) }),
      listenerArn,
      ...(ruleArn !== undefined && { ruleArn }),
      stableTargetGroupArn,
      canaryTargetGroupArn,
      ...testerHeaderOf(options.testerRoute),
    };
    const writeStatements = [
      // The whole point of scoping: a rollout may only rewrite the one action it names.
      ruleArn
        ? new iam.PolicyStatement({ actions: ['elasticloadbalancing:ModifyRule'], resources: [ruleArn] })
        : new iam.PolicyStatement({ actions: ['elasticloadbalancing:ModifyListener'], resources: [listenerArn] }),
      ...(options.testerRoute ? testerRouteStatements(scope, listenerArn, target.key) : []),
    ];
    return {
      target,
      writeStatements,
      kubernetes: false,
      albMetrics: {
        loadBalancerFullName: loadBalancerFullNameFromListenerArn(listenerArn),
        stableTargetGroupFullName: targetGroupFullName(stableTargetGroupArn),
        canaryTargetGroupFullName: targetGroupFullName(canaryTargetGroupArn),
      },
      problems: this.problems(stableTargetGroupArn, canaryTargetGroupArn),
      description: ruleArn ? `listener rule ${ruleArn}` : `listener ${listenerArn}`,
      arns: [
        { key: 'routing.listener', arn: listenerArn },
        ...(ruleArn !== undefined ? [{ key: 'routing.rule', arn: ruleArn }] : []),
        { key: 'routing.stable', arn: stableTargetGroupArn, targetGroup: true },
        { key: 'routing.canary', arn: canaryTargetGroupArn, targetGroup: true },
      ],
    };
  }

  private problems(stableArn: string, canaryArn: string): string[] {
    const problems: string[] = [];
    const listenerMatch = literal(this.listenerArn) ? LISTENER_ARN.exec(this.listenerArn) : null;
    if (literal(this.listenerArn) && !listenerMatch) {
      problems.push(`routing: the listener must be an Application Load Balancer listener ARN, got ${JSON.stringify(this.listenerArn)}`);
    }
    if (literal(this.ruleArn)) {
      const ruleMatch = RULE_ARN.exec(this.ruleArn);
      if (!ruleMatch) {
        problems.push(`routing: the rule must be an ALB listener rule ARN, got ${JSON.stringify(this.ruleArn)}`);
      } else if (listenerMatch && ruleMatch[1] !== listenerMatch[1]) {
        problems.push('routing: the rule must be a rule of the listener');
      }
    }
    if (this.options.stable === this.options.canary || (literal(stableArn) && stableArn === canaryArn)) {
      problems.push('routing: canary and stable must be different target groups');
    }
    problems.push(...testerRouteProblems(this.options.testerRoute).map((problem) => `routing.${problem}`));
    return problems;
  }
}

/**
 * The tester route's rule: created on the listener, tagged on creation (ELB authorizes the tags with
 * AddTags, "ELB API permissions to tag resources during creation"), deleted by that tag. A rule's ARN
 * is only known once it exists, so the rules of the listener are named by pattern.
 */
function testerRouteStatements(scope: Construct, listenerArn: string, targetKey: string): iam.PolicyStatement[] {
  const rules = listenerRulesPattern(listenerArn);
  acknowledgeWildcardResources(
    Stack.of(scope),
    [rules],
    "The tester route's rule gets its ARN when it is created; the pattern admits only rules of the steered listener, DeleteRule only those tagged as this target's tester route, and AddTags only on creation.",
  );
  return [
    new iam.PolicyStatement({ actions: ['elasticloadbalancing:CreateRule'], resources: [listenerArn] }),
    new iam.PolicyStatement({
      actions: ['elasticloadbalancing:AddTags'],
      resources: [rules],
      conditions: { StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule' } },
    }),
    new iam.PolicyStatement({
      actions: ['elasticloadbalancing:DeleteRule'],
      resources: [rules],
      conditions: { StringEquals: { [`aws:ResourceTag/${TESTER_ROUTE_TAG}`]: targetKey } },
    }),
  ];
}

/** `…:listener-rule/app/<lb>/<lb-id>/<listener-id>/*`: every rule of the listener. */
export function listenerRulesPattern(listenerArn: string): string {
  if (!Token.isUnresolved(listenerArn)) return `${listenerArn.replace(':listener/', ':listener-rule/')}/*`;
  const parts = Fn.split(':listener/', listenerArn);
  return Fn.join('', [Fn.select(0, parts), ':listener-rule/', Fn.select(1, parts), '/*']);
}

/** A gradual rollback: the canary's weight walks down in equal writes before the final revert. */
export interface GradualRollbackOptions {
  /**
   * Writes from the canary's weight down to 0; the last is the instant revert that every rollback
   * ends with. Between 2 and 10.
   */
  readonly steps: number;
  /**
   * The pause after each write but the last. Whole seconds, 1–30; `steps × interval` at most 2
   * minutes, within the Rollback function's 5-minute timeout.
   * @default Duration.seconds(10)
   */
  readonly interval?: Duration;
  /**
   * Walk down also when the rollback is for the canary's health (an alarm in ALARM, no healthy
   * targets). Off by default: a failing canary's traffic goes at once.
   * @default false
   */
  readonly evenOnAlarm?: boolean;
}

const DEFAULT_ROLLBACK_INTERVAL_SECONDS = 10;

/** The pace the rollout record carries. */
export function rollbackPaceOf(options: GradualRollbackOptions): RollbackPace {
  return {
    steps: options.steps,
    intervalSeconds: options.interval?.toSeconds() ?? DEFAULT_ROLLBACK_INTERVAL_SECONDS,
    evenOnAlarm: options.evenOnAlarm ?? false,
  };
}

/** Problems with the options, each starting with `gradualRollback`. */
export function gradualRollbackProblems(options: GradualRollbackOptions): string[] {
  const problems: string[] = [];
  const { steps } = options;
  if (!Token.isUnresolved(steps) && (!Number.isInteger(steps) || steps < 2 || steps > 10)) {
    problems.push(`gradualRollback.steps must be a whole number from 2 to 10, got ${steps}`);
  }
  const seconds = options.interval?.toSeconds({ integral: false }) ?? DEFAULT_ROLLBACK_INTERVAL_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 30) {
    problems.push(`gradualRollback.interval must be whole seconds from 1 to 30, got ${seconds} s`);
  } else if (Number.isInteger(steps) && steps * seconds > 120) {
    problems.push(`gradualRollback: steps × interval must be at most 120 s (the Rollback function times out at 5 minutes), got ${steps * seconds} s`);
  }
  return problems;
}
