import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { HANDLER_NEEDS, type HandlerName } from '../../lambda/handler-names';
import { CanaryRollout } from '../../lib/canary-rollout';
import { EksCluster } from '../../lib/cluster';
import { EKS_ACCESS_POLICY, SerinusEngine } from '../../lib/engine';
import { LifecycleHook } from '../../lib/hooks';
import { OTHER, SAMPLE, once, sampleStack, validRolloutProps } from '../support/synth';

type Json = Record<string, unknown>;
interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Json;
}
interface PolicyStatement {
  /** Logical ids of the roles the policy is attached to. */
  readonly roles: string[];
  readonly actions: string[];
  readonly resources: unknown[];
  readonly condition?: Json;
}

/** Read-only by name: `Describe*`, `Get*`, `List*`. */
const READ_VERB = /^(Describe|Get|List)/;
/** Mutating whatever their name says, because they change, reveal or reach a rollout's target. */
const ALWAYS_MUTATING = [/^elasticloadbalancing:Modify/, /^eks:/, /^dynamodb:(PutItem|UpdateItem|DeleteItem)$/, /^scheduler:/, /^states:Send/];
/**
 * Mutating actions that support no resource-level permissions, so AWS only accepts them on `*`:
 * X-Ray tracing (functions and state machine) and the CloudWatch Logs delivery actions Step
 * Functions logging requires.
 */
const UNSCOPABLE = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'logs:CreateLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:PutResourcePolicy',
]);

function isMutating(action: string): boolean {
  const verb = action.split(':')[1] ?? '';
  return ALWAYS_MUTATING.some((pattern) => pattern.test(action)) || !READ_VERB.test(verb);
}

function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Every Allow statement of every AWS::IAM::Policy and inline role policy in the template. */
function statements(template: Template): PolicyStatement[] {
  const found: PolicyStatement[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy')) as Json[]) {
    const props = policy.Properties as { Roles?: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } };
    const roles = (props.Roles ?? []).map((role) => role.Ref);
    for (const s of props.PolicyDocument.Statement.filter((st) => st.Effect === 'Allow')) {
      found.push({ roles, actions: asArray(s.Action), resources: asArray(s.Resource), condition: s.Condition });
    }
  }
  for (const [logicalId, role] of Object.entries(template.findResources('AWS::IAM::Role')) as [string, Json][]) {
    const inline = ((role.Properties as Json).Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
    for (const s of inline.flatMap((p) => p.PolicyDocument.Statement)) {
      found.push({ roles: [logicalId], actions: asArray(s.Action), resources: asArray(s.Resource), condition: s.Condition });
    }
  }
  return found;
}

function withAction(all: PolicyStatement[], action: string): PolicyStatement[] {
  return all.filter((s) => s.actions.includes(action));
}

function logicalId(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
}

function roleOf(engine: SerinusEngine, handler: HandlerName): string {
  return logicalId(engine.functions[handler].role as iam.Role);
}

/** The logical ids of the roles of the handlers that need `need`. */
function rolesNeeding(engine: SerinusEngine, need: (name: HandlerName) => boolean): string[] {
  const names = (Object.keys(HANDLER_NEEDS) as HandlerName[]).filter(need);
  return [...new Set(names.map((name) => roleOf(engine, name)))].sort();
}

/** The sample stack plus a second rollout on a rule of the same listener, same cluster, other namespace. */
function twoRollouts() {
  const { stack } = sampleStack();
  const payments = new CanaryRollout(
    stack,
    'Payments',
    validRolloutProps(stack, {
      serviceName: 'payments',
      listenerRuleArn: OTHER.ruleArn,
      stableTargetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'PaymentsStable', {
        targetGroupArn: OTHER.stableTargetGroupArn,
      }),
      canaryTargetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'PaymentsCanary', {
        targetGroupArn: OTHER.canaryTargetGroupArn,
      }),
      namespace: 'payments',
      stableDeployment: 'payments',
      canaryDeployment: 'payments-canary',
      hooks: {
        beforeTraffic: LifecycleHook.invoke(lambda.Function.fromFunctionName(stack, 'SmokeTest', 'payments-smoke-test')),
        afterPromote: LifecycleHook.withTaskToken(lambda.Function.fromFunctionName(stack, 'Synthetic', 'payments-synthetic')),
      },
    }),
  );
  const template = Template.fromStack(stack);
  return { stack, checkout: stack.rollout, payments, engine: stack.rollout.engine, template, all: statements(template) };
}

/** Synthesized once for the tests below that only read it. */
const sharedTwoRollouts = once(twoRollouts);

describe('IAM scoping', () => {
  let fixture: ReturnType<typeof twoRollouts>;
  beforeAll(() => {
    fixture = sharedTwoRollouts();
  });

  it('grants no mutating action on "*" except those AWS cannot scope', () => {
    // Prepare
    const onEverything = fixture.all.filter((s) => s.resources.includes('*'));

    // Act
    const mutating = onEverything.flatMap((s) => s.actions).filter((a) => isMutating(a) && !UNSCOPABLE.has(a));

    // Assess
    expect(onEverything.length).toBeGreaterThan(0);
    expect(mutating).toEqual([]);
  });

  it('grants ModifyListener exactly on the listener, to the functions that write traffic', () => {
    // Prepare
    const { all, engine } = fixture;

    // Act
    const grants = withAction(all, 'elasticloadbalancing:ModifyListener');

    // Assess
    expect(grants.map((s) => s.resources)).toEqual(grants.map(() => [SAMPLE.listenerArn]));
    expect(grants.every((s) => s.actions.length === 1)).toBe(true);
    expect([...new Set(grants.flatMap((s) => s.roles))].sort()).toEqual(
      rolesNeeding(engine, (name) => HANDLER_NEEDS[name].writesTraffic),
    );
  });

  it('grants ModifyRule exactly on the rule, to the functions that write traffic', () => {
    // Prepare
    const { all, engine } = fixture;

    // Act
    const grants = withAction(all, 'elasticloadbalancing:ModifyRule');

    // Assess
    expect(grants.map((s) => s.resources)).toEqual(grants.map(() => [OTHER.ruleArn]));
    expect(grants.every((s) => s.actions.length === 1)).toBe(true);
    expect([...new Set(grants.flatMap((s) => s.roles))].sort()).toEqual(
      rolesNeeding(engine, (name) => HANDLER_NEEDS[name].writesTraffic),
    );
  });

  it('grants no other ELBv2 action than the Describe calls and the two writes', () => {
    // Act
    const actions = new Set(fixture.all.flatMap((s) => s.actions).filter((a) => a.startsWith('elasticloadbalancing:')));

    // Assess
    expect([...actions].sort()).toEqual([
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:ModifyListener',
      'elasticloadbalancing:ModifyRule',
    ]);
  });

  it('lets the scheduler role send task success to the registered state machines and invoke the sweeper function only', () => {
    // Prepare
    const { all, engine, template, checkout, payments } = fixture;
    const schedulerRole = logicalId(engine.schedulerRole);

    // Act
    const grants = all.filter((s) => s.roles.includes(schedulerRole));

    // Assess
    expect(grants).toEqual([
      {
        roles: [schedulerRole],
        actions: ['lambda:InvokeFunction'],
        resources: [{ 'Fn::GetAtt': [logicalId(engine.functions.sweeper), 'Arn'] }],
        condition: undefined,
      },
      {
        roles: [schedulerRole],
        actions: ['states:SendTaskSuccess'],
        resources: expect.arrayContaining([{ Ref: logicalId(checkout.stateMachine) }, { Ref: logicalId(payments.stateMachine) }]),
        condition: undefined,
      },
    ]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': SAMPLE.account } },
          },
        ],
      },
    });
  });

  it('lets only the bake handlers send task callbacks, to the registered state machines', () => {
    // Prepare
    const { all, engine, checkout, payments } = fixture;
    const schedulerRole = logicalId(engine.schedulerRole);

    // Act
    const grants = all.filter((s) => s.actions.some((a) => a.startsWith('states:Send')) && !s.roles.includes(schedulerRole));

    // Assess
    expect([...new Set(grants.flatMap((s) => s.roles))].sort()).toEqual(
      rolesNeeding(engine, (name) => HANDLER_NEEDS[name].taskCallbacks),
    );
    for (const grant of grants) {
      expect(grant.actions).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess']);
      expect(grant.resources).toHaveLength(2);
      expect(grant.resources).toEqual(expect.arrayContaining([{ Ref: logicalId(checkout.stateMachine) }, { Ref: logicalId(payments.stateMachine) }]));
    }
  });

  it('lets only the sweeper describe executions, of the registered state machines', () => {
    // Prepare
    const { all, engine, checkout } = fixture;

    // Act
    const grants = withAction(all, 'states:DescribeExecution');

    // Assess
    expect([...new Set(grants.flatMap((s) => s.roles))]).toEqual(
      rolesNeeding(engine, (name) => HANDLER_NEEDS[name].describesExecutions),
    );
    expect(grants.flatMap((s) => s.resources)).toContainEqual({
      'Fn::Join': [
        '',
        [
          `arn:aws:states:${SAMPLE.region}:${SAMPLE.account}:execution:`,
          { 'Fn::GetAtt': [logicalId(checkout.stateMachine), 'Name'] },
          ':*',
        ],
      ],
    });
    expect(grants.flatMap((s) => s.resources)).toHaveLength(2);
  });

  it('lets only the Kubernetes role describe the cluster, by its ARN', () => {
    // Prepare
    const { all, engine } = fixture;

    // Act
    const grants = withAction(all, 'eks:DescribeCluster');

    // Assess
    expect(grants).toEqual([
      {
        roles: [logicalId(engine.kubernetesRole)],
        actions: ['eks:DescribeCluster'],
        resources: [`arn:aws:eks:${SAMPLE.region}:${SAMPLE.account}:cluster/${SAMPLE.clusterName}`],
        condition: undefined,
      },
    ]);
  });

  it('passes the scheduler role to EventBridge Scheduler only', () => {
    // Prepare
    const { all, engine } = fixture;

    // Act
    const grants = withAction(all, 'iam:PassRole');

    // Assess
    expect(grants.length).toBeGreaterThan(0);
    for (const grant of grants) {
      expect(grant.resources).toEqual([{ 'Fn::GetAtt': [logicalId(engine.schedulerRole), 'Arn'] }]);
      expect(grant.condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    }
    expect([...new Set(grants.flatMap((s) => s.roles))].sort()).toEqual(
      rolesNeeding(engine, (name) => HANDLER_NEEDS[name].schedules),
    );
  });

  it("manages schedules in serinus's own schedule group only", () => {
    // Prepare
    const { all, engine, stack } = fixture;

    // Act
    const grants = all.filter((s) => s.actions.some((a) => a.startsWith('scheduler:')));

    // Assess
    for (const grant of grants) {
      expect(grant.actions).toEqual(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule']);
      expect(grant.resources).toEqual([
        `arn:aws:scheduler:${SAMPLE.region}:${SAMPLE.account}:schedule/${stack.resolve(engine.scheduleGroup.scheduleGroupName)}/*`,
      ]);
    }
  });

  it('writes the rollout table only from the handlers that need it, and queries only its execution index', () => {
    // Prepare
    const { all, engine } = fixture;
    const table = logicalId(engine.table);

    // Act
    const writers = withAction(all, 'dynamodb:PutItem');
    const queries = withAction(all, 'dynamodb:Query');

    // Assess
    expect([...new Set(writers.flatMap((s) => s.roles))].sort()).toEqual(
      rolesNeeding(engine, (name) => HANDLER_NEEDS[name].table === 'readWrite'),
    );
    expect(writers.flatMap((s) => s.resources)).toEqual(writers.map(() => ({ 'Fn::GetAtt': [table, 'Arn'] })));
    expect(queries.flatMap((s) => s.resources)).toEqual(
      queries.map(() => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, '/index/byExecution']] })),
    );
  });

  it('shares one role among the Kubernetes functions and gives every other function its own', () => {
    // Prepare
    const { engine } = fixture;
    const names = Object.keys(HANDLER_NEEDS) as HandlerName[];

    // Act
    const kubernetesRoles = new Set(names.filter((n) => HANDLER_NEEDS[n].kubernetes).map((n) => roleOf(engine, n)));
    const otherRoles = names.filter((n) => !HANDLER_NEEDS[n].kubernetes).map((n) => roleOf(engine, n));

    // Assess
    expect([...kubernetesRoles]).toEqual([logicalId(engine.kubernetesRole)]);
    expect(new Set(otherRoles).size).toBe(otherRoles.length);
    expect(otherRoles).not.toContain(logicalId(engine.kubernetesRole));
  });

  it('lets each function write logs to its own log groups only', () => {
    // Prepare
    const { all } = fixture;

    // Act
    const grants = withAction(all, 'logs:PutLogEvents');

    // Assess
    expect(grants.length).toBeGreaterThan(0);
    for (const grant of grants) {
      expect(grant.actions).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      for (const resource of grant.resources) {
        expect(resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/Logs[0-9A-F]{8}$/), 'Arn'] });
      }
    }
  });

  it('uses no managed policy outside a VPC', () => {
    // Act
    const roles = Object.values(fixture.template.findResources('AWS::IAM::Role')) as Json[];

    // Assess
    expect(roles.map((role) => (role.Properties as Json).ManagedPolicyArns)).toEqual(roles.map(() => undefined));
  });

  it('lets the state machine invoke the engine functions only (request-approval publishes the approval)', () => {
    // Prepare
    const { all, checkout } = fixture;
    const role = logicalId(checkout.stateMachine.role as iam.Role);

    // Act
    const grants = all.filter((s) => s.roles.includes(role) && !s.resources.includes('*'));

    // Assess
    expect(grants.flatMap((s) => s.actions).sort()).toEqual(['lambda:InvokeFunction']);
    const invoked = withAction(grants, 'lambda:InvokeFunction').flatMap((s) => s.resources);
    for (const resource of invoked) {
      expect(JSON.stringify(resource)).toMatch(/"SerinusEngine[A-Za-z]+[0-9A-F]{8}","Arn"/);
    }
  });

  it('lets only the event-publishing handlers put events, on the default bus only', () => {
    // Prepare
    const { all, engine } = fixture;
    const bus = `arn:aws:events:${SAMPLE.region}:${SAMPLE.account}:event-bus/default`;

    // Act
    const grants = withAction(all, 'events:PutEvents');

    // Assess
    expect([...new Set(grants.flatMap((s) => s.roles))].sort()).toEqual(rolesNeeding(engine, (name) => HANDLER_NEEDS[name].publishesEvents));
    expect(rolesNeeding(engine, (name) => HANDLER_NEEDS[name].publishesEvents)).toContain(roleOf(engine, 'request-approval'));
    for (const grant of grants) {
      expect(grant.actions).toEqual(['events:PutEvents']);
      expect(grant.resources.map((r) => JSON.stringify(r))).toEqual([expect.stringContaining(':event-bus/default')]);
      expect(JSON.stringify(grant.resources[0])).toContain(bus.split(':').slice(3).join(':'));
    }
  });

  it('lets only request-approval publish to SNS, to the approval topics of the registered rollouts', () => {
    // Prepare
    const { all, engine, checkout, payments } = fixture;

    // Act
    const grants = withAction(all, 'sns:Publish');

    // Assess
    expect([...new Set(grants.flatMap((s) => s.roles))]).toEqual([roleOf(engine, 'request-approval')]);
    expect(grants.flatMap((s) => s.resources)).toEqual(
      expect.arrayContaining([{ Ref: logicalId(checkout.approvalTopic) }, { Ref: logicalId(payments.approvalTopic) }]),
    );
    expect(grants.flatMap((s) => s.resources)).toHaveLength(2);
  });

  it('lets a rollout with lifecycle hooks invoke exactly those functions besides the engine', () => {
    // Prepare
    const { all, payments } = fixture;
    const role = logicalId(payments.stateMachine.role as iam.Role);

    // Act
    const invoked = withAction(all.filter((s) => s.roles.includes(role)), 'lambda:InvokeFunction')
      .flatMap((s) => s.resources)
      .map((resource) => JSON.stringify(resource))
      .filter((resource) => !/"SerinusEngine[A-Za-z]+[0-9A-F]{8}","Arn"/.test(resource));

    // Assess: each hook function and its versions and aliases, nothing else.
    expect(invoked.map((resource) => resource.replace(/.*:function:([a-z-]+)(:\*)?".*/, '$1$2')).sort()).toEqual([
      'payments-smoke-test',
      'payments-smoke-test:*',
      'payments-synthetic',
      'payments-synthetic:*',
    ]);
  });
});

describe('EKS access entries', () => {
  it('gives the Kubernetes role one entry per cluster, edit access scoped to every registered namespace', () => {
    // Prepare
    const { template, engine } = sharedTwoRollouts();

    // Act
    const entries = template.findResources('AWS::EKS::AccessEntry');

    // Assess
    expect(Object.values(entries)).toEqual([
      {
        Type: 'AWS::EKS::AccessEntry',
        Properties: {
          ClusterName: SAMPLE.clusterName,
          PrincipalArn: { 'Fn::GetAtt': [logicalId(engine.kubernetesRole), 'Arn'] },
          Type: 'STANDARD',
          AccessPolicies: [
            {
              PolicyArn: `arn:aws:eks::aws:cluster-access-policy/${EKS_ACCESS_POLICY}`,
              AccessScope: { Type: 'namespace', Namespaces: ['checkout', 'payments'] },
            },
          ],
        },
      },
    ]);
  });

  it('adds a second entry for a rollout on another cluster', () => {
    // Prepare
    const { stack } = sampleStack();

    // Act
    new CanaryRollout(
      stack,
      'Payments',
      validRolloutProps(stack, { serviceName: 'payments', listenerRuleArn: OTHER.ruleArn, cluster: EksCluster.fromName('billing'), namespace: 'payments' }),
    );
    const template = Template.fromStack(stack);

    // Assess
    template.resourceCountIs('AWS::EKS::AccessEntry', 2);
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'billing',
      AccessPolicies: [Match.objectLike({ AccessScope: { Type: 'namespace', Namespaces: ['payments'] } })],
    });
    expect(withAction(statements(template), 'eks:DescribeCluster').flatMap((s) => s.resources).sort()).toEqual([
      `arn:aws:eks:${SAMPLE.region}:${SAMPLE.account}:cluster/billing`,
      `arn:aws:eks:${SAMPLE.region}:${SAMPLE.account}:cluster/${SAMPLE.clusterName}`,
    ]);
  });
});

describe('engine placement', () => {
  it('finds the one engine of a stack', () => {
    // Prepare
    const { stack } = sampleStack();

    // Act
    const engine = SerinusEngine.of(stack);

    // Assess
    expect(engine).toBe(stack.rollout.engine);
  });
});
