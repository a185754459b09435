/**
 * The ELBv2 fake's CreateRule, DeleteRule and rule tags, checked against what the ELBv2 API
 * reference and the Application Load Balancer quotas say the real service does.
 */
import {
  type Action,
  AddTagsCommand,
  CreateRuleCommand,
  type CreateRuleCommandInput,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { FakeElbv2 } from '../../local/fakes/elbv2';
import type { Interception } from '../../local/fakes/sdk-intercept';

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LISTENER = `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const OTHER_LISTENER = `${PREFIX}:listener/app/shop/50dc6c495c0c9188/0000000000000002`;
const RULE = `${PREFIX}:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const CANARY = `${PREFIX}:targetgroup/checkout-canary/2b4c1d9a7f3e6a10`;

const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
const forward: Action = { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: CANARY, Weight: 1 }] } };
const header = (...values: string[]) => ({ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-canary', Values: values } });

function create(input: Partial<CreateRuleCommandInput> = {}) {
  return client.send(new CreateRuleCommand({ ListenerArn: LISTENER, Priority: 5, Conditions: [header('always')], Actions: [forward], ...input }));
}

describe('FakeElbv2 rules', () => {
  let fake: FakeElbv2;
  let stub: Interception;

  beforeEach(() => {
    fake = new FakeElbv2({ rulesPerLoadBalancer: 3 });
    stub = fake.install();
    fake.addListener(LISTENER, [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }]);
    fake.addRule(RULE, LISTENER, [forward], { priority: 10 });
  });

  afterEach(() => stub.restore());

  it('creates a rule DescribeRules lists in priority order, with its tags', async () => {
    // Act
    const created = await create({ Tags: [{ Key: 'serinus:tester-route', Value: RULE }] });
    const arn = created.Rules![0]!.RuleArn!;
    const listed = await client.send(new DescribeRulesCommand({ ListenerArn: LISTENER }));
    const tags = await client.send(new DescribeTagsCommand({ ResourceArns: [arn] }));

    // Assess
    expect(arn).toMatch(/^arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule\/app\/shop\/50dc6c495c0c9188\/f2f7dc8efc522ab2\/[0-9a-f]{16}$/);
    expect(listed.Rules!.map((rule) => rule.Priority)).toEqual(['5', '10', 'default']);
    expect(tags.TagDescriptions).toEqual([{ ResourceArn: arn, Tags: [{ Key: 'serinus:tester-route', Value: RULE }] }]);
  });

  it.each<[string, Partial<CreateRuleCommandInput>, RegExp]>([
    ['a priority in use', { Priority: 10 }, /PriorityInUse|currently in use/],
    ['priority 0', { Priority: 0 }, /must have value between 1 and 50000/],
    ['priority 50001', { Priority: 50001 }, /must have value between 1 and 50000/],
    ['no condition', { Conditions: [] }, /at least one condition/],
    ['six condition values', { Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/a', '/b', '/c', '/d', '/e'] } }, header('x')] }, /only have '5' condition values/],
    ['two path-pattern conditions', { Conditions: [{ Field: 'path-pattern', Values: ['/a'] }, { Field: 'path-pattern', Values: ['/b'] }] }, /only have one 'path-pattern' condition/],
    ['a header condition without a name', { Conditions: [{ Field: 'http-header', HttpHeaderConfig: { Values: ['x'] } }] }, /httpHeaderName: Member must not be null/],
    ['a header name with a space', { Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x canary', Values: ['x'] } }] }, /RFC 7230 token/],
    ['no action', { Actions: [] }, /at least one action/],
  ])('refuses %s, creating nothing', async (_name, input, message) => {
    // Act
    const act = create(input);

    // Assess
    await expect(act).rejects.toThrow(message);
    expect(fake.listenerRules(LISTENER)).toHaveLength(1);
  });

  it('answers PriorityInUseException by name for a taken priority', async () => {
    // Act, Assess
    await expect(create({ Priority: 10 })).rejects.toMatchObject({ name: 'PriorityInUseException' });
  });

  it('answers TooManyRules at the load balancer quota, counting every listener of the load balancer', async () => {
    // Prepare
    fake.addListener(OTHER_LISTENER, [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }]);
    await create({ Priority: 1 });
    await create({ Priority: 1, ListenerArn: OTHER_LISTENER });

    // Act, Assess
    await expect(create({ Priority: 2 })).rejects.toMatchObject({ name: 'TooManyRulesException' });
  });

  it('deletes a rule, answers RuleNotFound after, and refuses the default rule', async () => {
    // Act
    await client.send(new DeleteRuleCommand({ RuleArn: RULE }));

    // Assess
    expect(fake.listenerRules(LISTENER)).toEqual([]);
    await expect(client.send(new DeleteRuleCommand({ RuleArn: RULE }))).rejects.toMatchObject({ name: 'RuleNotFoundException' });
    await expect(client.send(new DeleteRuleCommand({ RuleArn: fake.defaultRuleArn(LISTENER) }))).rejects.toMatchObject({
      name: 'OperationNotPermittedException',
    });
  });

  it('adds tags to a rule, overwriting a key', async () => {
    // Act
    await client.send(new AddTagsCommand({ ResourceArns: [RULE], Tags: [{ Key: 'team', Value: 'a' }] }));
    await client.send(new AddTagsCommand({ ResourceArns: [RULE], Tags: [{ Key: 'team', Value: 'b' }] }));

    // Assess
    expect(fake.listenerRules(LISTENER)[0]!.tags).toEqual({ team: 'b' });
  });
});
