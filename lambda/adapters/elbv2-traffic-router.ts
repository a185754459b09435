/**
 * The `alb` router: steers an ALB listener's default action, or one listener rule, between the
 * stable and the canary target group by editing the forward action's ForwardConfig weights.
 *
 * A weight change costs two requests against the account's ELBv2 rate: the one Describe that
 * carries the drift check and the action list the write is built on, and the Modify, whose reply is
 * the read-back. Describe polling after the write runs only when that reply does not show the write.
 */
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type TargetGroupTuple,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TrafficTarget, Weights } from '../domain/types';
import { albTarget, type AlbTarget } from './alb-target';
import { AlbTesterRoute } from './alb-tester-route';
import { assertPlanWeights, formatWeights, sameWeights } from '../domain/weights';
import { DriftDetectedError, THROTTLING_ERROR_NAMES, ValidationFailedError, WeightNotAppliedError } from '../errors';
import type { Fence, RestoreResult, Side, TrafficReading, TrafficRouter, WriteWeightsOptions, WriteWeightsResult } from '../ports';
import { logger } from '../shared/observability';
import { clientConfig, withoutSdkLogging } from './client-config';

export interface Elbv2TrafficRouterOptions {
  /**
   * Describe reads after a write until the action shows the written weights, when the write's own
   * reply does not show them. @default 5
   */
  readonly readBackAttempts?: number;
  /** Pause between two read-backs. @default 1000 */
  readonly readBackDelayMs?: number;
  /**
   * Attempts of one step (a read, or the read→write of `writeWeights`) when ELBv2 throttling
   * outlasts the SDK's own adaptive retries. @default 3
   */
  readonly throttleAttempts?: number;
  /**
   * Pause before the second attempt of a throttled step; doubles for each further one, and each
   * pause is jittered between half and all of it, so concurrent rollouts do not retry in step. @default 2000
   */
  readonly throttleBackoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Source of the jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

const THROTTLING_CODES = new Set(THROTTLING_ERROR_NAMES);

const NOT_FOUND_CODES = new Set(['ListenerNotFoundException', 'RuleNotFoundException', 'ListenerNotFound', 'RuleNotFound']);

/** ELBv2 allows at most this many target groups in one forward action. */
const MAX_TARGET_GROUPS = 5;

/** The rule or listener is gone: there is nothing left to steer. */
class TargetGoneError extends ValidationFailedError {}

/** The forward action of a traffic target, read and normalised. */
interface ForwardView {
  /** The full action list, as read. */
  readonly actions: Action[];
  /** Where the forward action sits in `actions`. */
  readonly forwardIndex: number;
  readonly weights: Weights;
  /** Whether the canary target group is in the forward action (at any weight). */
  readonly canaryAttached: boolean;
}

export class Elbv2TrafficRouter implements TrafficRouter {
  private readonly readBackAttempts: number;
  private readonly readBackDelayMs: number;
  private readonly throttleAttempts: number;
  private readonly throttleBackoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  readonly testerRoute: AlbTesterRoute;

  constructor(
    private readonly client = withoutSdkLogging(new ElasticLoadBalancingV2Client({ ...clientConfig })),
    options: Elbv2TrafficRouterOptions = {},
  ) {
    this.readBackAttempts = Math.max(1, options.readBackAttempts ?? 5);
    this.readBackDelayMs = options.readBackDelayMs ?? 1000;
    this.throttleAttempts = Math.max(1, options.throttleAttempts ?? 3);
    this.throttleBackoffMs = options.throttleBackoffMs ?? 2000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.testerRoute = new AlbTesterRoute(client, options);
  }

  async readWeights(target: TrafficTarget): Promise<Weights> {
    return (await this.readTraffic(target)).weights;
  }

  async readTraffic(traffic: TrafficTarget): Promise<TrafficReading> {
    const target = albTarget(traffic);
    const { weights, canaryAttached } = await this.retryingThrottles(() => this.readForward(target));
    return { weights, canaryAttached };
  }

  async writeWeights(traffic: TrafficTarget, weights: Weights, options: WriteWeightsOptions = {}): Promise<WriteWeightsResult> {
    const target = albTarget(traffic);
    const { expected, fence, decide } = options;
    if (!decide) assertPlanWeights(weights);

    // One read per attempt, so a step retried after throttling checks the guard against fresh weights.
    // The same read carries the drift check and the action list the write is built on.
    const attempt = await this.retryingThrottles(async () => {
      const view = await this.readForward(target);
      const wanted = decide ? await decide(view.weights) : weights;
      if (!wanted) return { previous: view.weights, written: undefined };
      assertPlanWeights(wanted);
      // Live weights equal to the ones being written mean this write already happened (a retried
      // task), not that someone else steered.
      if (expected && !sameWeights(view.weights, expected) && !sameWeights(view.weights, wanted)) {
        throw new DriftDetectedError(
          `${describeTarget(target)} carries ${formatWeights(view.weights)}, but serinus last wrote ` +
            `${formatWeights(expected)}: someone else is steering it, so nothing was written`,
        );
      }
      const reply = await this.modify(target, withWeights(view, target, wanted), fence);
      return { previous: view.weights, written: wanted, reply };
    });

    if (!attempt.written) return { previous: attempt.previous, applied: attempt.previous, wrote: false };
    const applied = shownWeights(target, attempt.reply, attempt.written) ?? (await this.readBack(target, attempt.written));
    return { previous: attempt.previous, applied, wrote: true };
  }

  async attachCanary(traffic: TrafficTarget, fence?: Fence): Promise<boolean> {
    const target = albTarget(traffic);
    return this.retryingThrottles(async () => {
      const view = await this.readForward(target);
      if (view.canaryAttached) return false;
      await this.modify(target, withWeights(view, target, view.weights), fence);
      return true;
    });
  }

  async restoreStable(traffic: TrafficTarget, fence?: Fence): Promise<RestoreResult> {
    const target = albTarget(traffic);
    let actions: Action[];
    try {
      actions = await this.retryingThrottles(() => this.readActions(target));
    } catch (error) {
      if (error instanceof TargetGoneError) {
        return { wrote: false, nothingToSteer: true, findings: [`${describeTarget(target)} no longer exists, so no traffic goes through it`] };
      }
      throw error;
    }
    const plan = planRestore(target, actions);
    if (plan.nothingToSteer || !plan.actions) {
      return { wrote: false, nothingToSteer: plan.nothingToSteer, findings: plan.findings };
    }
    const wanted = plan.actions;
    const reply = await this.retryingThrottles(() => this.modify(target, wanted, fence));
    if (!showsRestored(target, reply)) await this.readBackRestored(target);
    return { wrote: true, nothingToSteer: false, findings: plan.findings };
  }

  async healthyTargets(traffic: TrafficTarget, side: Side): Promise<number> {
    const target = albTarget(traffic);
    const targetGroupArn = side === 'canary' ? target.canaryTargetGroupArn : target.stableTargetGroupArn;
    const output = await this.retryingThrottles(() =>
      this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    );
    return (output.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'healthy').length;
  }

  /**
   * The fallback read-back, for a write whose reply did not show it: reads until the action shows
   * `expected`, because ELBv2 applies a change eventually.
   */
  private async readBack(target: AlbTarget, expected: Weights): Promise<Weights> {
    let seen: Weights | undefined;
    for (let attempt = 1; attempt <= this.readBackAttempts; attempt++) {
      if (attempt > 1) {
        await this.sleep(this.readBackDelayMs);
      }
      seen = (await this.retryingThrottles(() => this.readForward(target))).weights;
      if (sameWeights(seen, expected)) {
        return seen;
      }
    }
    throw new WeightNotAppliedError(
      `wrote ${formatWeights(expected)} to ${describeTarget(target)}, but after ${this.readBackAttempts} ` +
        `reads it still shows ${seen ? formatWeights(seen) : 'nothing'}`,
    );
  }

  /** Reads until the action routes nothing to the canary and the stable target group carries traffic. */
  private async readBackRestored(target: AlbTarget): Promise<void> {
    let seen = '';
    for (let attempt = 1; attempt <= this.readBackAttempts; attempt++) {
      if (attempt > 1) {
        await this.sleep(this.readBackDelayMs);
      }
      const actions = await this.retryingThrottles(() => this.readActions(target));
      const check = planRestore(target, actions);
      if (!check.actions) return;
      seen = check.findings.join('; ') || 'the action still needs the write';
    }
    throw new WeightNotAppliedError(
      `put the traffic of ${describeTarget(target)} back on the stable target group, but after ${this.readBackAttempts} reads it still shows: ${seen}`,
    );
  }

  private async readForward(target: AlbTarget): Promise<ForwardView> {
    const actions = await this.readActions(target);
    return inspect(target, actions);
  }

  private async readActions(target: AlbTarget): Promise<Action[]> {
    try {
      if (target.ruleArn) {
        const output = await this.client.send(new DescribeRulesCommand({ RuleArns: [target.ruleArn] }));
        const rule = output.Rules?.find((r) => r.RuleArn === target.ruleArn) ?? output.Rules?.[0];
        if (!rule) {
          throw new TargetGoneError(`listener rule ${target.ruleArn} does not exist in this account/region`);
        }
        if (rule.IsDefault) {
          // ELBv2 API reference, ModifyRule: "To modify the actions for the default rule, use
          // ModifyListener." A ModifyRule on it would not change the listener's traffic.
          throw new ValidationFailedError(
            `listener rule ${target.ruleArn} is the default rule of listener ${target.listenerArn}; ELBv2 changes a ` +
              "default rule's actions only through ModifyListener (ELBv2 API reference, ModifyRule), so configure the " +
              'listener itself as the traffic target instead of its default rule',
          );
        }
        return rule.Actions ?? [];
      }
      const output = await this.client.send(new DescribeListenersCommand({ ListenerArns: [target.listenerArn] }));
      const listener = output.Listeners?.find((l) => l.ListenerArn === target.listenerArn) ?? output.Listeners?.[0];
      if (!listener) {
        throw new TargetGoneError(`listener ${target.listenerArn} does not exist in this account/region`);
      }
      return listener.DefaultActions ?? [];
    } catch (error) {
      if (error instanceof Error && NOT_FOUND_CODES.has(error.name)) {
        throw new TargetGoneError(`${describeTarget(target)} does not exist in this account/region`, { cause: error });
      }
      throw error;
    }
  }

  /**
   * The fence runs last, right before the Modify call, so nothing can end the rollout in between but
   * the call itself.
   * @returns the action list the reply shows for the target, or undefined when the reply names none.
   */
  private async modify(target: AlbTarget, actions: Action[], fence?: Fence): Promise<Action[] | undefined> {
    if (fence) await fence();
    // ELBv2 API reference, Response Elements: ModifyRule answers "Rules.member.N — Information about
    // the modified rule" (Array of Rule objects), ModifyListener "Listeners.member.N — Information about
    // the modified listener" (Array of Listener objects). Only an entry naming the target's ARN counts.
    if (target.ruleArn) {
      const output = await this.client.send(new ModifyRuleCommand({ RuleArn: target.ruleArn, Actions: actions }));
      return output?.Rules?.find((rule) => rule.RuleArn === target.ruleArn)?.Actions;
    }
    const output = await this.client.send(new ModifyListenerCommand({ ListenerArn: target.listenerArn, DefaultActions: actions }));
    return output?.Listeners?.find((listener) => listener.ListenerArn === target.listenerArn)?.DefaultActions;
  }

  /**
   * The SDK's adaptive retry handles ordinary throttling; when a burst of concurrent rollouts
   * outlasts it, the step is repeated after a pause instead of failing the rollout.
   */
  private async retryingThrottles<T>(step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (!isThrottling(error) || attempt >= this.throttleAttempts) {
          throw error;
        }
        const ceilingMs = this.throttleBackoffMs * 2 ** (attempt - 1);
        const pauseMs = Math.round(ceilingMs / 2 + (this.random() * ceilingMs) / 2);
        logger.warn('ELBv2 throttled the call after the SDK retries; repeating the step', { attempt, pauseMs });
        await this.sleep(pauseMs);
      }
    }
  }
}

function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_CODES.has(error.name);
}

/**
 * The read-back from a Modify reply: the weights it shows when they are the written ones, otherwise
 * undefined (no reply, another shape, other weights), and the caller reads back with Describe.
 */
function shownWeights(target: AlbTarget, reply: Action[] | undefined, written: Weights): Weights | undefined {
  if (!reply) return undefined;
  try {
    const shown = inspect(target, reply).weights;
    return sameWeights(shown, written) ? shown : undefined;
  } catch (error) {
    if (error instanceof ValidationFailedError) return undefined;
    throw error;
  }
}

/** Whether a restore's Modify reply shows the traffic back on stable: the canary at 0, stable carrying it. */
function showsRestored(target: AlbTarget, reply: Action[] | undefined): boolean {
  if (!reply) return false;
  const check = planRestore(target, reply);
  return !check.nothingToSteer && !check.actions;
}

function describeTarget(target: AlbTarget): string {
  return target.ruleArn ? `listener rule ${target.ruleArn}` : `the default action of listener ${target.listenerArn}`;
}

/**
 * Finds the single forward action and reads its raw weights.
 * @throws ValidationFailedError when the action cannot be steered between stable and canary.
 */
function inspect(target: AlbTarget, actions: Action[]): ForwardView {
  const where = describeTarget(target);
  const { stableTargetGroupArn: stable, canaryTargetGroupArn: canary } = target;
  const forwardIndexes = actions.flatMap((action, index) => (action.Type === 'forward' ? [index] : []));
  if (forwardIndexes.length !== 1) {
    throw new ValidationFailedError(
      `${where} has ${forwardIndexes.length} forward actions; serinus needs exactly one, forwarding to ` +
        `the stable (${stable}) and canary (${canary}) target groups`,
    );
  }
  const forwardIndex = forwardIndexes[0]!;
  const tuples = targetGroupsOf(actions[forwardIndex]!, where);

  const foreign = tuples.map((t) => t.arn).filter((arn) => arn !== stable && arn !== canary);
  if (foreign.length > 0) {
    throw new ValidationFailedError(
      `the forward action of ${where} forwards to ${foreign.join(', ')}, which is neither the stable ` +
        `(${stable}) nor the canary (${canary}) target group; remove it from the action or point serinus ` +
        'at a listener or rule that forwards only to those two',
    );
  }
  const stableTuple = tuples.find((t) => t.arn === stable);
  const canaryTuple = tuples.find((t) => t.arn === canary);
  if (!stableTuple) {
    throw new ValidationFailedError(
      `the forward action of ${where} does not include the stable target group ${stable}; add it ` +
        `(with the canary target group ${canary} at weight 0)`,
    );
  }
  // A forward to the stable target group alone is all traffic on stable: how a listener looks
  // before its first rollout. Writing weights brings the canary into the action.
  if (!canaryTuple) {
    return { actions, forwardIndex, weights: { stable: stableTuple.weight, canary: 0 }, canaryAttached: false };
  }
  return { actions, forwardIndex, weights: { stable: stableTuple.weight, canary: canaryTuple.weight }, canaryAttached: true };
}

interface RestorePlan {
  readonly nothingToSteer: boolean;
  /** The action list to write, or undefined when the canary already has no traffic and stable has some. */
  readonly actions?: Action[];
  readonly findings: string[];
}

/**
 * What it takes to put the traffic back on stable, whatever the action holds: the canary at 0, the
 * stable target group at 100 (also when it was missing, replaced, or both were at 0), any other
 * target group at 0. An action that already routes nothing to the canary or a foreign target group
 * is left as it is. Never throws: a shape it cannot steer is `nothingToSteer` with a finding.
 */
function planRestore(target: AlbTarget, actions: Action[]): RestorePlan {
  const where = describeTarget(target);
  const { stableTargetGroupArn: stable, canaryTargetGroupArn: canary } = target;
  const forwardIndex = actions.findIndex((action) => action.Type === 'forward');
  if (forwardIndex < 0) {
    return { nothingToSteer: true, findings: [`${where} has no forward action, so it routes no traffic to either target group`] };
  }
  const forward = actions[forwardIndex]!;
  const listed = forward.ForwardConfig?.TargetGroups ?? [];
  const tuples =
    listed.length > 0
      ? listed.filter((t) => t.TargetGroupArn).map((t) => ({ arn: t.TargetGroupArn!, weight: t.Weight ?? 1 }))
      : forward.TargetGroupArn
        ? [{ arn: forward.TargetGroupArn, weight: 1 }]
        : [];

  const findings: string[] = [];
  const foreign = tuples.filter((t) => t.arn !== stable && t.arn !== canary);
  for (const t of foreign) {
    findings.push(
      t.weight > 0
        ? `${where} forwarded to ${t.arn} (weight ${t.weight}), which is neither the stable nor the canary target group; set to 0`
        : `${where} also lists ${t.arn} at weight 0, which is neither the stable nor the canary target group`,
    );
  }
  const stableTuple = tuples.find((t) => t.arn === stable);
  const canaryTuple = tuples.find((t) => t.arn === canary);
  if (!stableTuple) findings.push(`${where} no longer forwarded to the stable target group ${stable}; put it back at weight 100`);
  else if (stableTuple.weight === 0) findings.push(`${where} gave the stable target group weight 0; set it to 100`);
  if (!canaryTuple && foreign.length < MAX_TARGET_GROUPS - 1) {
    findings.push(`${where} no longer listed the canary target group ${canary}; put it back at weight 0 so the load balancer health-checks it`);
  }
  // Done means exactly what serinus leaves between rollouts: stable 100, the canary attached at 0
  // (room permitting), anything else at 0. A stable-only 90 carries all traffic too, but it reads as
  // drift to the next rollout and leaves the canary unchecked, so it is written as well.
  const canaryDone = canaryTuple ? canaryTuple.weight === 0 : foreign.length >= MAX_TARGET_GROUPS - 1;
  const done = stableTuple?.weight === 100 && canaryDone && foreign.every((t) => t.weight === 0);
  if (done) return { nothingToSteer: false, findings };

  // When it writes at all, it writes what serinus writes between rollouts: stable 100, canary 0.
  const groups: TargetGroupTuple[] = [
    { TargetGroupArn: stable, Weight: 100 },
    ...foreign.map((t) => ({ TargetGroupArn: t.arn, Weight: 0 })),
  ];
  // The canary stays in the action at 0 so the load balancer keeps health-checking it, room permitting.
  if (groups.length < MAX_TARGET_GROUPS) groups.splice(1, 0, { TargetGroupArn: canary, Weight: 0 });
  const written: Action = { ...forward, ForwardConfig: { ...forward.ForwardConfig, TargetGroups: groups } };
  delete written.TargetGroupArn;
  return {
    nothingToSteer: false,
    actions: actions.map((action, index) => (index === forwardIndex ? written : forModify(action))),
    findings,
  };
}

/** A forward's target groups, with `TargetGroupArn` alone read as one target group at weight 1. */
function targetGroupsOf(action: Action, where: string): Array<{ arn: string; weight: number }> {
  const listed: TargetGroupTuple[] = action.ForwardConfig?.TargetGroups ?? [];
  if (listed.length === 0) {
    if (!action.TargetGroupArn) {
      throw new ValidationFailedError(`the forward action of ${where} names no target group`);
    }
    return [{ arn: action.TargetGroupArn, weight: 1 }];
  }
  return listed.map((tuple) => {
    if (!tuple.TargetGroupArn) {
      throw new ValidationFailedError(`the forward action of ${where} has a target group entry without an ARN`);
    }
    if (tuple.Weight === undefined && listed.length > 1) {
      throw new ValidationFailedError(`the forward action of ${where} has no weight for ${tuple.TargetGroupArn}`);
    }
    return { arn: tuple.TargetGroupArn, weight: tuple.Weight ?? 1 };
  });
}

/**
 * The full action list for ModifyListener/ModifyRule, which replace every action: the others as
 * read, the forward action with only its target group weights changed.
 */
function withWeights(view: ForwardView, target: AlbTarget, weights: Weights): Action[] {
  return view.actions.map((action, index) => {
    if (index !== view.forwardIndex) {
      return forModify(action);
    }
    const forward: Action = {
      ...action,
      ForwardConfig: {
        ...action.ForwardConfig,
        TargetGroups: [
          { TargetGroupArn: target.stableTargetGroupArn, Weight: weights.stable },
          { TargetGroupArn: target.canaryTargetGroupArn, Weight: weights.canary },
        ],
      },
    };
    // ELBv2 accepts a top-level TargetGroupArn next to ForwardConfig only when ForwardConfig names
    // that one target group; with two it rejects the request.
    delete forward.TargetGroupArn;
    return forward;
  });
}

/**
 * Describe never returns an OIDC client secret, and Modify requires one unless told to keep the
 * existing secret.
 */
function forModify(action: Action): Action {
  const oidc = action.AuthenticateOidcConfig;
  if (action.Type === 'authenticate-oidc' && oidc && oidc.ClientSecret === undefined) {
    return { ...action, AuthenticateOidcConfig: { ...oidc, UseExistingClientSecret: true } };
  }
  return action;
}
