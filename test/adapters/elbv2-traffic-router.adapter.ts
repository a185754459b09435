import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type TargetGroupStickinessConfig,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AdaptiveRetryStrategy } from '@smithy/util-retry';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Elbv2TrafficRouter } from '../../lambda/adapters/elbv2-traffic-router';
import type { TrafficTarget } from '../../lambda/domain/types';
import { DriftDetectedError, RecordMismatchError, ValidationFailedError, WeightNotAppliedError } from '../../lambda/errors';
import {
  CANARY_TARGET_GROUP_ARN as CANARY,
  LISTENER_ARN as LISTENER,
  RULE_ARN as RULE,
  STABLE_TARGET_GROUP_ARN as STABLE,
  albTraffic,
} from '../support/fixtures';

const OTHER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/legacy/09d2b1a1c9e8f6aa';

const listenerTarget: TrafficTarget = albTraffic();
const ruleTarget: TrafficTarget = albTraffic({ ruleArn: RULE });

const elb = mockClient(ElasticLoadBalancingV2Client);

/** The OIDC action as DescribeListeners returns it: no ClientSecret. */
const oidcAction: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example.com',
    AuthorizationEndpoint: 'https://idp.example.com/authorize',
    TokenEndpoint: 'https://idp.example.com/token',
    UserInfoEndpoint: 'https://idp.example.com/userinfo',
    ClientId: 'serinus-web',
    SessionCookieName: 'AWSELBAuthSessionCookie',
    Scope: 'openid',
    SessionTimeout: 604800,
    OnUnauthenticatedRequest: 'authenticate',
  },
};

function weighted(stable: number, canary: number, order = 1, stickiness: TargetGroupStickinessConfig = { Enabled: false }): Action {
  return {
    Type: 'forward',
    Order: order,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: STABLE, Weight: stable },
        { TargetGroupArn: CANARY, Weight: canary },
      ],
      TargetGroupStickinessConfig: stickiness,
    },
  };
}

function listenerWith(...actions: Action[]) {
  return { Listeners: [{ ListenerArn: LISTENER, DefaultActions: actions }] };
}

function ruleWith(...actions: Action[]) {
  return { Rules: [{ RuleArn: RULE, Priority: '10', IsDefault: false, Actions: actions }] };
}

function throttled(name = 'Throttling'): ElasticLoadBalancingV2ServiceException {
  return new ElasticLoadBalancingV2ServiceException({ name, $fault: 'client', $metadata: {}, message: 'Rate exceeded' });
}

function newRouter(options: { readBackAttempts?: number; throttleAttempts?: number; random?: () => number } = {}) {
  const sleep = jest.fn(async (_ms: number): Promise<void> => undefined);
  // Jitter at its top by default: the pauses are the ceilings, 2000 then 4000.
  const router = new Elbv2TrafficRouter(new ElasticLoadBalancingV2Client({}), {
    readBackDelayMs: 1000,
    throttleBackoffMs: 2000,
    sleep,
    random: () => 0.999_999,
    ...options,
  });
  return { router, sleep };
}

describe('Elbv2TrafficRouter', () => {
  beforeEach(() => {
    elb.reset();
  });

  describe('readWeights', () => {
    it('reads the weights of the listener default action', async () => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(weighted(90, 10)));
      const { router } = newRouter();

      // Act
      const weights = await router.readWeights(listenerTarget);

      // Assess
      expect(weights).toEqual({ stable: 90, canary: 10 });
      expect(elb.commandCalls(DescribeListenersCommand)[0]!.args[0].input).toEqual({ ListenerArns: [LISTENER] });
    });

    it('reads whether the canary is attached from the same read (readTraffic)', async () => {
      // Prepare
      const stableOnly: Action = { Type: 'forward', Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE, Weight: 1 }] } };
      elb.on(DescribeListenersCommand).resolvesOnce(listenerWith(stableOnly)).resolves(listenerWith(weighted(100, 0)));
      const { router } = newRouter();

      // Act
      const detached = await router.readTraffic(listenerTarget);
      const attached = await router.readTraffic(listenerTarget);

      // Assess
      expect(detached).toEqual({ weights: { stable: 1, canary: 0 }, canaryAttached: false });
      expect(attached).toEqual({ weights: { stable: 100, canary: 0 }, canaryAttached: true });
      expect(elb).toHaveReceivedCommandTimes(DescribeListenersCommand, 2);
      expect(elb.commandCalls(DescribeListenersCommand)[1]!.args[0].input).toEqual({ ListenerArns: [LISTENER] });
    });

    it('reads the weights of a rule', async () => {
      // Prepare
      elb.on(DescribeRulesCommand).resolves(ruleWith(weighted(75, 25)));
      const { router } = newRouter();

      // Act
      const weights = await router.readWeights(ruleTarget);

      // Assess
      expect(weights).toEqual({ stable: 75, canary: 25 });
      expect(elb.commandCalls(DescribeRulesCommand)[0]!.args[0].input).toEqual({ RuleArns: [RULE] });
      expect(elb).not.toHaveReceivedCommand(DescribeListenersCommand);
    });

    it.each([
      ['1/1', 1, 1, { stable: 1, canary: 1 }],
      ['999/1', 999, 1, { stable: 999, canary: 1 }],
      ['999/0', 999, 0, { stable: 999, canary: 0 }],
      ['0/0', 0, 0, { stable: 0, canary: 0 }],
    ])('reads relative weights %s raw, unrounded', async (_label, stable, canary, expected) => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(weighted(stable, canary)));
      const { router } = newRouter();

      // Act
      const weights = await router.readWeights(listenerTarget);

      // Assess
      expect(weights).toEqual(expected);
    });

    it.each([
      ['TargetGroupArn alone', { Type: 'forward', TargetGroupArn: STABLE } as Action],
      [
        'TargetGroupArn with a one-entry ForwardConfig',
        { Type: 'forward', TargetGroupArn: STABLE, ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE, Weight: 1 }] } } as Action,
      ],
    ])('reads a single-target-group forward to stable (%s) as all traffic on stable, raw weight 1', async (_label, action) => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(action));
      const { router } = newRouter();

      // Act
      const weights = await router.readWeights(listenerTarget);

      // Assess
      expect(weights).toEqual({ stable: 1, canary: 0 });
    });

    it.each([
      ['no forward action', [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }], /has 0 forward actions/],
      ['two forward actions', [weighted(90, 10, 1), weighted(90, 10, 2)], /has 2 forward actions/],
      ['a foreign target group', [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE, Weight: 90 }, { TargetGroupArn: OTHER, Weight: 10 }] } }], new RegExp(`forwards to ${OTHER}, which is neither`)],
      ['the stable target group missing', [{ Type: 'forward', TargetGroupArn: CANARY }], new RegExp(`does not include the stable target group ${STABLE}`)],
    ] as Array<[string, Action[], RegExp]>)('refuses an action with %s', async (_label, actions, message) => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(...actions));
      const { router } = newRouter();

      // Act
      const result = router.readWeights(listenerTarget);

      // Assess
      await expect(result).rejects.toThrow(ValidationFailedError);
      await expect(result).rejects.toThrow(message);
    });

    it('names the listener when it does not exist', async () => {
      // Prepare
      elb.on(DescribeListenersCommand).rejects(new ListenerNotFoundException({ $metadata: {}, message: 'One or more listeners not found' }));
      const { router } = newRouter();

      // Act
      const result = router.readWeights(listenerTarget);

      // Assess
      await expect(result).rejects.toThrow(ValidationFailedError);
      await expect(result).rejects.toThrow(`the default action of listener ${LISTENER} does not exist in this account/region`);
    });
  });

  describe('writeWeights', () => {
    it('keeps the OIDC action, the Order and the stickiness, and sends no top-level TargetGroupArn', async () => {
      // Prepare
      const sticky = { Enabled: true, DurationSeconds: 300 };
      elb
        .on(DescribeListenersCommand)
        .resolvesOnce(listenerWith(oidcAction, weighted(100, 0, 2, sticky)))
        .resolves(listenerWith(oidcAction, weighted(90, 10, 2, sticky)));
      elb.on(ModifyListenerCommand).resolves({});
      const { router } = newRouter();

      // Act
      const result = await router.writeWeights(listenerTarget, { stable: 90, canary: 10 });

      // Assess
      expect(result).toEqual({ previous: { stable: 100, canary: 0 }, applied: { stable: 90, canary: 10 }, wrote: true });
      expect(elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 1);
      expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual({
        ListenerArn: LISTENER,
        DefaultActions: [
          {
            Type: 'authenticate-oidc',
            Order: 1,
            AuthenticateOidcConfig: { ...oidcAction.AuthenticateOidcConfig, UseExistingClientSecret: true },
          },
          {
            Type: 'forward',
            Order: 2,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: STABLE, Weight: 90 },
                { TargetGroupArn: CANARY, Weight: 10 },
              ],
              TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
            },
          },
        ],
      });
      expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input.DefaultActions![1]).not.toHaveProperty('TargetGroupArn');
      expect(elb).toHaveReceivedCommandTimes(DescribeListenersCommand, 2);
    });

    it('turns the single-TargetGroupArn form into a two-target-group ForwardConfig', async () => {
      // Prepare
      const single: Action = {
        Type: 'forward',
        Order: 1,
        TargetGroupArn: STABLE,
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
      };
      elb.on(DescribeListenersCommand).resolvesOnce(listenerWith(single)).resolves(listenerWith(weighted(100, 0)));
      elb.on(ModifyListenerCommand).resolves({});
      const { router } = newRouter();

      // Act
      const result = await router.writeWeights(listenerTarget, { stable: 100, canary: 0 });

      // Assess
      expect(result).toEqual({ previous: { stable: 1, canary: 0 }, applied: { stable: 100, canary: 0 }, wrote: true });
      expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual({
        ListenerArn: LISTENER,
        DefaultActions: [
          {
            Type: 'forward',
            Order: 1,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: STABLE, Weight: 100 },
                { TargetGroupArn: CANARY, Weight: 0 },
              ],
              TargetGroupStickinessConfig: { Enabled: false },
            },
          },
        ],
      });
      expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input.DefaultActions![0]).not.toHaveProperty('TargetGroupArn');
    });

    it('writes a rule with ModifyRule and leaves the listener alone', async () => {
      // Prepare
      elb.on(DescribeRulesCommand).resolvesOnce(ruleWith(weighted(90, 10))).resolves(ruleWith(weighted(80, 20)));
      elb.on(ModifyRuleCommand).resolves({});
      const { router } = newRouter();

      // Act
      const result = await router.writeWeights(ruleTarget, { stable: 80, canary: 20 }, { expected: { stable: 90, canary: 10 } });

      // Assess
      expect(result).toEqual({ previous: { stable: 90, canary: 10 }, applied: { stable: 80, canary: 20 }, wrote: true });
      expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input).toEqual({ RuleArn: RULE, Actions: [weighted(80, 20)] });
      expect(elb).not.toHaveReceivedCommand(ModifyListenerCommand);
      expect(elb).not.toHaveReceivedCommand(DescribeListenersCommand);
    });

    it('refuses to write when the live weights differ from the guard', async () => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(weighted(50, 50)));
      const { router } = newRouter();

      // Act
      const result = router.writeWeights(listenerTarget, { stable: 80, canary: 20 }, { expected: { stable: 90, canary: 10 } });

      // Assess
      await expect(result).rejects.toThrow(DriftDetectedError);
      await expect(result).rejects.toThrow(/carries stable 50 \/ canary 50, but serinus last wrote stable 90 \/ canary 10/);
      expect(elb).not.toHaveReceivedCommand(ModifyListenerCommand);
    });

    it('treats live weights equal to the written ones as a retried write, not drift', async () => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(weighted(80, 20)));
      elb.on(ModifyListenerCommand).resolves({});
      const { router } = newRouter();

      // Act
      const result = await router.writeWeights(listenerTarget, { stable: 80, canary: 20 }, { expected: { stable: 90, canary: 10 } });

      // Assess
      expect(result).toEqual({ previous: { stable: 80, canary: 20 }, applied: { stable: 80, canary: 20 }, wrote: true });
      expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual({ ListenerArn: LISTENER, DefaultActions: [weighted(80, 20)] });
    });

    it('decides from the one read the write is built on: one Describe before the Modify, one read-back', async () => {
      // Prepare
      const order: string[] = [];
      elb
        .on(DescribeListenersCommand)
        .callsFakeOnce(() => (order.push('describe'), listenerWith(weighted(90, 10))))
        .callsFake(() => (order.push('describe'), listenerWith(weighted(75, 25))));
      elb.on(ModifyListenerCommand).callsFake(() => (order.push('modify'), {}));
      const decide = jest.fn(async (live: { stable: number; canary: number }) => {
        order.push(`decide:${live.stable}/${live.canary}`);
        return { stable: 75, canary: 25 };
      });
      const fence = jest.fn(async () => {
        order.push('fence');
      });
      const { router } = newRouter();

      // Act
      const result = await router.writeWeights(listenerTarget, { stable: 50, canary: 50 }, { expected: { stable: 90, canary: 10 }, fence, decide });

      // Assess
      expect(result).toEqual({ previous: { stable: 90, canary: 10 }, applied: { stable: 75, canary: 25 }, wrote: true });
      expect(order).toEqual(['describe', 'decide:90/10', 'fence', 'modify', 'describe']);
      expect(elb.commandCalls(DescribeListenersCommand)[0]!.args[0].input).toEqual({ ListenerArns: [LISTENER] });
      expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual({ ListenerArn: LISTENER, DefaultActions: [weighted(75, 25)] });
    });

    it('writes nothing and reads nothing more when decide finds the weights already live', async () => {
      // Prepare
      elb.on(DescribeRulesCommand).resolves(ruleWith(weighted(100, 0)));
      const fence = jest.fn(async () => undefined);
      const { router } = newRouter();

      // Act
      const result = await router.writeWeights(ruleTarget, { stable: 100, canary: 0 }, { fence, decide: async () => undefined });

      // Assess
      expect(result).toEqual({ previous: { stable: 100, canary: 0 }, applied: { stable: 100, canary: 0 }, wrote: false });
      expect(elb).toHaveReceivedCommandTimes(DescribeRulesCommand, 1);
      expect(elb.commandCalls(DescribeRulesCommand)[0]!.args[0].input).toEqual({ RuleArns: [RULE] });
      expect(elb).not.toHaveReceivedCommand(ModifyRuleCommand);
      expect(fence).not.toHaveBeenCalled();
    });

    it('checks drift against what decide chose and writes nothing on drift or when decide throws', async () => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(weighted(50, 50)));
      const { router } = newRouter();

      // Act
      const drift = router.writeWeights(listenerTarget, { stable: 80, canary: 20 }, {
        expected: { stable: 90, canary: 10 },
        decide: async () => ({ stable: 80, canary: 20 }),
      });
      const refused = router.writeWeights(listenerTarget, { stable: 80, canary: 20 }, {
        decide: async () => {
          throw new Error('alarm gate');
        },
      });

      // Assess
      await expect(drift).rejects.toThrow(DriftDetectedError);
      await expect(refused).rejects.toThrow('alarm gate');
      expect(elb).not.toHaveReceivedCommand(ModifyListenerCommand);
    });

    it('refuses a forward to a foreign target group and writes nothing', async () => {
      // Prepare
      const foreign: Action = {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: STABLE, Weight: 80 },
            { TargetGroupArn: CANARY, Weight: 10 },
            { TargetGroupArn: OTHER, Weight: 10 },
          ],
        },
      };
      elb.on(DescribeListenersCommand).resolves(listenerWith(foreign));
      const { router } = newRouter();

      // Act
      const result = router.writeWeights(listenerTarget, { stable: 100, canary: 0 });

      // Assess
      await expect(result).rejects.toThrow(ValidationFailedError);
      await expect(result).rejects.toThrow(OTHER);
      expect(elb).not.toHaveReceivedCommand(ModifyListenerCommand);
    });

    it.each([
      ['not adding up to 100', { stable: 60, canary: 50 }],
      ['both zero', { stable: 0, canary: 0 }],
      ['fractional', { stable: 89.5, canary: 10.5 }],
      ['negative', { stable: 110, canary: -10 }],
    ])('refuses weights %s before any call', async (_label, weights) => {
      // Prepare
      const { router } = newRouter();

      // Act
      const result = router.writeWeights(listenerTarget, weights);

      // Assess
      await expect(result).rejects.toThrow(ValidationFailedError);
      expect(elb.calls()).toHaveLength(0);
    });

    it('reads back until the written weights show', async () => {
      // Prepare
      elb
        .on(DescribeListenersCommand)
        .resolvesOnce(listenerWith(weighted(90, 10)))
        .resolvesOnce(listenerWith(weighted(90, 10)))
        .resolvesOnce(listenerWith(weighted(90, 10)))
        .resolves(listenerWith(weighted(70, 30)));
      elb.on(ModifyListenerCommand).resolves({});
      const { router, sleep } = newRouter();

      // Act
      const result = await router.writeWeights(listenerTarget, { stable: 70, canary: 30 });

      // Assess
      expect(result.applied).toEqual({ stable: 70, canary: 30 });
      expect(elb).toHaveReceivedCommandTimes(DescribeListenersCommand, 4);
      expect(elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 1);
      expect(sleep.mock.calls).toEqual([[1000], [1000]]);
    });

    it('throws WeightNotApplied when the read-back never shows the written weights', async () => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(weighted(90, 10)));
      elb.on(ModifyListenerCommand).resolves({});
      const { router, sleep } = newRouter({ readBackAttempts: 3 });

      // Act
      const result = router.writeWeights(listenerTarget, { stable: 70, canary: 30 });

      // Assess
      await expect(result).rejects.toThrow(WeightNotAppliedError);
      await expect(result).rejects.toThrow(/wrote stable 70 \/ canary 30 .* after 3 reads it still shows stable 90 \/ canary 10/);
      // One read before the write, then three read-backs.
      expect(elb).toHaveReceivedCommandTimes(DescribeListenersCommand, 4);
      expect(sleep).toHaveBeenCalledTimes(2);
    });

    // ELBv2 API reference, Response Elements: ModifyListener answers "Listeners.member.N — Information
    // about the modified listener", ModifyRule "Rules.member.N — Information about the modified rule".
    it('takes the read-back from the reply of ModifyListener: one Describe, one Modify, nothing read after the write', async () => {
      // Prepare: a Describe after the write would still show the old weights.
      const sticky = { Enabled: true, DurationSeconds: 300 };
      elb.on(DescribeListenersCommand).resolves(listenerWith(oidcAction, weighted(90, 10, 2, sticky)));
      elb.on(ModifyListenerCommand).resolves({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [oidcAction, weighted(75, 25, 2, sticky)] }] });
      const { router, sleep } = newRouter();

      // Act
      const result = await router.writeWeights(listenerTarget, { stable: 75, canary: 25 }, { expected: { stable: 90, canary: 10 } });

      // Assess
      expect(result).toEqual({ previous: { stable: 90, canary: 10 }, applied: { stable: 75, canary: 25 }, wrote: true });
      expect(elb.calls().map((call) => call.args[0].constructor.name)).toEqual(['DescribeListenersCommand', 'ModifyListenerCommand']);
      expect(elb.commandCalls(DescribeListenersCommand)[0]!.args[0].input).toEqual({ ListenerArns: [LISTENER] });
      expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual({
        ListenerArn: LISTENER,
        DefaultActions: [
          { ...oidcAction, AuthenticateOidcConfig: { ...oidcAction.AuthenticateOidcConfig, UseExistingClientSecret: true } },
          weighted(75, 25, 2, sticky),
        ],
      });
      expect(sleep).not.toHaveBeenCalled();
    });

    it('takes the read-back from the reply of ModifyRule (Rules[].Actions)', async () => {
      // Prepare
      elb.on(DescribeRulesCommand).resolves(ruleWith(weighted(90, 10)));
      elb.on(ModifyRuleCommand).resolves(ruleWith(weighted(50, 50)));
      const { router } = newRouter();

      // Act
      const result = await router.writeWeights(ruleTarget, { stable: 50, canary: 50 }, { expected: { stable: 90, canary: 10 } });

      // Assess
      expect(result).toEqual({ previous: { stable: 90, canary: 10 }, applied: { stable: 50, canary: 50 }, wrote: true });
      expect(elb.calls().map((call) => call.args[0].constructor.name)).toEqual(['DescribeRulesCommand', 'ModifyRuleCommand']);
      expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input).toEqual({ RuleArn: RULE, Actions: [weighted(50, 50)] });
    });

    it.each<[string, object]>([
      ['no reply', {}],
      ['a reply naming another listener', { Listeners: [{ ListenerArn: `${LISTENER}0`, DefaultActions: [weighted(70, 30)] }] }],
      ['a reply showing other weights', listenerWith(weighted(90, 10))],
      ['a reply with a forward serinus cannot read', listenerWith({ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: OTHER, Weight: 1 }] } })],
    ])('falls back to Describe read-backs after %s', async (_label, reply) => {
      // Prepare
      elb
        .on(DescribeListenersCommand)
        .resolvesOnce(listenerWith(weighted(90, 10)))
        .resolvesOnce(listenerWith(weighted(90, 10)))
        .resolves(listenerWith(weighted(70, 30)));
      elb.on(ModifyListenerCommand).resolves(reply);
      const { router, sleep } = newRouter();

      // Act
      const result = await router.writeWeights(listenerTarget, { stable: 70, canary: 30 });

      // Assess: one read before the write, two after it.
      expect(result.applied).toEqual({ stable: 70, canary: 30 });
      expect(elb).toHaveReceivedCommandTimes(DescribeListenersCommand, 3);
      expect(elb.commandCalls(DescribeListenersCommand)[2]!.args[0].input).toEqual({ ListenerArns: [LISTENER] });
      expect(sleep.mock.calls).toEqual([[1000]]);
    });

    it.each(['Throttling', 'ThrottlingException'])(
      'repeats the read and write when %s escapes the SDK retries',
      async (code) => {
        // Prepare
        elb.on(DescribeListenersCommand).resolvesOnce(listenerWith(weighted(90, 10))).resolvesOnce(listenerWith(weighted(90, 10))).resolves(listenerWith(weighted(80, 20)));
        elb.on(ModifyListenerCommand).rejectsOnce(throttled(code)).resolves({});
        const { router, sleep } = newRouter();

        // Act
        const result = await router.writeWeights(listenerTarget, { stable: 80, canary: 20 }, { expected: { stable: 90, canary: 10 } });

        // Assess
        expect(result).toEqual({ previous: { stable: 90, canary: 10 }, applied: { stable: 80, canary: 20 }, wrote: true });
        expect(elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 2);
        const expectedInput = { ListenerArn: LISTENER, DefaultActions: [weighted(80, 20)] };
        expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual(expectedInput);
        expect(elb.commandCalls(ModifyListenerCommand)[1]!.args[0].input).toEqual(expectedInput);
        // Read, (throttled write), read again, write, read back.
        expect(elb).toHaveReceivedCommandTimes(DescribeListenersCommand, 3);
        expect(sleep.mock.calls).toEqual([[2000]]);
      },
    );

    it('gives up when throttling outlasts every attempt', async () => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(weighted(90, 10)));
      elb.on(ModifyListenerCommand).rejects(throttled());
      const { router, sleep } = newRouter({ throttleAttempts: 3 });

      // Act
      const result = router.writeWeights(listenerTarget, { stable: 80, canary: 20 });

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'Throttling' });
      expect(elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 3);
      expect(sleep.mock.calls).toEqual([[2000], [4000]]);
    });

    it('jitters each pause between half and all of its ceiling, so concurrent rollouts do not retry in step', async () => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(weighted(90, 10)));
      elb.on(ModifyListenerCommand).rejects(throttled());
      const { router, sleep } = newRouter({ throttleAttempts: 3, random: () => 0 });

      // Act
      const result = router.writeWeights(listenerTarget, { stable: 80, canary: 20 });

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'Throttling' });
      expect(sleep.mock.calls).toEqual([[1000], [2000]]);
      expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual({ ListenerArn: LISTENER, DefaultActions: [weighted(80, 20)] });
    });

    it('does not repeat a write that failed for another reason', async () => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(weighted(90, 10)));
      elb.on(ModifyListenerCommand).rejects(new ElasticLoadBalancingV2ServiceException({ name: 'InvalidConfigurationRequest', $fault: 'client', $metadata: {} }));
      const { router } = newRouter();

      // Act
      const result = router.writeWeights(listenerTarget, { stable: 80, canary: 20 });

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'InvalidConfigurationRequest' });
      expect(elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 1);
    });
  });

  describe('attachCanary', () => {
    it('adds the canary at weight 0 to a forward that names only the stable target group, keeping its raw weight', async () => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerWith(oidcAction, { Type: 'forward', Order: 2, TargetGroupArn: STABLE }));
      const { router } = newRouter();

      // Act
      const wrote = await router.attachCanary(listenerTarget);

      // Assess
      expect(wrote).toBe(true);
      expect(elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 1);
      expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual({
        ListenerArn: LISTENER,
        DefaultActions: [
          { ...oidcAction, AuthenticateOidcConfig: { ...oidcAction.AuthenticateOidcConfig, UseExistingClientSecret: true } },
          {
            Type: 'forward',
            Order: 2,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: STABLE, Weight: 1 },
                { TargetGroupArn: CANARY, Weight: 0 },
              ],
            },
          },
        ],
      });
    });

    it('writes nothing when the canary is already in the action', async () => {
      // Prepare
      elb.on(DescribeRulesCommand).resolves(ruleWith(weighted(100, 0)));
      const { router } = newRouter();

      // Act
      const wrote = await router.attachCanary(ruleTarget);

      // Assess
      expect(wrote).toBe(false);
      expect(elb).toHaveReceivedCommandTimes(ModifyRuleCommand, 0);
    });
  });

  describe('healthyTargets', () => {
    it('counts the healthy targets of the target group', async () => {
      // Prepare
      elb.on(DescribeTargetHealthCommand).resolves({
        TargetHealthDescriptions: [
          { Target: { Id: '10.0.1.10', Port: 8080 }, TargetHealth: { State: 'healthy' } },
          { Target: { Id: '10.0.1.11', Port: 8080 }, TargetHealth: { State: 'initial', Reason: 'Elb.InitialHealthChecking' } },
          { Target: { Id: '10.0.1.12', Port: 8080 }, TargetHealth: { State: 'healthy' } },
          { Target: { Id: '10.0.1.13', Port: 8080 }, TargetHealth: { State: 'unused', Reason: 'Target.NotInUse' } },
        ],
      });
      const { router } = newRouter();

      // Act
      const healthy = await router.healthyTargets(listenerTarget, 'canary');

      // Assess
      expect(healthy).toBe(2);
      expect(elb.commandCalls(DescribeTargetHealthCommand)[0]!.args[0].input).toEqual({ TargetGroupArn: CANARY });
    });

    it('counts zero when the target group has no targets', async () => {
      // Prepare
      elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
      const { router } = newRouter();

      // Act
      const healthy = await router.healthyTargets(listenerTarget, 'canary');

      // Assess
      expect(healthy).toBe(0);
    });
  });

  describe('a default rule', () => {
    it('is refused with ValidationFailed naming ModifyListener, and nothing is written', async () => {
      // Prepare
      elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: RULE, Priority: 'default', IsDefault: true, Actions: [weighted(100, 0)] }] });
      const { router } = newRouter();

      // Act
      const read = await router.readWeights(ruleTarget).catch((error: unknown) => error);
      const write = await router.writeWeights(ruleTarget, { stable: 90, canary: 10 }).catch((error: unknown) => error);

      // Assess
      expect(read).toBeInstanceOf(ValidationFailedError);
      expect((read as Error).message).toMatch(/is the default rule of listener .* only through ModifyListener .*configure the listener itself/);
      expect(write).toBeInstanceOf(ValidationFailedError);
      expect(elb).not.toHaveReceivedCommand(ModifyRuleCommand);
    });
  });

  describe('the fence', () => {
    it('runs right before the Modify call, after the read, and again before a throttled write is repeated', async () => {
      // Prepare
      const order: string[] = [];
      elb.on(DescribeListenersCommand).callsFake(() => {
        order.push('describe');
        return order.filter((o) => o === 'modify').length > 1 ? listenerWith(weighted(90, 10)) : listenerWith(weighted(100, 0));
      });
      elb
        .on(ModifyListenerCommand)
        .callsFakeOnce(() => {
          order.push('modify');
          throw throttled();
        })
        .callsFake(() => {
          order.push('modify');
          return {};
        });
      const fence = jest.fn(async () => {
        order.push('fence');
      });
      const { router } = newRouter();

      // Act
      await router.writeWeights(listenerTarget, { stable: 90, canary: 10 }, { expected: { stable: 100, canary: 0 }, fence });

      // Assess
      expect(order).toEqual(['describe', 'fence', 'modify', 'describe', 'fence', 'modify', 'describe']);
    });

    it('writes nothing when the fence says the execution no longer owns the record', async () => {
      // Prepare
      elb.on(DescribeRulesCommand).resolves(ruleWith(weighted(90, 10)));
      const fence = jest.fn(async () => {
        throw new RecordMismatchError('ended');
      });
      const { router } = newRouter();

      // Act
      const write = await router.writeWeights(ruleTarget, { stable: 80, canary: 20 }, { fence }).catch((error: unknown) => error);
      const restore = await router.restoreStable(ruleTarget, fence).catch((error: unknown) => error);

      // Assess
      expect(write).toBeInstanceOf(RecordMismatchError);
      expect(restore).toBeInstanceOf(RecordMismatchError);
      expect(elb).not.toHaveReceivedCommand(ModifyRuleCommand);
    });
  });

  describe('restoreStable', () => {
    const sticky = { Enabled: true, DurationSeconds: 60 };
    const forward = (...groups: Array<[string, number]>): Action => ({
      Type: 'forward',
      Order: 2,
      ForwardConfig: { TargetGroups: groups.map(([arn, weight]) => ({ TargetGroupArn: arn, Weight: weight })), TargetGroupStickinessConfig: sticky },
    });
    const written = (...groups: Array<[string, number]>): Action => forward(...groups);
    const keptOidc = { ...oidcAction, AuthenticateOidcConfig: { ...oidcAction.AuthenticateOidcConfig, UseExistingClientSecret: true } };

    it.each<[string, Action, Action, RegExp[]]>([
      ['the canary carrying traffic', forward([STABLE, 90], [CANARY, 10]), written([STABLE, 100], [CANARY, 0]), []],
      ['an operator 999/1', forward([STABLE, 999], [CANARY, 1]), written([STABLE, 100], [CANARY, 0]), []],
      ['both weights 0', forward([STABLE, 0], [CANARY, 0]), written([STABLE, 100], [CANARY, 0]), [/gave the stable target group weight 0/]],
      [
        'a third target group added',
        forward([STABLE, 80], [CANARY, 10], [OTHER, 10]),
        written([STABLE, 100], [CANARY, 0], [OTHER, 0]),
        [new RegExp(`forwarded to ${OTHER} \\(weight 10\\).*set to 0`)],
      ],
      ['the stable target group removed', forward([CANARY, 100]), written([STABLE, 100], [CANARY, 0]), [/no longer forwarded to the stable target group/]],
      [
        'the stable target group replaced',
        forward([OTHER, 90], [CANARY, 10]),
        written([STABLE, 100], [CANARY, 0], [OTHER, 0]),
        [new RegExp(`forwarded to ${OTHER}`), /no longer forwarded to the stable target group/],
      ],
      [
        'a single canary target group',
        { Type: 'forward', Order: 2, TargetGroupArn: CANARY },
        { Type: 'forward', Order: 2, ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE, Weight: 100 }, { TargetGroupArn: CANARY, Weight: 0 }] } },
        [/no longer forwarded to the stable target group/],
      ],
    ])('puts the traffic back on stable from %s, keeping the other actions and the stickiness', async (_label, found, expected, findings) => {
      // Prepare
      elb.on(DescribeListenersCommand).resolvesOnce(listenerWith(oidcAction, found)).resolves(listenerWith(oidcAction, expected));
      elb.on(ModifyListenerCommand).resolves({});
      const fence = jest.fn(async () => undefined);
      const { router } = newRouter();

      // Act
      const result = await router.restoreStable(listenerTarget, fence);

      // Assess
      expect(elb.commandCalls(ModifyListenerCommand).map((c) => c.args[0].input)).toEqual([
        { ListenerArn: LISTENER, DefaultActions: [keptOidc, expected] },
      ]);
      expect(result.wrote).toBe(true);
      expect(result.nothingToSteer).toBe(false);
      expect(result.findings).toHaveLength(findings.length);
      findings.forEach((pattern, index) => expect(result.findings[index]).toMatch(pattern));
      expect(fence).toHaveBeenCalledTimes(1);
    });

    it.each<[string, Action, RegExp]>([
      ['stable alone', { Type: 'forward', Order: 2, TargetGroupArn: STABLE }, /no longer listed the canary target group/],
      ['stable alone at a raw 90', { Type: 'forward', Order: 2, ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE, Weight: 90 }] } }, /no longer listed the canary target group/],
    ])('writes stable 100 with the canary attached at 0 from %s, so the canary stays health-checked', async (_label, found, finding) => {
      // Prepare
      const expected: Action = { Type: 'forward', Order: 2, ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE, Weight: 100 }, { TargetGroupArn: CANARY, Weight: 0 }] } };
      elb.on(DescribeRulesCommand).resolvesOnce(ruleWith(found)).resolves(ruleWith(expected));
      elb.on(ModifyRuleCommand).resolves({});
      const { router } = newRouter();

      // Act
      const result = await router.restoreStable(ruleTarget);

      // Assess
      expect(elb.commandCalls(ModifyRuleCommand).map((c) => c.args[0].input)).toEqual([{ RuleArn: RULE, Actions: [expected] }]);
      expect(result.wrote).toBe(true);
      expect(result.findings).toEqual([expect.stringMatching(finding)]);
    });

    it.each<[string, Action]>([
      ['stable 100, canary at 0', forward([STABLE, 100], [CANARY, 0])],
    ])('writes nothing when traffic is already on stable (%s)', async (_label, found) => {
      // Prepare
      elb.on(DescribeRulesCommand).resolves(ruleWith(found));
      const { router } = newRouter();

      // Act
      const result = await router.restoreStable(ruleTarget);

      // Assess
      expect(result).toEqual({ wrote: false, nothingToSteer: false, findings: [] });
      expect(elb).not.toHaveReceivedCommand(ModifyRuleCommand);
    });

    it.each<[string, () => void]>([
      ['the rule deleted', () => elb.on(DescribeRulesCommand).rejects(Object.assign(new Error('One or more rules not found'), { name: 'RuleNotFoundException' }))],
      ['the rule missing from the answer', () => elb.on(DescribeRulesCommand).resolves({ Rules: [] })],
      ['no forward action', () => elb.on(DescribeRulesCommand).resolves(ruleWith({ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }))],
    ])('reports nothing to steer, without writing, for %s', async (_label, prepare) => {
      // Prepare
      prepare();
      const { router } = newRouter();

      // Act
      const result = await router.restoreStable(ruleTarget);

      // Assess
      expect(result.nothingToSteer).toBe(true);
      expect(result.wrote).toBe(false);
      expect(result.findings).toHaveLength(1);
      expect(elb).not.toHaveReceivedCommand(ModifyRuleCommand);
    });

    it('keeps five target groups at most: the canary is left out when four others fill the action', async () => {
      // Prepare
      const others = [1, 2, 3, 4].map((n) => `${OTHER}${n}`);
      elb.on(DescribeRulesCommand).resolvesOnce(ruleWith(forward(...others.map((arn): [string, number] => [arn, 25]), [CANARY, 0]))).resolves(ruleWith(written([STABLE, 100], ...others.map((arn): [string, number] => [arn, 0]))));
      elb.on(ModifyRuleCommand).resolves({});
      const { router } = newRouter();

      // Act
      await router.restoreStable(ruleTarget);

      // Assess
      expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input).toEqual({
        RuleArn: RULE,
        Actions: [written([STABLE, 100], ...others.map((arn): [string, number] => [arn, 0]))],
      });
    });

    it('takes the read-back from the reply of ModifyRule when it shows the traffic back on stable', async () => {
      // Prepare: a Describe after the write would still show the canary with traffic.
      elb.on(DescribeRulesCommand).resolves(ruleWith(forward([STABLE, 90], [CANARY, 10])));
      elb.on(ModifyRuleCommand).resolves(ruleWith(written([STABLE, 100], [CANARY, 0])));
      const { router, sleep } = newRouter();

      // Act
      const result = await router.restoreStable(ruleTarget);

      // Assess
      expect(result).toEqual({ wrote: true, nothingToSteer: false, findings: [] });
      expect(elb.calls().map((call) => call.args[0].constructor.name)).toEqual(['DescribeRulesCommand', 'ModifyRuleCommand']);
      expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input).toEqual({ RuleArn: RULE, Actions: [written([STABLE, 100], [CANARY, 0])] });
      expect(sleep).not.toHaveBeenCalled();
    });

    it.each<[string, object]>([
      ['no reply', {}],
      ['a reply that still shows the canary with traffic', listenerWith(oidcAction, forward([STABLE, 90], [CANARY, 10]))],
      ['a reply naming another listener', { Listeners: [{ ListenerArn: `${LISTENER}0`, DefaultActions: [oidcAction, written([STABLE, 100], [CANARY, 0])] }] }],
    ])('falls back to Describe read-backs of the restore after %s', async (_label, reply) => {
      // Prepare
      elb
        .on(DescribeListenersCommand)
        .resolvesOnce(listenerWith(oidcAction, forward([STABLE, 90], [CANARY, 10])))
        .resolvesOnce(listenerWith(oidcAction, forward([STABLE, 90], [CANARY, 10])))
        .resolves(listenerWith(oidcAction, written([STABLE, 100], [CANARY, 0])));
      elb.on(ModifyListenerCommand).resolves(reply);
      const { router, sleep } = newRouter();

      // Act
      const result = await router.restoreStable(listenerTarget);

      // Assess: one read before the write, two after it.
      expect(result.wrote).toBe(true);
      expect(elb).toHaveReceivedCommandTimes(DescribeListenersCommand, 3);
      expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual({ ListenerArn: LISTENER, DefaultActions: [keptOidc, written([STABLE, 100], [CANARY, 0])] });
      expect(sleep.mock.calls).toEqual([[1000]]);
    });

    it('throws WeightNotApplied when the read-back still shows the canary with traffic', async () => {
      // Prepare
      elb.on(DescribeRulesCommand).resolves(ruleWith(weighted(90, 10)));
      elb.on(ModifyRuleCommand).resolves({});
      const { router } = newRouter({ readBackAttempts: 2 });

      // Act
      const result = router.restoreStable(ruleTarget);

      // Assess
      await expect(result).rejects.toThrow(WeightNotAppliedError);
    });
  });

  describe('the default client', () => {
    it('uses adaptive retry with 8 attempts', async () => {
      // Prepare
      const router = new Elbv2TrafficRouter();

      // Act
      const { config } = router['client'];
      const strategy = await config.retryStrategy();

      // Assess
      expect(strategy).toBeInstanceOf(AdaptiveRetryStrategy);
      expect(config.retryMode).toBe('adaptive');
      expect(await config.maxAttempts()).toBe(8);
    });
  });
});
