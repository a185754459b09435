/**
 * The ALB tester route's grants, the Kubernetes groups of the access entry, and the gradual
 * rollback's props.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { TESTER_ROUTE_TAG } from '../../lambda/adapters/alb-target';
import { CanaryRollout } from '../../lib/canary-rollout';
import { EksCluster } from '../../lib/cluster';
import { TrafficRouting, gradualRollbackProblems, listenerRulesPattern } from '../../lib/routing';
import { OTHER, SAMPLE, emptyStack, once, validRolloutProps } from '../support/synth';

type Json = Record<string, unknown>;
interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Json;
}

const TESTER = { headerName: 'x-canary', headerValue: 'always' };
const RULES_OF_LISTENER = `${SAMPLE.listenerArn.replace(':listener/', ':listener-rule/')}/*`;

function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => ((policy as Json).Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
  );
}

function withAction(all: Statement[], action: string): Statement[] {
  return all.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action));
}

/** A rollout in a stack of its own; the stack is synthesized only for a test that reads its template. */
function rollout(overrides: Parameters<typeof validRolloutProps>[1]) {
  const { stack } = emptyStack();
  const construct = new CanaryRollout(stack, 'Rollout', validRolloutProps(stack, overrides));
  return {
    stack,
    construct,
    get template(): Template {
      return Template.fromStack(stack);
    },
  };
}

/** A rollout with no tester route, and one with the tester route on the listener: made once, for the tests that only read them. */
const plainRollout = once(() => {
  // Its template is read: synthesized here, before `once` locks the construct tree.
  const { stack, construct, template } = rollout({});
  return { stack, construct, template };
});
const testerRollout = once(() => rollout({ testerRoute: TESTER }));

describe('ALB tester route grants', () => {
  it('grants CreateRule on the listener, AddTags only on creation and DeleteRule only on its tagged rules of that listener', () => {
    // Act
    const { template } = rollout({ listenerRuleArn: OTHER.ruleArn, testerRoute: TESTER });
    const all = statements(template);

    // Assess
    const key = OTHER.ruleArn;
    expect(withAction(all, 'elasticloadbalancing:CreateRule')).toEqual([
      { Effect: 'Allow', Action: 'elasticloadbalancing:CreateRule', Resource: SAMPLE.listenerArn },
    ]);
    expect(withAction(all, 'elasticloadbalancing:AddTags')).toEqual([
      {
        Effect: 'Allow',
        Action: 'elasticloadbalancing:AddTags',
        Resource: RULES_OF_LISTENER,
        Condition: { StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule' } },
      },
    ]);
    expect(withAction(all, 'elasticloadbalancing:DeleteRule')).toEqual([
      {
        Effect: 'Allow',
        Action: 'elasticloadbalancing:DeleteRule',
        Resource: RULES_OF_LISTENER,
        Condition: { StringEquals: { [`aws:ResourceTag/${TESTER_ROUTE_TAG}`]: key } },
      },
    ]);
  });

  it('grants nothing for a tester route when there is none', () => {
    // Act
    const { template } = plainRollout();
    const all = statements(template);

    // Assess
    for (const action of ['CreateRule', 'AddTags', 'DeleteRule']) {
      expect(withAction(all, `elasticloadbalancing:${action}`)).toEqual([]);
    }
  });

  it('names the rules of a listener known only as a token', () => {
    // Prepare
    const { stack } = emptyStack();
    const listenerArn = new elbv2.CfnListener(stack, 'Listener', { loadBalancerArn: 'lb', defaultActions: [] }).ref;

    // Act
    const pattern = stack.resolve(listenerRulesPattern(listenerArn));

    // Assess
    const parts = { 'Fn::Split': [':listener/', { Ref: 'Listener' }] };
    expect(pattern).toEqual({
      'Fn::Join': ['', [{ 'Fn::Select': [0, parts] }, ':listener-rule/', { 'Fn::Select': [1, parts] }, '/*']],
    });
  });

  it('acknowledges the rule pattern for cdk-nag, by its exact resource', () => {
    // Act
    const { stack } = testerRollout();

    // Assess
    const acknowledged = stack.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    expect(JSON.stringify(acknowledged.map((entry) => entry.data))).toContain(`AwsSolutions-IAM5[Resource::${RULES_OF_LISTENER}]`);
  });

  it('carries the tester header on the target', () => {
    // Act
    const { construct } = testerRollout();

    // Assess
    expect(construct._targetConfig.traffic.testerHeader).toEqual({ name: 'x-canary', value: 'always' });
  });
});

describe('Kubernetes groups of the access entry', () => {
  const istio = { virtualService: 'web', route: 'primary', host: 'web', stableSubset: 'stable', canarySubset: 'canary' };

  it('carries the union of the groups of every rollout on the cluster, and none for an ALB rollout alone', () => {
    // Prepare
    const albOnly = plainRollout().template.findResources('AWS::EKS::AccessEntry');
    const { stack } = emptyStack();
    new CanaryRollout(stack, 'Alb', validRolloutProps(stack, {}));

    // Act
    new CanaryRollout(stack, 'Web', validRolloutProps(stack, { serviceName: 'web', routing: TrafficRouting.istio({ ...istio, kubernetesGroups: ['mesh-editors'] }) }));
    new CanaryRollout(stack, 'Api', validRolloutProps(stack, { serviceName: 'api', routing: TrafficRouting.istio({ ...istio, route: 'api' }) }));
    new CanaryRollout(
      stack,
      'Billing',
      validRolloutProps(stack, { serviceName: 'billing', cluster: EksCluster.fromName('billing'), routing: TrafficRouting.istio({ ...istio, route: 'billing', kubernetesGroups: ['billing-mesh'] }) }),
    );
    const template = Template.fromStack(stack);

    // Assess
    expect(Object.values(albOnly).map((entry) => (entry as { Properties: Json }).Properties.KubernetesGroups)).toEqual([undefined]);
    template.hasResourceProperties('AWS::EKS::AccessEntry', { ClusterName: SAMPLE.clusterName, KubernetesGroups: ['mesh-editors', 'serinus-istio'] });
    template.hasResourceProperties('AWS::EKS::AccessEntry', { ClusterName: 'billing', KubernetesGroups: ['billing-mesh'] });
  });

  it('refuses a group name EKS reserves', () => {
    // Prepare
    const { stack } = emptyStack();

    // Act
    const act = () =>
      new CanaryRollout(stack, 'Web', validRolloutProps(stack, { routing: TrafficRouting.istio({ ...istio, kubernetesGroups: ['system:masters'] }) }));

    // Assess
    expect(act).toThrow(/routing\.kubernetesGroups must be Kubernetes group names not starting with system:.*"system:masters"/);
  });
});

describe('gradualRollback props', () => {
  it.each([
    ['one step', { steps: 1 }, /^gradualRollback\.steps must be a whole number from 2 to 10, got 1$/],
    ['eleven steps', { steps: 11 }, /^gradualRollback\.steps must be a whole number from 2 to 10, got 11$/],
    ['a fractional step count', { steps: 2.5 }, /^gradualRollback\.steps must be a whole number/],
    ['a sub-second interval', { steps: 2, interval: Duration.millis(500) }, /^gradualRollback\.interval must be whole seconds from 1 to 30, got 0\.5 s$/],
    ['an interval past 30 s', { steps: 2, interval: Duration.seconds(31) }, /^gradualRollback\.interval must be whole seconds from 1 to 30, got 31 s$/],
    ['more than 2 minutes in all', { steps: 5, interval: Duration.seconds(30) }, /^gradualRollback: steps × interval must be at most 120 s .*got 150 s$/],
  ])('refuses %s', (_name, options, message) => {
    // Act
    const problems = gradualRollbackProblems(options);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('accepts the edges: 2 and 10 steps, 1 and 30 s, 120 s in all', () => {
    // Act, Assess
    expect(gradualRollbackProblems({ steps: 2, interval: Duration.seconds(30) })).toEqual([]);
    expect(gradualRollbackProblems({ steps: 10, interval: Duration.seconds(12) })).toEqual([]);
    expect(gradualRollbackProblems({ steps: 4, interval: Duration.seconds(1) })).toEqual([]);
  });

  it('throws from the construct, naming the prop', () => {
    // Prepare
    const { stack } = emptyStack();

    // Act
    const act = () => new CanaryRollout(stack, 'Rollout', validRolloutProps(stack, { gradualRollback: { steps: 1 } }));

    // Assess
    expect(act).toThrow(/gradualRollback\.steps must be a whole number from 2 to 10, got 1/);
  });

  it('carries the pace on the target configuration, with the default interval and evenOnAlarm off', () => {
    // Act
    const { construct: paced } = rollout({ gradualRollback: { steps: 4 } });
    const { construct: onAlarm } = rollout({ gradualRollback: { steps: 3, interval: Duration.seconds(5), evenOnAlarm: true } });
    const { construct: instant } = plainRollout();

    // Assess
    expect(paced._targetConfig.rollbackPace).toEqual({ steps: 4, intervalSeconds: 10, evenOnAlarm: false });
    expect(onAlarm._targetConfig.rollbackPace).toEqual({ steps: 3, intervalSeconds: 5, evenOnAlarm: true });
    expect(instant._targetConfig.rollbackPace).toBeUndefined();
  });
});
