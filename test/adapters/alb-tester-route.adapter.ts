import {
  type Action,
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  PriorityInUseException,
  RuleNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { AlbTesterRoute, TESTER_ROUTE_TAG } from '../../lambda/adapters/alb-tester-route';
import { Elbv2TrafficRouter } from '../../lambda/adapters/elbv2-traffic-router';
import { RecordMismatchError, ValidationFailedError } from '../../lambda/errors';
import { FakeElbv2 } from '../../local/fakes/elbv2';
import type { Interception } from '../../local/fakes/sdk-intercept';
import {
  CANARY_TARGET_GROUP_ARN as CANARY,
  LISTENER_ARN as LISTENER,
  RULE_ARN as RULE,
  STABLE_TARGET_GROUP_ARN as STABLE,
  albTraffic,
} from '../support/fixtures';

const HEADER = { name: 'x-canary', value: 'always' };
const listenerTarget = albTraffic({ testerHeader: HEADER });
const ruleTarget = albTraffic({ ruleArn: RULE, testerHeader: HEADER });
const OTHER_RULE = `${RULE.slice(0, RULE.lastIndexOf('/'))}/0000000000000001`;
const HEADER_CONDITION = { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-canary', Values: ['always'] } };
const TO_CANARY: Action = { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: CANARY, Weight: 1 }] } };

function weighted(stable: number, canary: number): Action {
  return {
    Type: 'forward',
    Order: 1,
    ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE, Weight: stable }, { TargetGroupArn: CANARY, Weight: canary }] },
  };
}

const noSleep = async () => {};

describe('AlbTesterRoute against the ELBv2 fake', () => {
  let fake: FakeElbv2;
  let stub: Interception;
  let route: AlbTesterRoute;

  beforeEach(() => {
    fake = new FakeElbv2();
    stub = fake.install();
    route = new AlbTesterRoute(new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }), { sleep: noSleep });
    fake.addListener(LISTENER, [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '404' } }]);
  });

  afterEach(() => stub.restore());

  const creates = () => fake.log.filter((entry) => entry.command === 'CreateRule').map((entry) => entry.input);

  describe('on a listener rule', () => {
    beforeEach(() => {
      fake.addRule(RULE, LISTENER, [weighted(90, 10)], {
        priority: 10,
        conditions: [{ Field: 'host-header', Values: ['shop.example.com'], HostHeaderConfig: { Values: ['shop.example.com'] } }],
      });
    });

    it('creates one rule just before the steered one, with its conditions plus the header, forwarding to the canary, tagged', async () => {
      // Act
      const wrote = await route.open(ruleTarget);

      // Assess
      expect(wrote).toBe(true);
      expect(creates()).toEqual([
        {
          ListenerArn: LISTENER,
          Priority: 9,
          Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['shop.example.com'] } }, HEADER_CONDITION],
          Actions: [TO_CANARY],
          Tags: [{ Key: TESTER_ROUTE_TAG, Value: RULE }],
        },
      ]);
      await expect(route.isOpen(ruleTarget)).resolves.toBe(true);
    });

    it('keeps the rule it already created: a second open writes nothing', async () => {
      // Prepare
      await route.open(ruleTarget);

      // Act
      const wrote = await route.open(ruleTarget);

      // Assess
      expect(wrote).toBe(false);
      expect(creates()).toHaveLength(1);
      expect(fake.listenerRules(LISTENER)).toHaveLength(2);
    });

    it('skips priorities other rules hold, staying before the steered rule (precedence)', async () => {
      // Prepare
      fake.addRule(OTHER_RULE, LISTENER, [weighted(100, 0)], { priority: 9 });

      // Act
      await route.open(ruleTarget);

      // Assess
      const rules = fake.listenerRules(LISTENER);
      const tester = rules.find((rule) => rule.tags[TESTER_ROUTE_TAG] === RULE)!;
      expect(tester.priority).toBe(8);
      expect(tester.priority).toBeLessThan(rules.find((rule) => rule.arn === RULE)!.priority);
    });

    it('refuses when no priority is free before the steered rule, writing nothing', async () => {
      // Prepare
      fake.deleteRuleOutOfBand(RULE);
      fake.addRule(RULE, LISTENER, [weighted(90, 10)], { priority: 1 });

      // Act
      const act = route.open(ruleTarget);

      // Assess
      await expect(act).rejects.toThrow(ValidationFailedError);
      await expect(act).rejects.toThrow(/no priority is free before listener rule .* \(priority 1\)/);
      expect(creates()).toEqual([]);
    });

    it('refuses a steered rule whose conditions leave no room for the header value (5 values per rule)', async () => {
      // Prepare
      fake.deleteRuleOutOfBand(RULE);
      fake.addRule(RULE, LISTENER, [weighted(90, 10)], {
        priority: 10,
        conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/a', '/b', '/c', '/d', '/e'] } }],
      });

      // Act
      const act = route.open(ruleTarget);

      // Assess
      await expect(act).rejects.toThrow(/would have 6, and ALB allows 5 per rule/);
      expect(creates()).toEqual([]);
    });

    it('writes nothing when the fence fails', async () => {
      // Prepare
      const fence = jest.fn().mockRejectedValue(new RecordMismatchError('the rollout no longer holds the target'));

      // Act
      const act = route.open(ruleTarget, fence);

      // Assess
      await expect(act).rejects.toThrow(RecordMismatchError);
      expect(fence).toHaveBeenCalledTimes(1);
      expect(creates()).toEqual([]);
      expect(fake.listenerRules(LISTENER)).toHaveLength(1);
    });

    it('close deletes only its own rule, and a second close writes nothing', async () => {
      // Prepare
      fake.addRule(OTHER_RULE, LISTENER, [weighted(100, 0)], { priority: 20 });
      await route.open(ruleTarget);

      // Act
      const first = await route.close(ruleTarget);
      const second = await route.close(ruleTarget);

      // Assess
      expect([first, second]).toEqual([true, false]);
      expect(fake.listenerRules(LISTENER).map((rule) => rule.arn)).toEqual([RULE, OTHER_RULE]);
      await expect(route.isOpen(ruleTarget)).resolves.toBe(false);
    });

    it('close of a listener that is gone is not an error', async () => {
      // Prepare
      const gone = albTraffic({ listenerArn: LISTENER.replace('f2f7dc8efc522ab2', 'aaaaaaaaaaaaaaaa'), testerHeader: HEADER });

      // Act, Assess
      await expect(route.close(gone)).resolves.toBe(false);
    });

    it('keeps an authentication action in front of the canary forward', async () => {
      // Prepare
      const cognito: Action = {
        Type: 'authenticate-cognito',
        Order: 1,
        AuthenticateCognitoConfig: { UserPoolArn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc', UserPoolClientId: 'c', UserPoolDomain: 'd' },
      };
      fake.replaceActionsOutOfBand(RULE, [cognito, { ...weighted(90, 10), Order: 2 }]);

      // Act
      await route.open(ruleTarget);

      // Assess
      expect((creates()[0] as { Actions: Action[] }).Actions).toEqual([cognito, { ...TO_CANARY, Order: 2 }]);
    });
  });

  describe('refusals', () => {
    it('names the rules quota when the load balancer is at it, creating nothing', async () => {
      // Prepare
      stub.restore();
      fake = new FakeElbv2({ rulesPerLoadBalancer: 1 });
      stub = fake.install();
      fake.addListener(LISTENER, [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '404' } }]);
      fake.addRule(RULE, LISTENER, [weighted(90, 10)], { priority: 10 });

      // Act
      const act = route.open(ruleTarget);

      // Assess
      await expect(act).rejects.toThrow(ValidationFailedError);
      await expect(act).rejects.toThrow(/at its rules quota/);
      expect(fake.listenerRules(LISTENER)).toHaveLength(1);
    });

    it('refuses a steered rule that authenticates with OIDC, whose client secret a new rule would need', async () => {
      // Prepare
      fake.addRule(RULE, LISTENER, [
        {
          Type: 'authenticate-oidc',
          Order: 1,
          AuthenticateOidcConfig: { Issuer: 'https://idp', AuthorizationEndpoint: 'https://idp/a', TokenEndpoint: 'https://idp/t', UserInfoEndpoint: 'https://idp/u', ClientId: 'c', ClientSecret: 's' },
        },
        { ...weighted(90, 10), Order: 2 },
      ], { priority: 10 });

      // Act
      const act = route.open(ruleTarget);

      // Assess
      await expect(act).rejects.toThrow(/authenticates with OIDC/);
      expect(creates()).toEqual([]);
    });
  });

  describe('on a listener default action', () => {
    beforeEach(() => {
      stub.restore();
      fake = new FakeElbv2();
      stub = fake.install();
      fake.addListener(LISTENER, [weighted(90, 10)]);
      fake.addRule(OTHER_RULE, LISTENER, [weighted(100, 0)], { priority: 7 });
    });

    it('creates a rule after every other rule, matching on the header alone', async () => {
      // Act
      await route.open(listenerTarget);

      // Assess
      expect(creates()).toEqual([
        { ListenerArn: LISTENER, Priority: 8, Conditions: [HEADER_CONDITION], Actions: [TO_CANARY], Tags: [{ Key: TESTER_ROUTE_TAG, Value: LISTENER }] },
      ]);
    });

    it('is reached through the ELBv2 router', async () => {
      // Prepare
      const router = new Elbv2TrafficRouter(new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }), { sleep: noSleep });

      // Act
      await router.testerRoute.open(listenerTarget);

      // Assess
      await expect(router.testerRoute.isOpen(listenerTarget)).resolves.toBe(true);
    });
  });
});

describe('AlbTesterRoute, exact calls', () => {
  // Stubs every client's send: only inside this block, so the fake above serves the others.
  let elb: ReturnType<typeof mockClient>;
  beforeAll(() => {
    elb = mockClient(ElasticLoadBalancingV2Client);
  });
  afterAll(() => elb.restore());
  const steered = {
    RuleArn: RULE,
    Priority: '10',
    IsDefault: false,
    Conditions: [{ Field: 'path-pattern', Values: ['/shop/*'], PathPatternConfig: { Values: ['/shop/*'] } }],
    Actions: [weighted(90, 10)],
  };

  beforeEach(() => elb.reset());

  it('retries a PriorityInUse race with the next free priority', async () => {
    // Prepare
    elb.on(DescribeRulesCommand).resolves({ Rules: [steered, { RuleArn: `${LISTENER}/default`, Priority: 'default', IsDefault: true }] });
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: RULE, Tags: [] }] });
    elb
      .on(CreateRuleCommand)
      .rejectsOnce(new PriorityInUseException({ message: "Priority '9' is currently in use", $metadata: {} }))
      .resolves({ Rules: [] });
    const route = new AlbTesterRoute(new ElasticLoadBalancingV2Client({}), { sleep: noSleep });

    // Act
    const wrote = await route.open(ruleTarget);

    // Assess
    expect(wrote).toBe(true);
    expect(elb.commandCalls(CreateRuleCommand).map((call) => call.args[0].input.Priority)).toEqual([9, 8]);
    expect(elb.commandCalls(CreateRuleCommand)[1]!.args[0].input).toEqual({
      ListenerArn: LISTENER,
      Priority: 8,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/shop/*'] } }, HEADER_CONDITION],
      Actions: [TO_CANARY],
      Tags: [{ Key: TESTER_ROUTE_TAG, Value: RULE }],
    });
  });

  it('close treats a rule deleted under it as closed', async () => {
    // Prepare
    const tester = `${RULE.slice(0, RULE.lastIndexOf('/'))}/00000000000000ff`;
    elb.on(DescribeRulesCommand).resolves({ Rules: [steered, { RuleArn: tester, Priority: '9', IsDefault: false }] });
    elb.on(DescribeTagsCommand).resolves({
      TagDescriptions: [
        { ResourceArn: RULE, Tags: [] },
        { ResourceArn: tester, Tags: [{ Key: TESTER_ROUTE_TAG, Value: RULE }] },
      ],
    });
    elb.on(DeleteRuleCommand).rejects(new RuleNotFoundException({ message: 'gone', $metadata: {} }));
    const route = new AlbTesterRoute(new ElasticLoadBalancingV2Client({}), { sleep: noSleep });

    // Act
    const wrote = await route.close(ruleTarget);

    // Assess
    expect(wrote).toBe(false);
    expect(elb.commandCalls(DeleteRuleCommand).map((call) => call.args[0].input)).toEqual([{ RuleArn: tester }]);
  });
});
