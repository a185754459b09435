import { Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CanaryRollout } from '../../lib/canary-rollout';
import { TrafficRouting } from '../../lib/routing';
import { emptyStack, newTestApp, validRolloutProps } from '../support/synth';
import { ingressTarget } from '../../lambda/adapters/ingress-target';
import { bindIngress, type IngressRoutingOptions } from '../../lib/routing-ingress';

const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/k8s-shop-web-1a2b3c4d5e/50dc6c495c0c9188/f2f7dc8efc522ab2';
const context = { clusterName: 'prod', namespace: 'shop', stableDeployment: 'web', canaryDeployment: 'web-canary' };
const options: IngressRoutingOptions = {
  ingressName: 'web',
  actionName: 'split',
  stableServiceName: 'web',
  canaryServiceName: 'web-canary',
  listenerArn: LISTENER,
};

describe('bindIngress', () => {
  it('binds a target the ingress router accepts, with Kubernetes access and no ELBv2 write', () => {
    // Act
    const bound = bindIngress(new Stack(newTestApp(), 'Test'), context, options);

    // Assess
    expect(bound.target).toEqual({
      kind: 'ingress',
      key: 'ingress:prod/shop/web#split',
      clusterName: 'prod',
      namespace: 'shop',
      ingressName: 'web',
      actionName: 'split',
      stableService: 'web',
      canaryService: 'web-canary',
      servicePort: '80',
      listenerArn: LISTENER,
    });
    expect(() => ingressTarget(bound.target)).not.toThrow();
    expect(bound.writeStatements).toEqual([]);
    expect(bound.readActions).toEqual(['elasticloadbalancing:DescribeTags']);
    expect(bound.kubernetes).toBe(true);
    expect(bound.albMetrics).toBeUndefined();
    expect(bound.problems).toEqual([]);
    expect(bound.description).toBe('action "split" of ingress "web" in namespace "shop"');
    expect(bound.arns).toEqual([{ key: 'routing.listenerArn', arn: LISTENER }]);
  });

  it.each<[Partial<IngressRoutingOptions>, RegExp]>([
    [{ ingressName: 'Web' }, /^routing.ingressName must be a Kubernetes object name, got "Web"$/],
    [{ actionName: 'split/x' }, /^routing.actionName must be/],
    [{ stableServiceName: 'web.v1' }, /^routing.stableServiceName must be a Kubernetes Service name/],
    [{ canaryServiceName: 'Web_Canary' }, /^routing.canaryServiceName must be a Kubernetes Service name/],
    [{ servicePort: '0' }, /^routing.servicePort must be a port number or a Service port name, got "0"$/],
    [{ listenerArn: LISTENER.replace('/app/', '/net/') }, /^routing.listenerArn must be an Application Load Balancer listener ARN/],
    [{ canaryServiceName: 'web' }, /^routing: stableServiceName and canaryServiceName must be different Services$/],
  ])('names the problem with %j', (override, problem) => {
    // Act
    const bound = bindIngress(new Stack(newTestApp(), 'Test'), context, { ...options, ...override });

    // Assess
    expect(bound.problems).toEqual([expect.stringMatching(problem)]);
  });

  it('does not judge tokens', () => {
    // Act
    const bound = bindIngress(new Stack(newTestApp(), 'Test'), context, { ...options, listenerArn: Token.asString({ Ref: 'Listener' }) });

    // Assess
    expect(bound.problems).toEqual([]);
  });
});

describe('an Ingress rollout in a stack', () => {
  it('grants DescribeTags with the ELBv2 reads of the traffic functions, on * as they are, and no ELBv2 write', () => {
    // Prepare
    const { stack } = emptyStack();
    new CanaryRollout(stack, 'Web', validRolloutProps(stack, { routing: TrafficRouting.ingress({ ...options, listenerArn: options.listenerArn.replace('eu-west-1', stack.region).replace('123456789012', stack.account) }) }));

    // Act
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } } }).Properties.PolicyDocument.Statement,
    );
    const elbv2 = statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith('elasticloadbalancing:')));

    // Assess
    expect(elbv2.length).toBeGreaterThan(0);
    for (const statement of elbv2) {
      // Statements on * are merged (minimizePolicies): only their ELBv2 actions are looked at here.
      expect([statement.Action].flat().filter((action) => action.startsWith('elasticloadbalancing:')).sort()).toEqual([
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTags',
        'elasticloadbalancing:DescribeTargetHealth',
      ]);
      expect(statement.Resource).toBe('*');
    }
  });
});
