import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RuleNotFoundException,
  TargetGroupNotFoundException,
  type Action,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Interception } from '../../local/fakes/sdk-intercept';
import { FakeElbv2, type WeightsChange } from '../../local/fakes/elbv2';

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LISTENER = `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const RULE = `${PREFIX}:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const STABLE = `${PREFIX}:targetgroup/checkout/6d0ecf831eec9f09`;
const CANARY = `${PREFIX}:targetgroup/checkout-canary/2b4c1d9a7f3e6a10`;
const OTHER = `${PREFIX}:targetgroup/other/8e1f2a3b4c5d6e7f`;

const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });

const oidc: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example.com',
    AuthorizationEndpoint: 'https://idp.example.com/authorize',
    TokenEndpoint: 'https://idp.example.com/token',
    UserInfoEndpoint: 'https://idp.example.com/userinfo',
    ClientId: 'serinus',
  },
};

function weighted(stable: number, canary: number, order?: number): Action {
  return {
    Type: 'forward',
    ...(order !== undefined && { Order: order }),
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: STABLE, Weight: stable },
        { TargetGroupArn: CANARY, Weight: canary },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
    },
  };
}

async function defaultActions(): Promise<Action[] | undefined> {
  const { Listeners } = await client.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] }));
  return Listeners?.[0].DefaultActions;
}

describe('FakeElbv2', () => {
  let fake: FakeElbv2;
  let stub: Interception;

  beforeEach(() => {
    fake = new FakeElbv2();
    stub = fake.install();
    fake.addTargetGroup(OTHER);
  });

  afterEach(() => stub.restore());

  describe('ModifyListener', () => {
    it('replaces the whole action list', async () => {
      // Prepare
      fake.addListener(LISTENER, [oidc, weighted(100, 0, 2)]);

      // Act
      await client.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [weighted(90, 10)] }));

      // Assess: the authentication action is gone because the write left it out
      expect(await defaultActions()).toEqual([weighted(90, 10)]);
    });

    it('keeps every action the write names, in Order', async () => {
      // Prepare
      fake.addListener(LISTENER, [oidc, weighted(100, 0, 2)]);

      // Act
      await client.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [weighted(90, 10, 2), oidc] }));

      // Assess
      expect(await defaultActions()).toEqual([oidc, weighted(90, 10, 2)]);
      expect(fake.weights(LISTENER)).toEqual({ [STABLE]: 90, [CANARY]: 10 });
    });

    it('returns a single target group forward as TargetGroupArn plus a one-entry ForwardConfig', async () => {
      // Prepare
      fake.addListener(LISTENER, [weighted(100, 0)]);

      // Act
      const response = await client.send(
        new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [{ Type: 'forward', TargetGroupArn: STABLE }] }),
      );

      // Assess
      const normalised: Action = {
        Type: 'forward',
        TargetGroupArn: STABLE,
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
      };
      expect(response.Listeners?.[0].DefaultActions).toEqual([normalised]);
      expect(await defaultActions()).toEqual([normalised]);
    });

    // ELBv2 API reference, ModifyListener, Response Elements: "Listeners.member.N — Information about
    // the modified listener" (Array of Listener objects).
    it('answers with the modified listener: its ARN and the default actions as stored', async () => {
      // Prepare
      fake.addListener(LISTENER, [oidc, weighted(100, 0, 2)]);

      // Act
      const response = await client.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [weighted(90, 10, 2), oidc] }));

      // Assess
      expect(response.Listeners).toEqual([
        {
          ListenerArn: LISTENER,
          LoadBalancerArn: `${PREFIX}:loadbalancer/app/shop/50dc6c495c0c9188`,
          Port: 443,
          Protocol: 'HTTPS',
          DefaultActions: [oidc, weighted(90, 10, 2)],
        },
      ]);
    });

    it('rejects TargetGroupArn next to a multi-target-group ForwardConfig, as ELBv2 does', async () => {
      // Prepare
      fake.addListener(LISTENER, [weighted(100, 0)]);
      const invalid: Action = { ...weighted(90, 10), TargetGroupArn: STABLE };

      // Act
      const write = client.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [invalid] }));

      // Assess
      await expect(write).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/TargetGroupArn and ForwardConfig/) });
      expect(fake.weights(LISTENER)).toEqual({ [STABLE]: 100, [CANARY]: 0 });
    });

    it.each([
      ['a weight above 999', [{ TargetGroupArn: STABLE, Weight: 1000 }], /between 0 and 999/],
      ['a negative weight', [{ TargetGroupArn: STABLE, Weight: -1 }], /between 0 and 999/],
      ['a repeated target group', [{ TargetGroupArn: STABLE }, { TargetGroupArn: STABLE }], /more than once/],
      ['six target groups', Array.from({ length: 6 }, (_, i) => ({ TargetGroupArn: `${STABLE}-${i}` })), /at most 5 target groups/],
    ])('rejects %s with ValidationError', async (_case, targetGroups, message) => {
      // Prepare
      fake.addListener(LISTENER, [weighted(100, 0)]);

      // Act
      const write = client.send(
        new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: targetGroups } }] }),
      );

      // Assess
      await expect(write).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(message) });
    });

    it('rejects several actions without Order', async () => {
      // Prepare
      fake.addListener(LISTENER, [oidc, weighted(100, 0, 2)]);

      // Act
      const write = client.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [{ ...oidc, Order: undefined }, weighted(90, 10)] }));

      // Assess
      await expect(write).rejects.toMatchObject({ name: 'ValidationError' });
    });

    it('throws the not-found exceptions of the real API', async () => {
      // Prepare
      fake.addListener(LISTENER, [weighted(100, 0)]);
      const unknownGroup: Action = { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: `${PREFIX}:targetgroup/nope/1`, Weight: 1 }] } };

      // Act & Assess
      await expect(client.send(new ModifyListenerCommand({ ListenerArn: `${LISTENER}x`, DefaultActions: [weighted(1, 1)] }))).rejects.toBeInstanceOf(
        ListenerNotFoundException,
      );
      await expect(client.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [unknownGroup] }))).rejects.toBeInstanceOf(
        TargetGroupNotFoundException,
      );
      await expect(client.send(new ModifyRuleCommand({ RuleArn: RULE, Actions: [weighted(1, 1)] }))).rejects.toBeInstanceOf(RuleNotFoundException);
      await expect(client.send(new DescribeListenersCommand({ ListenerArns: [`${LISTENER}x`] }))).rejects.toMatchObject({
        name: 'ListenerNotFoundException',
        Message: 'One or more listeners not found',
      });
    });
  });

  describe('rules', () => {
    it('modifies a rule and lists it with the default rule', async () => {
      // Prepare
      fake.addListener(LISTENER, [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }]);
      fake.addRule(RULE, LISTENER, [weighted(100, 0)], { priority: 10 });

      // Act
      await client.send(new ModifyRuleCommand({ RuleArn: RULE, Actions: [weighted(80, 20)] }));
      const { Rules } = await client.send(new DescribeRulesCommand({ ListenerArn: LISTENER }));

      // Assess
      expect(Rules).toEqual([
        { RuleArn: RULE, Priority: '10', Conditions: [{ Field: 'path-pattern', Values: ['/*'] }], Actions: [weighted(80, 20)], IsDefault: false },
        {
          RuleArn: fake.defaultRuleArn(LISTENER),
          Priority: 'default',
          Conditions: [],
          Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
          IsDefault: true,
        },
      ]);
    });

    // ELBv2 API reference, ModifyRule, Response Elements: "Rules.member.N — Information about the
    // modified rule" (Array of Rule objects).
    it('answers ModifyRule with the modified rule: its ARN, priority, conditions and actions as stored', async () => {
      // Prepare
      fake.addListener(LISTENER, [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }]);
      fake.addRule(RULE, LISTENER, [weighted(100, 0)], { priority: 10 });

      // Act
      const response = await client.send(new ModifyRuleCommand({ RuleArn: RULE, Actions: [weighted(80, 20)] }));

      // Assess
      expect(response.Rules).toEqual([
        { RuleArn: RULE, Priority: '10', Conditions: [{ Field: 'path-pattern', Values: ['/*'] }], Actions: [weighted(80, 20)], IsDefault: false },
      ]);
    });
  });

  describe('eventual consistency', () => {
    it('shows a write to Describe only after propagationReads further reads; the Modify reply shows it at once', async () => {
      // Prepare
      fake = new FakeElbv2({ propagationReads: 2 });
      stub = fake.install();
      fake.addListener(LISTENER, [weighted(100, 0)]);

      // Act
      const response = await client.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [weighted(90, 10)] }));
      const reads = [await defaultActions(), await defaultActions(), await defaultActions()];

      // Assess: the reply is the write as ELBv2 accepted it; only the Describe reads lag.
      expect(response.Listeners?.[0].DefaultActions).toEqual([weighted(90, 10)]);
      expect(reads).toEqual([[weighted(100, 0)], [weighted(100, 0)], [weighted(90, 10)]]);
      expect(fake.weights(LISTENER)).toEqual({ [STABLE]: 90, [CANARY]: 10 });
    });
  });

  describe('throttling', () => {
    it('throttles every Nth call with ELBv2\'s Throttling error, which a client without retries sees', async () => {
      // Prepare
      fake = new FakeElbv2({ throttleEvery: 3 });
      stub = fake.install();
      fake.addListener(LISTENER, [weighted(100, 0)]);
      const once = new ElasticLoadBalancingV2Client({ region: 'eu-west-1', maxAttempts: 1 });

      // Act
      const outcomes = [];
      for (let i = 0; i < 4; i += 1) {
        outcomes.push(
          await once.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] })).then(
            () => 'ok',
            (error: { name: string; $metadata: { httpStatusCode?: number } }) => [error.name, error.$metadata.httpStatusCode],
          ),
        );
      }

      // Assess
      expect(outcomes).toEqual(['ok', 'ok', ['Throttling', 400], 'ok']);
    });

    it('the account token bucket: 40 tokens shared by every call, refilled 10 per second of its own clock', async () => {
      // Prepare
      let now = 0;
      fake = new FakeElbv2({ tokenBucket: { capacity: 40, refillPerSecond: 10, now: () => now } });
      stub = fake.install();
      fake.addListener(LISTENER, [weighted(100, 0)]);
      const once = new ElasticLoadBalancingV2Client({ region: 'eu-west-1', maxAttempts: 1 });
      const read = () => once.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] })).then(() => 'ok', (error: Error) => error.name);

      // Act
      const burst = await Promise.all(Array.from({ length: 41 }, read));
      now += 200;
      const afterTwoTokens = [await read(), await read(), await read()];

      // Assess
      expect(burst.filter((outcome) => outcome === 'ok')).toHaveLength(40);
      expect(burst.filter((outcome) => outcome === 'Throttling')).toHaveLength(1);
      expect(afterTwoTokens).toEqual(['ok', 'ok', 'Throttling']);
      expect(fake.throttled).toBe(2);
    });
  });

  describe('default rule', () => {
    it('is listed with IsDefault and a rule ARN of the real format', async () => {
      // Prepare
      fake.addListener(LISTENER, [weighted(100, 0)]);

      // Act
      const { Rules } = await client.send(new DescribeRulesCommand({ ListenerArn: LISTENER }));

      // Assess
      expect(Rules).toEqual([expect.objectContaining({ IsDefault: true, Priority: 'default' })]);
      expect(Rules?.[0].RuleArn).toMatch(/^arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule\/app\/shop\/50dc6c495c0c9188\/f2f7dc8efc522ab2\/[0-9a-f]{16}$/);
    });

    it('refuses ModifyRule on the default rule as the real API does (error code OperationNotPermitted; "To modify the actions for the default rule, use ModifyListener")', async () => {
      // Prepare: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyRule.html
      fake.addListener(LISTENER, [weighted(100, 0)]);

      // Act
      const refused = client.send(new ModifyRuleCommand({ RuleArn: fake.defaultRuleArn(LISTENER), Actions: [weighted(90, 10)] }));

      // Assess
      await expect(refused).rejects.toMatchObject({ name: 'OperationNotPermittedException', $metadata: { httpStatusCode: 400 } });
      expect(fake.weights(LISTENER)).toEqual({ [STABLE]: 100, [CANARY]: 0 });
    });
  });

  describe('out-of-band edits', () => {
    it('sets raw weights such as 999/1', () => {
      // Prepare
      fake.addListener(LISTENER, [weighted(100, 0)]);
      const changes: WeightsChange[] = [];
      fake.onWeightsChanged((change) => changes.push(change));

      // Act
      fake.setWeightsOutOfBand(LISTENER, { [STABLE]: 999, [CANARY]: 1 });

      // Assess
      expect(fake.weights(LISTENER)).toEqual({ [STABLE]: 999, [CANARY]: 1 });
      expect(changes).toEqual([{ arn: LISTENER, weights: { [STABLE]: 999, [CANARY]: 1 }, source: 'out-of-band' }]);
    });

    it('adds a third target group and removes the stable or the canary one', async () => {
      // Prepare
      fake.addListener(LISTENER, [weighted(90, 10)]);

      // Act
      fake.addTargetGroupOutOfBand(LISTENER, OTHER, 5);
      const withThird = fake.weights(LISTENER);
      fake.removeTargetGroupOutOfBand(LISTENER, STABLE);
      const withoutStable = fake.weights(LISTENER);
      fake.removeTargetGroupOutOfBand(LISTENER, OTHER);

      // Assess
      expect(withThird).toEqual({ [STABLE]: 90, [CANARY]: 10, [OTHER]: 5 });
      expect(withoutStable).toEqual({ [CANARY]: 10, [OTHER]: 5 });
      const actions = await defaultActions();
      expect(actions?.[0]).toMatchObject({ TargetGroupArn: CANARY, ForwardConfig: { TargetGroups: [{ TargetGroupArn: CANARY, Weight: 10 }] } });
    });

    it('deletes a rule: Describe and Modify then answer RuleNotFound', async () => {
      // Prepare
      fake.addListener(LISTENER, [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }]);
      fake.addRule(RULE, LISTENER, [weighted(90, 10)]);

      // Act
      fake.deleteRuleOutOfBand(RULE);

      // Assess
      await expect(client.send(new DescribeRulesCommand({ RuleArns: [RULE] }))).rejects.toBeInstanceOf(RuleNotFoundException);
      await expect(client.send(new ModifyRuleCommand({ RuleArn: RULE, Actions: [weighted(100, 0)] }))).rejects.toBeInstanceOf(RuleNotFoundException);
      const { Rules } = await client.send(new DescribeRulesCommand({ ListenerArn: LISTENER }));
      expect(Rules?.map((rule) => rule.IsDefault)).toEqual([true]);
    });
  });

  describe('target health', () => {
    it('reports the set health of a referenced target group, and unused for one no rule references', async () => {
      // Prepare
      fake.addListener(LISTENER, [weighted(100, 0)]);
      fake.setTargetHealth(CANARY, [
        { id: '10.0.1.5', port: 8080, state: 'healthy' },
        { id: '10.0.1.6', port: 8080, state: 'unhealthy' },
      ]);
      fake.setTargetHealth(OTHER, [{ id: '10.0.2.9', state: 'healthy' }]);

      // Act
      const canary = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: CANARY }));
      const other = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: OTHER }));

      // Assess
      expect(canary.TargetHealthDescriptions).toEqual([
        { Target: { Id: '10.0.1.5', Port: 8080 }, HealthCheckPort: '8080', TargetHealth: { State: 'healthy' } },
        {
          Target: { Id: '10.0.1.6', Port: 8080 },
          HealthCheckPort: '8080',
          TargetHealth: { State: 'unhealthy', Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' },
        },
      ]);
      expect(other.TargetHealthDescriptions).toEqual([
        {
          Target: { Id: '10.0.2.9', Port: 80 },
          HealthCheckPort: '80',
          TargetHealth: { State: 'unused', Reason: 'Target.NotInUse', Description: 'Target group is not configured to receive traffic from the load balancer' },
        },
      ]);
    });
  });

  describe('test hooks', () => {
    it('reports weight changes from the API and from out-of-band edits, keeping the other actions', async () => {
      // Prepare
      fake.addListener(LISTENER, [oidc, weighted(100, 0, 2)]);
      const changes: WeightsChange[] = [];
      fake.onWeightsChanged((change) => changes.push(change));

      // Act
      await client.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [oidc, weighted(90, 10, 2)] }));
      fake.setWeightsOutOfBand(LISTENER, { [STABLE]: 50, [CANARY]: 50 });

      // Assess
      expect(changes).toEqual([
        { arn: LISTENER, weights: { [STABLE]: 90, [CANARY]: 10 }, source: 'api' },
        { arn: LISTENER, weights: { [STABLE]: 50, [CANARY]: 50 }, source: 'out-of-band' },
      ]);
      expect(await defaultActions()).toEqual([oidc, weighted(50, 50, 2)]);
      expect(fake.log.map((entry) => entry.command)).toEqual(['ModifyListener', 'DescribeListeners']);
    });
  });
});
