/**
 * Stateful fake of the ELBv2 calls serinus makes. It behaves like the real API where that is
 * cheap to reproduce and where adapters commonly go wrong: Modify* replaces the whole action list
 * and answers with the modified listener or rule (the write as accepted, whatever Describe still
 * shows), a single-target-group forward reads back as `TargetGroupArn` plus a one-entry ForwardConfig,
 * invalid forwards are rejected, reads are eventually consistent (`propagationReads`), a target
 * group no rule references reports its targets `unused`, and calls can be throttled.
 */
import {
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ListenerNotFoundException,
  OperationNotPermittedException,
  PriorityInUseException,
  RuleNotFoundException,
  TargetGroupNotFoundException,
  TooManyRulesException,
  type Action,
  type AddTagsCommandInput,
  type AddTagsCommandOutput,
  type CreateRuleCommandInput,
  type CreateRuleCommandOutput,
  type DeleteRuleCommandInput,
  type DeleteRuleCommandOutput,
  type DescribeListenersCommandInput,
  type DescribeListenersCommandOutput,
  type DescribeRulesCommandInput,
  type DescribeRulesCommandOutput,
  type DescribeTagsCommandInput,
  type DescribeTagsCommandOutput,
  type DescribeTargetHealthCommandInput,
  type DescribeTargetHealthCommandOutput,
  type Listener,
  type ModifyListenerCommandInput,
  type ModifyListenerCommandOutput,
  type ModifyRuleCommandInput,
  type ModifyRuleCommandOutput,
  type ProtocolEnum,
  type Rule,
  type RuleCondition,
  type Tag,
  type TargetGroupStickinessConfig,
  type TargetGroupTuple,
  type TargetHealth,
  type TargetHealthDescription,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createHash } from 'node:crypto';
import { routeTable, serveFromFake, type FakeRoute, type Interception } from './sdk-intercept';
import { copyData } from '../copy-data';

/** target group ARN → weight. */
export type WeightMap = Record<string, number>;

export interface FakeTarget {
  readonly id: string;
  /** @default 80 */
  readonly port?: number;
  readonly state: TargetHealthStateEnum;
  /** @default - the reason ELBv2 gives for the state */
  readonly reason?: string;
  readonly description?: string;
}

export interface WeightsChange {
  /** The listener ARN (default action) or the rule ARN whose forward action changed. */
  readonly arn: string;
  readonly weights: WeightMap;
  /** `api` for ModifyListener/ModifyRule, `out-of-band` for `setWeightsOutOfBand`. */
  readonly source: 'api' | 'out-of-band';
}

export interface FakeElbv2Options {
  /** A write shows in Describe* only after this many further reads of the resource. @default 0 */
  readonly propagationReads?: number;
  /** Every Nth command (any command) throws ThrottlingException. @default - never */
  readonly throttleEvery?: number;
  /**
   * ELBv2's account-wide request token bucket: every call (any command, any caller) takes a token;
   * an empty bucket answers `Throttling`. The SDK's retry middleware sees each throttle.
   * @default - no bucket
   */
  readonly tokenBucket?: TokenBucketOptions;
  /**
   * Rules per Application Load Balancer, not counting default rules (Application Load Balancer
   * quotas: 100, adjustable); CreateRule past it answers TooManyRules.
   * @default 100
   */
  readonly rulesPerLoadBalancer?: number;
}

export interface TokenBucketOptions {
  /** @default 40 */
  readonly capacity?: number;
  /** Tokens added per second of `now()`. @default 10 */
  readonly refillPerSecond?: number;
  /** The bucket's clock in epoch ms; pass a controllable one to make refills deterministic. @default Date.now */
  readonly now?: () => number;
}

export interface Elbv2LogEntry {
  readonly command: string;
  readonly input: unknown;
}

/** What Describe* returns (`visible`) lags what was written (`latest`) by `staleReads` reads. */
interface Steered {
  latest: Action[];
  visible: Action[];
  staleReads: number;
}

interface ListenerRecord extends Steered {
  readonly arn: string;
  readonly loadBalancerArn?: string;
  port: number;
  protocol: ProtocolEnum;
}

interface RuleRecord extends Steered {
  readonly arn: string;
  readonly listenerArn: string;
  readonly priority: string;
  readonly conditions: RuleCondition[];
}

const OK = { $metadata: { httpStatusCode: 200 } } as const;
const FAILED = { $metadata: { httpStatusCode: 400 } } as const;
const TERMINAL_TYPES = new Set(['forward', 'redirect', 'fixed-response']);
const MAX_TARGET_GROUPS_PER_ACTION = 5;
const DEFAULT_REASONS: Partial<Record<TargetHealthStateEnum, { Reason: TargetHealth['Reason']; Description: string }>> = {
  initial: { Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' },
  unhealthy: { Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' },
  draining: { Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' },
  unused: { Reason: 'Target.NotInUse', Description: 'Target group is not configured to receive traffic from the load balancer' },
};

export class FakeElbv2 {
  readonly log: Elbv2LogEntry[] = [];
  private readonly propagationReads: number;
  private readonly throttleEvery?: number;
  private commandCount = 0;
  private readonly bucket?: { capacity: number; refillPerSecond: number; now: () => number; tokens: number; at: number };
  /** Calls the token bucket refused. */
  throttled = 0;
  private readonly listeners = new Map<string, ListenerRecord>();
  private readonly rules = new Map<string, RuleRecord>();
  private readonly targetGroups = new Map<string, FakeTarget[]>();
  private readonly weightListeners = new Set<(change: WeightsChange) => void>();
  private readonly targetGroupTags = new Map<string, Tag[]>();
  private readonly readListeners = new Set<(arns: string[]) => void>();
  private readonly ruleTags = new Map<string, Tag[]>();
  private readonly rulesPerLoadBalancer: number;
  private createdRules = 0;

  constructor(options: FakeElbv2Options = {}) {
    this.propagationReads = options.propagationReads ?? 0;
    this.throttleEvery = options.throttleEvery;
    this.rulesPerLoadBalancer = options.rulesPerLoadBalancer ?? 100;
    if (options.tokenBucket) {
      const now = options.tokenBucket.now ?? Date.now;
      const capacity = options.tokenBucket.capacity ?? 40;
      this.bucket = { capacity, refillPerSecond: options.tokenBucket.refillPerSecond ?? 10, now, tokens: capacity, at: now() };
    }
  }

  /** Serves every ElasticLoadBalancingV2Client (module-level ones included) from this fake, inside the SDK's middleware stack. */
  install(): Interception {
    return serveFromFake(ElasticLoadBalancingV2Client, this.route());
  }

  /** The fake's answers by command, for a harness that serves the client itself (`installAwsFakes`). */
  route(): FakeRoute {
    return routeTable('FakeElbv2', {
      DescribeListenersCommand: (input: DescribeListenersCommandInput) => this.describeListeners(input),
      DescribeRulesCommand: (input: DescribeRulesCommandInput) => this.describeRules(input),
      ModifyListenerCommand: (input: ModifyListenerCommandInput) => this.modifyListener(input),
      ModifyRuleCommand: (input: ModifyRuleCommandInput) => this.modifyRule(input),
      DescribeTargetHealthCommand: (input: DescribeTargetHealthCommandInput) => this.describeTargetHealth(input),
      DescribeTagsCommand: (input: DescribeTagsCommandInput) => this.describeTags(input),
      CreateRuleCommand: (input: CreateRuleCommandInput) => this.createRule(input),
      DeleteRuleCommand: (input: DeleteRuleCommandInput) => this.deleteRule(input),
      AddTagsCommand: (input: AddTagsCommandInput) => this.addTags(input),
    });
  }

  // ---- test hooks ---------------------------------------------------------------------------

  /** Target groups the actions name are created (with no targets) if they do not exist yet. */
  addListener(arn: string, defaultActions: Action[], options: { port?: number; protocol?: ProtocolEnum } = {}): void {
    if (this.listeners.has(arn)) throw new Error(`Listener ${arn} already exists`);
    this.registerTargetGroupsOf(defaultActions);
    const actions = this.normalizeActions(defaultActions, 'DefaultActions');
    this.listeners.set(arn, {
      arn,
      loadBalancerArn: loadBalancerArnOf(arn),
      port: options.port ?? 443,
      protocol: options.protocol ?? 'HTTPS',
      latest: actions,
      visible: copyData(actions),
      staleReads: 0,
    });
  }

  addRule(arn: string, listenerArn: string, actions: Action[], options: { priority?: number; conditions?: RuleCondition[] } = {}): void {
    if (this.rules.has(arn)) throw new Error(`Rule ${arn} already exists`);
    if (!this.listeners.has(listenerArn)) throw new Error(`Add listener ${listenerArn} before its rules`);
    this.registerTargetGroupsOf(actions);
    const normalized = this.normalizeActions(actions, 'Actions');
    const priority = options.priority ?? [...this.rules.values()].filter((rule) => rule.listenerArn === listenerArn).length + 1;
    this.rules.set(arn, {
      arn,
      listenerArn,
      priority: String(priority),
      conditions: copyData(options.conditions ?? [{ Field: 'path-pattern', Values: ['/*'] }]),
      latest: normalized,
      visible: copyData(normalized),
      staleReads: 0,
    });
  }

  addTargetGroup(arn: string, options: { tags?: Record<string, string> } = {}): void {
    if (!this.targetGroups.has(arn)) this.targetGroups.set(arn, []);
    if (options.tags) this.tagTargetGroup(arn, options.tags);
  }

  /** Adds or overwrites tags of a target group, as AddTags does. */
  tagTargetGroup(arn: string, tags: Record<string, string>): void {
    if (!this.targetGroups.has(arn)) throw new Error(`No target group ${arn}`);
    const current = this.targetGroupTags.get(arn) ?? [];
    const merged = new Map(current.map((tag) => [tag.Key!, tag.Value ?? '']));
    for (const [key, value] of Object.entries(tags)) merged.set(key, value);
    this.targetGroupTags.set(arn, [...merged].map(([Key, Value]) => ({ Key, Value })));
  }

  /** Whether the target group exists. */
  hasTargetGroup(arn: string): boolean {
    return this.targetGroups.has(arn);
  }

  /**
   * Someone other than the API caller (a controller) replaces the whole action list of a listener's
   * default action or a rule: immediately visible, no API call logged, validated as Modify* would.
   */
  replaceActionsOutOfBand(arn: string, actions: Action[]): void {
    const steered = this.steered(arn);
    this.registerTargetGroupsOf(actions);
    const normalized = this.normalizeActions(actions, 'Actions');
    const before = weightsOf(steered.latest);
    steered.latest = normalized;
    steered.visible = copyData(normalized);
    steered.staleReads = 0;
    if (!sameWeights(before, weightsOf(normalized))) this.notify(this.steeredArn(arn), weightsOf(normalized), 'out-of-band');
  }

  /** The action list the load balancer applies now (the latest write). */
  actions(arn: string): Action[] {
    return copyData(this.steered(arn).latest);
  }

  /**
   * What the load balancer evaluates for a request now: the listener's rules by priority, with
   * their conditions and latest actions, then its default rule. A data plane's view (the sandbox's
   * proxy): no call logged, no read counted, no eventual consistency.
   */
  rulesInEffect(listenerArn: string): Rule[] {
    const listener = this.listeners.get(listenerArn);
    if (!listener) throw new Error(`No listener ${listenerArn}`);
    const rules = [...this.rules.values()]
      .filter((rule) => rule.listenerArn === listenerArn)
      .sort((a, b) => Number(a.priority) - Number(b.priority))
      .map((rule) => this.ruleView(rule.arn, copyData(rule.latest)));
    return [...rules, this.ruleView(this.defaultRuleArn(listenerArn), copyData(listener.latest))];
  }

  /**
   * Called by every DescribeRules/DescribeListeners that passed throttling, with the ARNs of the
   * listeners and rules it is about to read, before it reads them: a controller model can make its
   * lagging change surface at a chosen read. @returns unsubscribe
   */
  onRead(listener: (arns: string[]) => void): () => void {
    this.readListeners.add(listener);
    return () => this.readListeners.delete(listener);
  }

  /** Replaces the registered targets of the group (creating the group if needed). */
  setTargetHealth(targetGroupArn: string, targets: FakeTarget[]): void {
    this.targetGroups.set(targetGroupArn, copyData(targets));
  }

  /** The weights the load balancer applies now (the latest write, whatever reads still show). */
  weights(arn: string): WeightMap {
    return weightsOf(this.steered(arn).latest);
  }

  /** Someone edits the weights in the console: immediately live, no API call logged. Raw weights (0–999), e.g. 999/1. */
  setWeightsOutOfBand(arn: string, weights: WeightMap): void {
    this.editForwardOutOfBand(arn, () => Object.entries(weights).map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })));
  }

  /** Someone adds a target group to the forward action (creating the group if needed). */
  addTargetGroupOutOfBand(arn: string, targetGroupArn: string, weight: number): void {
    this.addTargetGroup(targetGroupArn);
    this.editForwardOutOfBand(arn, (tuples) => [...tuples, { TargetGroupArn: targetGroupArn, Weight: weight }]);
  }

  /** Someone removes a target group (the stable or the canary one) from the forward action. */
  removeTargetGroupOutOfBand(arn: string, targetGroupArn: string): void {
    this.editForwardOutOfBand(arn, (tuples) => {
      const left = tuples.filter((tuple) => tuple.TargetGroupArn !== targetGroupArn);
      if (left.length === tuples.length) throw new Error(`${arn} does not forward to ${targetGroupArn}`);
      return left;
    });
  }

  /** Someone deletes the rule: Describe*, ModifyRule then answer RuleNotFound. */
  deleteRuleOutOfBand(ruleArn: string): void {
    if (!this.rules.delete(ruleArn)) throw new Error(`No rule ${ruleArn} (a default rule cannot be deleted)`);
    this.ruleTags.delete(ruleArn);
  }

  /** The non-default rules of a listener, by priority, with their conditions and tags. */
  listenerRules(listenerArn: string): Array<{ arn: string; priority: number; conditions: RuleCondition[]; actions: Action[]; tags: Record<string, string> }> {
    return [...this.rules.values()]
      .filter((rule) => rule.listenerArn === listenerArn)
      .sort((a, b) => Number(a.priority) - Number(b.priority))
      .map((rule) => ({
        arn: rule.arn,
        priority: Number(rule.priority),
        conditions: copyData(rule.conditions),
        actions: copyData(rule.latest),
        tags: Object.fromEntries((this.ruleTags.get(rule.arn) ?? []).map((tag) => [tag.Key!, tag.Value ?? ''])),
      }));
  }

  private editForwardOutOfBand(arn: string, edit: (tuples: TargetGroupTuple[]) => TargetGroupTuple[]): void {
    const steered = this.steered(arn);
    const actions = copyData(steered.latest);
    const forward = actions.find((action) => action.Type === 'forward');
    if (!forward) throw new Error(`${arn} has no forward action`);
    const tuples = edit(forward.ForwardConfig?.TargetGroups ?? []);
    delete forward.TargetGroupArn;
    forward.ForwardConfig = { ...forward.ForwardConfig, TargetGroups: tuples };
    const normalized = this.normalizeActions(actions, 'Actions');
    steered.latest = normalized;
    steered.visible = copyData(normalized);
    steered.staleReads = 0;
    this.notify(this.steeredArn(arn), weightsOf(normalized), 'out-of-band');
  }

  /** Called after every change of a forward action's weights. @returns unsubscribe */
  onWeightsChanged(listener: (change: WeightsChange) => void): () => void {
    this.weightListeners.add(listener);
    return () => this.weightListeners.delete(listener);
  }

  /**
   * The ARN of the listener's default rule, as DescribeRules lists it (`IsDefault: true`): the real
   * format, `…:listener-rule/app/<lb>/<lb-id>/<listener-id>/<rule-id>`, with a rule id derived from the listener.
   */
  defaultRuleArn(listenerArn: string): string {
    const ruleId = createHash('sha256').update(listenerArn).digest('hex').slice(0, 16);
    return listenerArn.includes(':listener/')
      ? `${listenerArn.replace(':listener/', ':listener-rule/')}/${ruleId}`
      : `${listenerArn}/${ruleId}`;
  }

  // ---- commands -----------------------------------------------------------------------------

  describeListeners(input: DescribeListenersCommandInput): DescribeListenersCommandOutput {
    this.enter('DescribeListeners', input);
    let listeners: ListenerRecord[];
    if (input.ListenerArns !== undefined) {
      listeners = input.ListenerArns.map((arn) => this.listeners.get(arn) ?? throwListenerNotFound());
    } else if (input.LoadBalancerArn !== undefined) {
      listeners = [...this.listeners.values()].filter((listener) => listener.loadBalancerArn === input.LoadBalancerArn);
    } else {
      throw validationError('You must specify either listener ARNs or a load balancer ARN');
    }
    this.announceRead(listeners.map((listener) => listener.arn));
    return { ...OK, Listeners: listeners.map((listener) => listenerView(listener, read(listener))) };
  }

  describeRules(input: DescribeRulesCommandInput): DescribeRulesCommandOutput {
    this.enter('DescribeRules', input);
    if ((input.ListenerArn === undefined) === (input.RuleArns === undefined)) {
      throw validationError('You must specify either listener ARN or rule ARNs, but not both');
    }
    if (input.RuleArns !== undefined) {
      this.announceRead(input.RuleArns);
      return { ...OK, Rules: input.RuleArns.map((arn) => this.readRule(arn)) };
    }
    const listener = this.listeners.get(input.ListenerArn!) ?? throwListenerNotFound();
    this.announceRead([
      ...[...this.rules.values()].filter((rule) => rule.listenerArn === listener.arn).map((rule) => rule.arn),
      this.defaultRuleArn(listener.arn),
    ]);
    const rules = [...this.rules.values()]
      .filter((rule) => rule.listenerArn === listener.arn)
      .sort((a, b) => Number(a.priority) - Number(b.priority))
      .map((rule) => this.readRule(rule.arn));
    return { ...OK, Rules: [...rules, this.readRule(this.defaultRuleArn(listener.arn))] };
  }

  modifyListener(input: ModifyListenerCommandInput): ModifyListenerCommandOutput {
    this.enter('ModifyListener', input);
    const listener = (input.ListenerArn !== undefined && this.listeners.get(input.ListenerArn)) || throwListenerNotFound();
    if (input.DefaultActions !== undefined) {
      this.write(listener, listener.arn, this.normalizeActions(input.DefaultActions, 'DefaultActions'));
    }
    if (input.Port !== undefined) listener.port = input.Port;
    if (input.Protocol !== undefined) listener.protocol = input.Protocol;
    // API_ModifyListener, Response Elements: "Listeners.member.N — Information about the modified listener."
    return { ...OK, Listeners: [listenerView(listener, listener.latest)] };
  }

  modifyRule(input: ModifyRuleCommandInput): ModifyRuleCommandOutput {
    this.enter('ModifyRule', input);
    const arn = input.RuleArn ?? '';
    if (this.listenerOfDefaultRule(arn)) {
      // API_ModifyRule: "To modify the actions for the default rule, use ModifyListener."
      const message = `The default rule '${arn}' cannot be modified; use ModifyListener to change the listener's default actions`;
      throw new OperationNotPermittedException({ message, Message: message, $metadata: FAILED.$metadata });
    }
    const steered = this.rules.get(arn) ?? throwRuleNotFound();
    if (input.Conditions !== undefined) {
      const rule = this.rules.get(arn);
      if (!rule) throw validationError('You cannot modify the conditions of a default rule');
      rule.conditions.splice(0, rule.conditions.length, ...copyData(input.Conditions));
    }
    if (input.Actions !== undefined) {
      this.write(steered, this.steeredArn(arn), this.normalizeActions(input.Actions, 'Actions'));
    }
    // API_ModifyRule, Response Elements: "Rules.member.N — Information about the modified rule."
    return { ...OK, Rules: [this.ruleView(arn, steered.latest)] };
  }

  describeTargetHealth(input: DescribeTargetHealthCommandInput): DescribeTargetHealthCommandOutput {
    this.enter('DescribeTargetHealth', input);
    const arn = input.TargetGroupArn ?? '';
    const targets = this.targetGroups.get(arn);
    if (!targets) throw targetGroupNotFound();
    const inUse = this.isReferenced(arn);
    const wanted = input.Targets ?? targets.map((target) => ({ Id: target.id, Port: target.port ?? 80 }));
    const descriptions: TargetHealthDescription[] = wanted.map((wantedTarget) => {
      const target = targets.find((t) => t.id === wantedTarget.Id && (wantedTarget.Port === undefined || (t.port ?? 80) === wantedTarget.Port));
      const port = wantedTarget.Port ?? target?.port ?? 80;
      const base = { Target: { Id: wantedTarget.Id, Port: port }, HealthCheckPort: String(port) };
      if (!target) {
        return { ...base, TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' } };
      }
      return { ...base, TargetHealth: inUse ? targetHealth(target) : { State: 'unused', ...DEFAULT_REASONS.unused } };
    });
    return { ...OK, TargetHealthDescriptions: descriptions };
  }

  describeTags(input: DescribeTagsCommandInput): DescribeTagsCommandOutput {
    this.enter('DescribeTags', input);
    const arns = input.ResourceArns ?? [];
    // API_DescribeTags: ResourceArns holds 1 to 20 ARNs.
    if (arns.length === 0 || arns.length > 20) {
      throw validationError(`1 validation error detected: Value at 'resourceArns' failed to satisfy constraint: Member must have length between 1 and 20`);
    }
    const TagDescriptions = arns.map((arn) => {
      if (arn.includes(':targetgroup/')) {
        if (!this.targetGroups.has(arn)) throw targetGroupNotFound();
        return { ResourceArn: arn, Tags: copyData(this.targetGroupTags.get(arn) ?? []) };
      }
      if (this.rules.has(arn)) return { ResourceArn: arn, Tags: copyData(this.ruleTags.get(arn) ?? []) };
      if (this.listeners.has(arn)) return { ResourceArn: arn, Tags: [] };
      throw arn.includes(':listener-rule/') ? (throwRuleNotFound() as never) : throwListenerNotFound();
    });
    return { ...OK, TagDescriptions };
  }

  /**
   * ELBv2 API reference, CreateRule: ListenerArn, Conditions, Priority (1–50000, unique per
   * listener: PriorityInUse) and Actions are required; the load balancer's rules quota answers
   * TooManyRules. Conditions as the Application Load Balancer guide's "Rule condition types" allow.
   */
  createRule(input: CreateRuleCommandInput): CreateRuleCommandOutput {
    this.enter('CreateRule', input);
    const listener = (input.ListenerArn !== undefined && this.listeners.get(input.ListenerArn)) || throwListenerNotFound();
    const priority = input.Priority;
    if (priority === undefined || !Number.isInteger(priority) || priority < 1 || priority > 50000) {
      throw validationError(`1 validation error detected: Value '${priority}' at 'priority' failed to satisfy constraint: Member must have value between 1 and 50000`);
    }
    const conditions = validateConditions(input.Conditions);
    const actions = this.normalizeActions(input.Actions as Action[], 'Actions');
    const tags = validateTags(input.Tags);
    const siblings = [...this.rules.values()].filter((rule) => rule.listenerArn === listener.arn);
    if (siblings.some((rule) => Number(rule.priority) === priority)) {
      const message = 'Priority \'' + priority + '\' is currently in use';
      throw new PriorityInUseException({ message, Message: message, $metadata: FAILED.$metadata });
    }
    const onLoadBalancer = [...this.rules.values()].filter(
      (rule) => this.listeners.get(rule.listenerArn)?.loadBalancerArn === listener.loadBalancerArn,
    );
    if (onLoadBalancer.length >= this.rulesPerLoadBalancer) {
      const message = 'The maximum number of rules on load balancer has been reached';
      throw new TooManyRulesException({ message, Message: message, $metadata: FAILED.$metadata });
    }
    this.createdRules += 1;
    const ruleId = createHash('sha256').update(`${listener.arn}#${this.createdRules}`).digest('hex').slice(0, 16);
    const arn = `${listener.arn.replace(':listener/', ':listener-rule/')}/${ruleId}`;
    this.rules.set(arn, {
      arn,
      listenerArn: listener.arn,
      priority: String(priority),
      conditions,
      latest: actions,
      visible: copyData(actions),
      staleReads: 0,
    });
    if (tags.length > 0) this.ruleTags.set(arn, tags);
    return { ...OK, Rules: [this.ruleView(arn, actions)] };
  }

  /** ELBv2 API reference, DeleteRule: "You can't delete the default rule." */
  deleteRule(input: DeleteRuleCommandInput): DeleteRuleCommandOutput {
    this.enter('DeleteRule', input);
    const arn = input.RuleArn ?? '';
    if (this.listenerOfDefaultRule(arn)) {
      const message = `The default rule '${arn}' cannot be deleted`;
      throw new OperationNotPermittedException({ message, Message: message, $metadata: FAILED.$metadata });
    }
    if (!this.rules.delete(arn)) throwRuleNotFound();
    this.ruleTags.delete(arn);
    return { ...OK };
  }

  /** Adds or overwrites tags of target groups and rules. */
  addTags(input: AddTagsCommandInput): AddTagsCommandOutput {
    this.enter('AddTags', input);
    const tags = validateTags(input.Tags);
    if (tags.length === 0) throw validationError('Tags: at least one tag is required');
    for (const arn of input.ResourceArns ?? []) {
      if (this.targetGroups.has(arn)) {
        this.tagTargetGroup(arn, Object.fromEntries(tags.map((tag) => [tag.Key!, tag.Value ?? ''])));
      } else if (this.rules.has(arn)) {
        const merged = new Map((this.ruleTags.get(arn) ?? []).map((tag) => [tag.Key!, tag.Value ?? '']));
        for (const tag of tags) merged.set(tag.Key!, tag.Value ?? '');
        this.ruleTags.set(arn, [...merged].map(([Key, Value]) => ({ Key, Value })));
      } else if (arn.includes(':targetgroup/')) {
        throw targetGroupNotFound();
      } else {
        throwRuleNotFound();
      }
    }
    return { ...OK };
  }

  // ---- internals ----------------------------------------------------------------------------

  private announceRead(arns: string[]): void {
    for (const listener of [...this.readListeners]) listener(arns.map((arn) => this.steeredArn(arn)));
  }

  /** Logs the call and applies fault injection, before the call has any effect. */
  private enter(command: string, input: unknown): void {
    this.log.push({ command, input: copyData(input) });
    this.commandCount += 1;
    const emptyBucket = this.bucket !== undefined && !this.takeToken(this.bucket);
    if (emptyBucket || (this.throttleEvery !== undefined && this.commandCount % this.throttleEvery === 0)) {
      this.throttled += 1;
      const error = new ElasticLoadBalancingV2ServiceException({
        name: 'Throttling',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: FAILED.$metadata,
      });
      error.$retryable = { throttling: true };
      throw error;
    }
  }

  private takeToken(bucket: NonNullable<FakeElbv2['bucket']>): boolean {
    const now = bucket.now();
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + ((now - bucket.at) / 1000) * bucket.refillPerSecond);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private write(steered: Steered, arn: string, actions: Action[]): void {
    const before = weightsOf(steered.latest);
    steered.latest = actions;
    steered.staleReads = this.propagationReads;
    if (this.propagationReads === 0) steered.visible = copyData(actions);
    const after = weightsOf(actions);
    if (!sameWeights(before, after)) this.notify(arn, after, 'api');
  }

  private notify(arn: string, weights: WeightMap, source: WeightsChange['source']): void {
    for (const listener of this.weightListeners) listener({ arn, weights: { ...weights }, source });
  }

  private readRule(arn: string): Rule {
    const steered = this.findSteered(arn) ?? throwRuleNotFound();
    return this.ruleView(arn, read(steered));
  }

  private ruleView(arn: string, actions: Action[]): Rule {
    const rule = this.rules.get(arn);
    if (rule) {
      return { RuleArn: arn, Priority: rule.priority, Conditions: copyData(rule.conditions), Actions: actions, IsDefault: false };
    }
    return { RuleArn: arn, Priority: 'default', Conditions: [], Actions: actions, IsDefault: true };
  }

  /** A listener, a rule, or a listener's default rule (which is the listener's default actions). */
  private findSteered(arn: string): Steered | undefined {
    return this.listeners.get(arn) ?? this.rules.get(arn) ?? this.listenerOfDefaultRule(arn);
  }

  private steered(arn: string): Steered {
    const steered = this.findSteered(arn);
    if (!steered) throw new Error(`No listener or rule ${arn}`);
    return steered;
  }

  /** Changes to a default rule are changes to its listener's default actions. */
  private steeredArn(arn: string): string {
    return this.listenerOfDefaultRule(arn)?.arn ?? arn;
  }

  private listenerOfDefaultRule(arn: string): ListenerRecord | undefined {
    return [...this.listeners.values()].find((listener) => this.defaultRuleArn(listener.arn) === arn);
  }

  private isReferenced(targetGroupArn: string): boolean {
    const all: Steered[] = [...this.listeners.values(), ...this.rules.values()];
    return all.some((steered) =>
      steered.latest.some((action) => action.ForwardConfig?.TargetGroups?.some((tuple) => tuple.TargetGroupArn === targetGroupArn)),
    );
  }

  private registerTargetGroupsOf(actions: Action[]): void {
    for (const action of actions) {
      if (action.TargetGroupArn) this.addTargetGroup(action.TargetGroupArn);
      for (const tuple of action.ForwardConfig?.TargetGroups ?? []) {
        if (tuple.TargetGroupArn) this.addTargetGroup(tuple.TargetGroupArn);
      }
    }
  }

  private normalizeActions(actions: Action[], member: string): Action[] {
    if (!Array.isArray(actions) || actions.length === 0) {
      throw validationError(`${member}: at least one action is required`);
    }
    const normalized = actions.map((action, index) => this.normalizeAction(action, `${member}.member.${index + 1}`));
    const orders = normalized.map((action) => action.Order);
    for (const order of orders) {
      if (order !== undefined && (!Number.isInteger(order) || order < 1 || order > 50000)) {
        throw validationError(`Action order ${order} must be between 1 and 50000`);
      }
    }
    if (normalized.length > 1) {
      if (orders.some((order) => order === undefined)) {
        throw validationError('An order must be specified for every action when there is more than one action');
      }
      if (new Set(orders).size !== orders.length) throw validationError('Action orders must be unique');
    }
    const terminal = normalized.filter((action) => TERMINAL_TYPES.has(action.Type ?? ''));
    if (terminal.length !== 1) {
      throw validationError('Exactly one forward, redirect or fixed-response action is required');
    }
    if (normalized.length > 1 && terminal[0].Order !== Math.max(...(orders as number[]))) {
      throw validationError('The forward, redirect or fixed-response action must be the last action');
    }
    // ELBv2 returns actions in the order they are performed.
    return normalized.sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
  }

  private normalizeAction(action: Action, member: string): Action {
    if (!action?.Type) throw validationError(`${member}.type: Member must not be null`);
    const copy = copyData(action);
    if (copy.Type !== 'forward') {
      if (copy.TargetGroupArn !== undefined || copy.ForwardConfig !== undefined) {
        throw validationError(`${member}: a ${copy.Type} action cannot have target groups`);
      }
      return copy;
    }
    const configured = copy.ForwardConfig?.TargetGroups;
    if (copy.TargetGroupArn !== undefined && configured !== undefined) {
      const agrees = configured.length === 1 && configured[0].TargetGroupArn === copy.TargetGroupArn;
      if (!agrees) {
        throw validationError(
          `${member}: when TargetGroupArn and ForwardConfig are both specified, ForwardConfig must hold exactly that one target group`,
        );
      }
    }
    const tuples: TargetGroupTuple[] = configured ?? (copy.TargetGroupArn !== undefined ? [{ TargetGroupArn: copy.TargetGroupArn, Weight: 1 }] : []);
    if (tuples.length === 0) throw validationError(`${member}: a forward action needs a target group`);
    if (tuples.length > MAX_TARGET_GROUPS_PER_ACTION) {
      throw validationError(`${member}: a forward action can have at most ${MAX_TARGET_GROUPS_PER_ACTION} target groups`);
    }
    const seen = new Set<string>();
    const normalizedTuples = tuples.map((tuple, index) => {
      const arn = tuple.TargetGroupArn;
      if (!arn) throw validationError(`${member}.forwardConfig.targetGroups.member.${index + 1}.targetGroupArn: Member must not be null`);
      if (seen.has(arn)) throw validationError(`${member}: target group ${arn} appears more than once`);
      seen.add(arn);
      const weight = tuple.Weight ?? 1;
      if (!Number.isInteger(weight) || weight < 0 || weight > 999) {
        throw validationError(
          `${member}.forwardConfig.targetGroups.member.${index + 1}.weight: Value '${weight}' failed to satisfy constraint: Member must have value between 0 and 999`,
        );
      }
      if (!this.targetGroups.has(arn)) throw targetGroupNotFound();
      return { TargetGroupArn: arn, Weight: weight };
    });
    const stickiness = normalizeStickiness(copy.ForwardConfig?.TargetGroupStickinessConfig, member);
    delete copy.TargetGroupArn;
    delete copy.ForwardConfig;
    return {
      ...copy,
      // The form DescribeListeners/DescribeRules return: a lone target group is named twice.
      ...(normalizedTuples.length === 1 && { TargetGroupArn: normalizedTuples[0].TargetGroupArn }),
      ForwardConfig: { TargetGroups: normalizedTuples, TargetGroupStickinessConfig: stickiness },
    };
  }
}

/** Returns what a Describe call sees now, and lets an eventually consistent write surface. */
function read(steered: Steered): Action[] {
  if (steered.staleReads > 0) {
    steered.staleReads -= 1;
    return copyData(steered.visible);
  }
  steered.visible = copyData(steered.latest);
  return copyData(steered.latest);
}

function listenerView(listener: ListenerRecord, actions: Action[]): Listener {
  return {
    ListenerArn: listener.arn,
    ...(listener.loadBalancerArn && { LoadBalancerArn: listener.loadBalancerArn }),
    Port: listener.port,
    Protocol: listener.protocol,
    DefaultActions: copyData(actions),
  };
}

function normalizeStickiness(config: TargetGroupStickinessConfig | undefined, member: string): TargetGroupStickinessConfig {
  if (!config?.Enabled) {
    return config?.DurationSeconds !== undefined ? { Enabled: false, DurationSeconds: config.DurationSeconds } : { Enabled: false };
  }
  const duration = config.DurationSeconds;
  if (duration === undefined || !Number.isInteger(duration) || duration < 1 || duration > 604800) {
    throw validationError(`${member}: stickiness DurationSeconds must be between 1 and 604800 when stickiness is enabled`);
  }
  return { Enabled: true, DurationSeconds: duration };
}

function weightsOf(actions: Action[]): WeightMap {
  const forward = actions.find((action) => action.Type === 'forward');
  return Object.fromEntries((forward?.ForwardConfig?.TargetGroups ?? []).map((tuple) => [tuple.TargetGroupArn!, tuple.Weight ?? 1]));
}

function sameWeights(a: WeightMap, b: WeightMap): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}

function targetHealth(target: FakeTarget): TargetHealth {
  const defaults = DEFAULT_REASONS[target.state];
  const reason = target.reason ?? defaults?.Reason;
  const description = target.description ?? defaults?.Description;
  return {
    State: target.state,
    ...(reason !== undefined && { Reason: reason as TargetHealth['Reason'] }),
    ...(description !== undefined && { Description: description }),
  };
}

/** `…:listener/app/<name>/<lb-id>/<listener-id>` → `…:loadbalancer/app/<name>/<lb-id>` */
function loadBalancerArnOf(listenerArn: string): string | undefined {
  const match = /^(.*):listener\/((?:app|net|gwy)\/[^/]+\/[^/]+)\/[^/]+$/.exec(listenerArn);
  return match ? `${match[1]}:loadbalancer/${match[2]}` : undefined;
}

const CONDITION_FIELDS = new Set(['http-header', 'http-request-method', 'host-header', 'path-pattern', 'query-string', 'source-ip']);
/** "Each rule can optionally include up to one of each of the following conditions" (API_RuleCondition). */
const ONCE_PER_RULE = new Set(['host-header', 'http-request-method', 'path-pattern', 'source-ip']);
/** Application Load Balancer quotas: condition values per rule. */
const MAX_CONDITION_VALUES = 5;

/** Conditions as CreateRule accepts them (ELBv2 API reference, RuleCondition and HttpHeaderConditionConfig). */
function validateConditions(conditions: RuleCondition[] | undefined): RuleCondition[] {
  if (!Array.isArray(conditions) || conditions.length === 0) throw validationError('Conditions: at least one condition is required');
  const seen = new Set<string>();
  let values = 0;
  conditions.forEach((condition, index) => {
    const member = `Conditions.member.${index + 1}`;
    const field = condition.Field ?? '';
    if (!CONDITION_FIELDS.has(field)) throw validationError(`${member}.field: '${field}' is not a valid condition field`);
    if (ONCE_PER_RULE.has(field)) {
      if (seen.has(field)) throw validationError(`A rule can only have one '${field}' condition`);
      seen.add(field);
    }
    const configs = {
      'host-header': condition.HostHeaderConfig,
      'path-pattern': condition.PathPatternConfig,
      'http-header': condition.HttpHeaderConfig,
      'query-string': condition.QueryStringConfig,
      'http-request-method': condition.HttpRequestMethodConfig,
      'source-ip': condition.SourceIpConfig,
    } as const;
    const config = configs[field as keyof typeof configs];
    if (field === 'http-header') {
      const header = condition.HttpHeaderConfig;
      if (!header?.HttpHeaderName) throw validationError(`${member}.httpHeaderConfig.httpHeaderName: Member must not be null`);
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$/.test(header.HttpHeaderName)) {
        throw validationError(`${member}.httpHeaderConfig.httpHeaderName: must be 1–40 RFC 7230 token characters`);
      }
    } else if (!config && field !== 'host-header' && field !== 'path-pattern') {
      throw validationError(`${member}: a '${field}' condition needs its config`);
    }
    const list: unknown[] =
      field === 'query-string' ? (condition.QueryStringConfig?.Values ?? []) : ((config as { Values?: string[] } | undefined)?.Values ?? condition.Values ?? []);
    if (list.length === 0) throw validationError(`${member}: a condition needs at least one value`);
    for (const value of list) {
      if (typeof value === 'string' && value.length > 128) throw validationError(`${member}: a condition value can be at most 128 characters`);
    }
    values += list.length;
  });
  if (values > MAX_CONDITION_VALUES) throw validationError(`A rule can only have '${MAX_CONDITION_VALUES}' condition values`);
  return copyData(conditions);
}

/** API_Tag: Key 1–128 characters, Value 0–256; at most 50 tags per resource (API_AddTags). */
function validateTags(tags: Tag[] | undefined): Tag[] {
  const list = tags ?? [];
  if (list.length > 50) throw validationError('Tags: at most 50 tags per resource');
  for (const tag of list) {
    if (!tag.Key || tag.Key.length > 128) throw validationError('Tags: a tag key is 1 to 128 characters');
    if ((tag.Value ?? '').length > 256) throw validationError('Tags: a tag value is at most 256 characters');
  }
  return copyData(list);
}

function validationError(message: string): ElasticLoadBalancingV2ServiceException {
  const error = new ElasticLoadBalancingV2ServiceException({ name: 'ValidationError', $fault: 'client', message, $metadata: FAILED.$metadata });
  return Object.assign(error, { Message: message });
}

function throwListenerNotFound(): never {
  const message = 'One or more listeners not found';
  throw new ListenerNotFoundException({ message, Message: message, $metadata: FAILED.$metadata });
}

function throwRuleNotFound(): never {
  const message = 'One or more rules not found';
  throw new RuleNotFoundException({ message, Message: message, $metadata: FAILED.$metadata });
}

function targetGroupNotFound(): TargetGroupNotFoundException {
  const message = 'One or more target groups not found';
  return new TargetGroupNotFoundException({ message, Message: message, $metadata: FAILED.$metadata });
}
