/**
 * The `alb` router's tester route: a listener rule that sends requests carrying the target's tester
 * header to the canary target group while a rollout runs. It is placed so that it only captures
 * requests the steered action would have served: before the steered rule, with that rule's own
 * conditions plus the header; or, for a listener's default action, after every other rule, with
 * the header alone. It carries a tag naming the traffic target, by which `open` finds it again and
 * `close` removes it.
 */
import {
  type Action,
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  type Rule,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TrafficTarget } from '../domain/types';
import { THROTTLING_ERROR_NAMES, ValidationFailedError } from '../errors';
import type { Fence, TesterRoute } from '../ports';
import { logger } from '../shared/observability';
import { albTarget, TESTER_ROUTE_TAG, type AlbTarget } from './alb-target';
import { clientConfig, withoutSdkLogging } from './client-config';

export { TESTER_ROUTE_TAG };

/** ELBv2 API reference, CreateRule: Priority is 1 to 50000. */
export const MAX_RULE_PRIORITY = 50_000;

/** Application Load Balancer quotas, "Condition values per rule": 5, not adjustable. */
export const MAX_CONDITION_VALUES = 5;

/** DescribeTags takes 1 to 20 resource ARNs (ELBv2 API reference, DescribeTags). */
const TAGS_PER_CALL = 20;

/** Attempts of CreateRule when another writer takes the chosen priority first. */
const PRIORITY_ATTEMPTS = 5;

const THROTTLING_CODES = new Set(THROTTLING_ERROR_NAMES);
const GONE_CODES = new Set(['ListenerNotFoundException', 'ListenerNotFound', 'RuleNotFoundException', 'RuleNotFound']);

export interface AlbTesterRouteOptions {
  /** Attempts of one step when ELBv2 throttling outlasts the SDK's own retries. @default 3 */
  readonly throttleAttempts?: number;
  /** Pause before the second attempt of a throttled step; doubles, jittered. @default 2000 */
  readonly throttleBackoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Source of the jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

export class AlbTesterRoute implements TesterRoute {
  private readonly throttleAttempts: number;
  private readonly throttleBackoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly client = withoutSdkLogging(new ElasticLoadBalancingV2Client({ ...clientConfig })),
    options: AlbTesterRouteOptions = {},
  ) {
    this.throttleAttempts = Math.max(1, options.throttleAttempts ?? 3);
    this.throttleBackoffMs = options.throttleBackoffMs ?? 2000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async open(traffic: TrafficTarget, fence?: Fence): Promise<boolean> {
    const target = albTarget(traffic);
    const header = target.testerHeader;
    if (!header) throw new ValidationFailedError(`traffic.testerHeader: ${describeTarget(target)} has no tester header to route on`);
    const tried = new Set<number>();
    for (let attempt = 1; ; attempt++) {
      const rules = await this.retryingThrottles(() => this.listRules(target.listenerArn));
      if ((await this.ownRules(target, rules)).length > 0) return false;
      const plan = await this.plan(target, rules, tried);
      if (fence) await fence();
      try {
        await this.retryingThrottles(() =>
          this.client.send(
            new CreateRuleCommand({
              ListenerArn: target.listenerArn,
              Priority: plan.priority,
              Conditions: plan.conditions,
              Actions: plan.actions,
              Tags: [{ Key: TESTER_ROUTE_TAG, Value: target.key }],
            }),
          ),
        );
        return true;
      } catch (error) {
        // Another writer took the priority between the read and the create: read again, pick again.
        if (!(error instanceof Error && error.name === 'PriorityInUseException') || attempt >= PRIORITY_ATTEMPTS) {
          throw translate(error, target);
        }
        tried.add(plan.priority);
        logger.warn('another writer took the tester rule priority; picking another', { priority: plan.priority, attempt });
      }
    }
  }

  async close(traffic: TrafficTarget): Promise<boolean> {
    const target = albTarget(traffic);
    let own: Rule[];
    try {
      const rules = await this.retryingThrottles(() => this.listRules(target.listenerArn));
      own = await this.ownRules(target, rules);
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
    let wrote = false;
    for (const rule of own) {
      try {
        await this.retryingThrottles(() => this.client.send(new DeleteRuleCommand({ RuleArn: rule.RuleArn })));
        wrote = true;
      } catch (error) {
        if (!isGone(error)) throw error;
      }
    }
    return wrote;
  }

  async isOpen(traffic: TrafficTarget): Promise<boolean> {
    const target = albTarget(traffic);
    try {
      const rules = await this.retryingThrottles(() => this.listRules(target.listenerArn));
      return (await this.ownRules(target, rules)).length > 0;
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  }

  /** The rule to create: where it goes, what it matches, where it forwards. */
  private async plan(target: AlbTarget, rules: Rule[], tried: ReadonlySet<number>): Promise<TesterRulePlan> {
    const header = target.testerHeader!;
    const taken = new Set([...rules.filter((r) => !r.IsDefault).map((r) => Number(r.Priority)), ...tried]);
    const headerCondition: RuleCondition = { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: header.name, Values: [header.value] } };

    if (!target.ruleArn) {
      // After every rule: the header alone then captures only what the default action would serve.
      const highest = Math.max(0, ...taken);
      if (highest >= MAX_RULE_PRIORITY) {
        throw new ValidationFailedError(
          `traffic.testerHeader: listener ${target.listenerArn} has a rule at priority ${MAX_RULE_PRIORITY}, the last there is, so no ` +
            "tester rule can go after every rule and before the default action; move that rule (SetRulePriorities) or remove testerHeader",
        );
      }
      const defaultActions = await this.retryingThrottles(() => this.listenerDefaultActions(target.listenerArn));
      return { priority: highest + 1, conditions: [headerCondition], actions: testerActions(target, defaultActions) };
    }

    const steered = rules.find((r) => r.RuleArn === target.ruleArn);
    if (!steered) throw new ValidationFailedError(`listener rule ${target.ruleArn} does not exist on listener ${target.listenerArn}`);
    if (steered.IsDefault) {
      throw new ValidationFailedError(`listener rule ${target.ruleArn} is the default rule; steer the listener itself to have a tester route`);
    }
    const steeredPriority = Number(steered.Priority);
    // Just before the steered rule, so no rule between them loses the tester's requests.
    let priority = steeredPriority - 1;
    while (priority >= 1 && taken.has(priority)) priority--;
    if (priority < 1) {
      throw new ValidationFailedError(
        `traffic.testerHeader: no priority is free before listener rule ${target.ruleArn} (priority ${steeredPriority}); the tester ` +
          'rule must sort before the steered rule, so free one (SetRulePriorities) or remove testerHeader',
      );
    }
    if (priority < steeredPriority - 1) {
      logger.warn('rules sit between the tester rule and the steered rule; they do not see the tester header requests', {
        priority,
        steeredPriority,
      });
    }
    const conditions = [...(steered.Conditions ?? []).map(forCreate), headerCondition];
    const values = conditions.reduce((sum, condition) => sum + conditionValues(condition), 0);
    if (values > MAX_CONDITION_VALUES) {
      throw new ValidationFailedError(
        `traffic.testerHeader: listener rule ${target.ruleArn} has ${values - 1} condition values; with the tester header the tester ` +
          `rule would have ${values}, and ALB allows ${MAX_CONDITION_VALUES} per rule (Application Load Balancer quotas), so remove testerHeader ` +
          'or simplify the rule',
      );
    }
    return { priority, conditions, actions: testerActions(target, steered.Actions ?? []) };
  }

  /** Every rule of the listener, the default one last, across DescribeRules pages. */
  private async listRules(listenerArn: string): Promise<Rule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const output = await this.client.send(new DescribeRulesCommand({ ListenerArn: listenerArn, ...(marker && { Marker: marker }) }));
      rules.push(...(output.Rules ?? []));
      marker = output.NextMarker;
    } while (marker);
    return rules;
  }

  private async listenerDefaultActions(listenerArn: string): Promise<Action[]> {
    const output = await this.client.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
    return output.Listeners?.[0]?.DefaultActions ?? [];
  }

  /** The rules tagged as this target's tester route. */
  private async ownRules(target: AlbTarget, rules: Rule[]): Promise<Rule[]> {
    const candidates = rules.filter((r) => !r.IsDefault && r.RuleArn);
    const own = new Set<string>();
    for (let start = 0; start < candidates.length; start += TAGS_PER_CALL) {
      const arns = candidates.slice(start, start + TAGS_PER_CALL).map((r) => r.RuleArn!);
      let output;
      try {
        output = await this.retryingThrottles(() => this.client.send(new DescribeTagsCommand({ ResourceArns: arns })));
      } catch (error) {
        // A rule deleted between the two reads: read the tags of the others one by one.
        if (!isGone(error)) throw error;
        output = { TagDescriptions: await this.tagsOneByOne(arns) };
      }
      for (const description of output.TagDescriptions ?? []) {
        if (description.Tags?.some((tag) => tag.Key === TESTER_ROUTE_TAG && tag.Value === target.key)) own.add(description.ResourceArn!);
      }
    }
    return candidates.filter((r) => own.has(r.RuleArn!));
  }

  private async tagsOneByOne(arns: string[]) {
    const found = [];
    for (const arn of arns) {
      try {
        const output = await this.retryingThrottles(() => this.client.send(new DescribeTagsCommand({ ResourceArns: [arn] })));
        found.push(...(output.TagDescriptions ?? []));
      } catch (error) {
        if (!isGone(error)) throw error;
      }
    }
    return found;
  }

  private async retryingThrottles<T>(step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof Error && THROTTLING_CODES.has(error.name)) || attempt >= this.throttleAttempts) throw error;
        const ceilingMs = this.throttleBackoffMs * 2 ** (attempt - 1);
        const pauseMs = Math.round(ceilingMs / 2 + (this.random() * ceilingMs) / 2);
        logger.warn('ELBv2 throttled the call after the SDK retries; repeating the step', { attempt, pauseMs });
        await this.sleep(pauseMs);
      }
    }
  }
}

interface TesterRulePlan {
  readonly priority: number;
  readonly conditions: RuleCondition[];
  readonly actions: Action[];
}

/**
 * The steered action list with its forward sent to the canary alone: an authentication action in
 * front of it stays in front of the tester's requests too.
 */
function testerActions(target: AlbTarget, steered: Action[]): Action[] {
  const canary: Action = { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: target.canaryTargetGroupArn, Weight: 1 }] } };
  const others = steered.filter((action) => action.Type !== 'forward');
  if (others.some((action) => action.Type === 'authenticate-oidc')) {
    // Describe* never returns the OIDC client secret, and CreateRule requires it.
    throw new ValidationFailedError(
      `traffic.testerHeader: ${describeTarget(target)} authenticates with OIDC; serinus cannot read the client secret a new rule ` +
        'needs, so it cannot create a tester rule that authenticates the same way; remove testerHeader',
    );
  }
  if (others.length === 0) return [canary];
  const order = Math.max(0, ...others.map((action) => action.Order ?? 0)) + 1;
  return [...others, { ...canary, Order: order }];
}

/** A condition as DescribeRules returns it, in the form CreateRule takes: the config alone, not also the legacy Values. */
function forCreate(condition: RuleCondition): RuleCondition {
  const configured =
    condition.HostHeaderConfig ?? condition.PathPatternConfig ?? condition.HttpHeaderConfig ?? condition.QueryStringConfig ??
    condition.HttpRequestMethodConfig ?? condition.SourceIpConfig;
  if (!configured || condition.Values === undefined) return condition;
  const { Values: _legacy, ...rest } = condition;
  return rest;
}

/** Values of one condition, as the "condition values per rule" quota counts them. */
export function conditionValues(condition: RuleCondition): number {
  return (
    (condition.HostHeaderConfig?.Values?.length ?? 0) +
      (condition.PathPatternConfig?.Values?.length ?? 0) +
      (condition.HttpHeaderConfig?.Values?.length ?? 0) +
      (condition.QueryStringConfig?.Values?.length ?? 0) +
      (condition.HttpRequestMethodConfig?.Values?.length ?? 0) +
      (condition.SourceIpConfig?.Values?.length ?? 0) || (condition.Values?.length ?? 0)
  );
}

function describeTarget(target: AlbTarget): string {
  return target.ruleArn ? `listener rule ${target.ruleArn}` : `the default action of listener ${target.listenerArn}`;
}

function isGone(error: unknown): boolean {
  return error instanceof Error && GONE_CODES.has(error.name);
}

function translate(error: unknown, target: AlbTarget): unknown {
  if (error instanceof Error && error.name === 'TooManyRulesException') {
    return new ValidationFailedError(
      `traffic.testerHeader: the load balancer of listener ${target.listenerArn} is at its rules quota, so no tester rule can be ` +
        'added; raise the quota, remove a rule, or remove testerHeader',
      { cause: error },
    );
  }
  return error;
}
