/**
 * Steers an ALB listener's default action, or one listener rule, between the stable and the
 * canary target group by editing the forward action's ForwardConfig weights.
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
import { assertPlanWeights, formatWeights, sameWeights } from '../domain/weights';
import { DriftDetectedError, ValidationFailedError, WeightNotAppliedError } from '../errors';
import type { TrafficRouter, WriteWeightsResult } from '../ports';
import { logger } from '../shared/observability';
import { clientConfig } from './client-config';

export interface Elbv2TrafficRouterOptions {
  /** Reads after a write until the action shows the written weights. @default 5 */
  readonly readBackAttempts?: number;
  /** Pause between two read-backs. @default 1000 */
  readonly readBackDelayMs?: number;
  /**
   * Attempts of one step (a read, or the read→write of `writeWeights`) when ELBv2 throttling
   * outlasts the SDK's own adaptive retries. @default 3
   */
  readonly throttleAttempts?: number;
  /** Pause before the second attempt of a throttled step; doubles for each further one. @default 2000 */
  readonly throttleBackoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Error codes ELBv2 (a Query-protocol API, which answers `Throttling`) and other AWS APIs use for
 * rate limiting.
 */
const THROTTLING_CODES = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);

const NOT_FOUND_CODES = new Set(['ListenerNotFoundException', 'RuleNotFoundException', 'ListenerNotFound', 'RuleNotFound']);

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

  constructor(
    private readonly client = new ElasticLoadBalancingV2Client({ ...clientConfig }),
    options: Elbv2TrafficRouterOptions = {},
  ) {
    this.readBackAttempts = Math.max(1, options.readBackAttempts ?? 5);
    this.readBackDelayMs = options.readBackDelayMs ?? 1000;
    this.throttleAttempts = Math.max(1, options.throttleAttempts ?? 3);
    this.throttleBackoffMs = options.throttleBackoffMs ?? 2000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async readWeights(target: TrafficTarget): Promise<Weights> {
    const view = await this.retryingThrottles(() => this.readForward(target));
    return view.weights;
  }

  async writeWeights(target: TrafficTarget, weights: Weights, guard?: { expected: Weights }): Promise<WriteWeightsResult> {
    assertPlanWeights(weights);

    // One read per attempt, so a step retried after throttling checks the guard against fresh weights.
    const previous = await this.retryingThrottles(async () => {
      const view = await this.readForward(target);
      // Live weights equal to the ones being written mean this write already happened (a retried
      // task), not that someone else steered.
      if (guard && !sameWeights(view.weights, guard.expected) && !sameWeights(view.weights, weights)) {
        throw new DriftDetectedError(
          `${describeTarget(target)} carries ${formatWeights(view.weights)}, but serinus last wrote ` +
            `${formatWeights(guard.expected)}: someone else is steering it, so nothing was written`,
        );
      }
      await this.modify(target, withWeights(view, target, weights));
      return view.weights;
    });

    const applied = await this.readBack(target, weights);
    return { previous, applied };
  }

  async attachCanary(target: TrafficTarget): Promise<boolean> {
    return this.retryingThrottles(async () => {
      const view = await this.readForward(target);
      if (view.canaryAttached) return false;
      await this.modify(target, withWeights(view, target, view.weights));
      return true;
    });
  }

  async healthyTargets(targetGroupArn: string): Promise<number> {
    const output = await this.retryingThrottles(() =>
      this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    );
    return (output.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'healthy').length;
  }

  /** Reads until the action shows `expected`, because ELBv2 applies a change eventually. */
  private async readBack(target: TrafficTarget, expected: Weights): Promise<Weights> {
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

  private async readForward(target: TrafficTarget): Promise<ForwardView> {
    const actions = await this.readActions(target);
    return inspect(target, actions);
  }

  private async readActions(target: TrafficTarget): Promise<Action[]> {
    try {
      if (target.ruleArn) {
        const output = await this.client.send(new DescribeRulesCommand({ RuleArns: [target.ruleArn] }));
        const rule = output.Rules?.find((r) => r.RuleArn === target.ruleArn) ?? output.Rules?.[0];
        if (!rule) {
          throw new ValidationFailedError(`listener rule ${target.ruleArn} does not exist in this account/region`);
        }
        return rule.Actions ?? [];
      }
      const output = await this.client.send(new DescribeListenersCommand({ ListenerArns: [target.listenerArn] }));
      const listener = output.Listeners?.find((l) => l.ListenerArn === target.listenerArn) ?? output.Listeners?.[0];
      if (!listener) {
        throw new ValidationFailedError(`listener ${target.listenerArn} does not exist in this account/region`);
      }
      return listener.DefaultActions ?? [];
    } catch (error) {
      if (error instanceof Error && NOT_FOUND_CODES.has(error.name)) {
        throw new ValidationFailedError(`${describeTarget(target)} does not exist in this account/region`, { cause: error });
      }
      throw error;
    }
  }

  private async modify(target: TrafficTarget, actions: Action[]): Promise<void> {
    if (target.ruleArn) {
      await this.client.send(new ModifyRuleCommand({ RuleArn: target.ruleArn, Actions: actions }));
    } else {
      await this.client.send(new ModifyListenerCommand({ ListenerArn: target.listenerArn, DefaultActions: actions }));
    }
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
        const pauseMs = this.throttleBackoffMs * 2 ** (attempt - 1);
        logger.warn('ELBv2 throttled the call after the SDK retries; repeating the step', { attempt, pauseMs });
        await this.sleep(pauseMs);
      }
    }
  }
}

function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_CODES.has(error.name);
}

function describeTarget(target: TrafficTarget): string {
  return target.ruleArn ? `listener rule ${target.ruleArn}` : `the default action of listener ${target.listenerArn}`;
}

/**
 * Finds the single forward action and reads its weights as percentages.
 * @throws ValidationFailedError when the action cannot be steered between stable and canary.
 */
function inspect(target: TrafficTarget, actions: Action[]): ForwardView {
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
    return { actions, forwardIndex, weights: { stable: 100, canary: 0 }, canaryAttached: false };
  }
  return { actions, forwardIndex, weights: toPercent(stableTuple.weight, canaryTuple.weight, where), canaryAttached: true };
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

/** ELBv2 weights are relative (0–999 each); serinus reasons in percentages of the two. */
function toPercent(stableWeight: number, canaryWeight: number, where: string): Weights {
  const total = stableWeight + canaryWeight;
  if (total <= 0) {
    throw new ValidationFailedError(
      `the forward action of ${where} gives weight 0 to both the stable and the canary target group, ` +
        'so it routes no traffic; set the stable weight to 100 before starting a rollout',
    );
  }
  const canary = Math.round((canaryWeight * 100) / total);
  return { stable: 100 - canary, canary };
}

/**
 * The full action list for ModifyListener/ModifyRule, which replace every action: the others as
 * read, the forward action with only its target group weights changed.
 */
function withWeights(view: ForwardView, target: TrafficTarget, weights: Weights): Action[] {
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
