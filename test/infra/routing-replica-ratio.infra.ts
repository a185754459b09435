import { Stack, Token } from 'aws-cdk-lib';
import { replicaRatioTarget } from '../../lambda/adapters/replica-ratio-target';
import { TrafficRouting, type RoutingBindContext } from '../../lib/routing';
import type { ReplicaRatioRoutingOptions } from '../../lib/routing-replica-ratio';
import { newTestApp } from '../support/synth';

const context: RoutingBindContext = { clusterName: 'prod', namespace: 'shop', stableDeployment: 'checkout', canaryDeployment: 'checkout-canary' };

function bind(options: ReplicaRatioRoutingOptions, on: RoutingBindContext = context) {
  const stack = new Stack(newTestApp(), 'Test');
  return { stack, bound: TrafficRouting.replicaRatio(options)._bind(stack, on) };
}

describe('TrafficRouting.replicaRatio', () => {
  it('steers the ready pods behind the Service through the Kubernetes API, with no AWS writes and no ALB metrics', () => {
    // Act
    const { bound } = bind({ serviceName: 'checkout', minReplicas: 10, maxReplicas: 20 });

    // Assess
    expect(bound).toEqual({
      target: {
        kind: 'replica-ratio',
        key: 'replica-ratio:prod/shop/checkout',
        clusterName: 'prod',
        namespace: 'shop',
        stableDeployment: 'checkout',
        canaryDeployment: 'checkout-canary',
        serviceName: 'checkout',
        minReplicas: 10,
        maxReplicas: 20,
      },
      writeStatements: [],
      kubernetes: true,
      problems: [],
      description: 'the ready pods behind Service checkout (namespace shop)',
    });
    expect(replicaRatioTarget(bound.target)).toBe(bound.target);
  });

  it('keeps the total at the baseline by default', () => {
    // Act
    const { bound } = bind({ serviceName: 'checkout' });

    // Assess
    expect(bound.target).toMatchObject({ minReplicas: 1 });
    expect(bound.target).not.toHaveProperty('maxReplicas');
    expect(replicaRatioTarget(bound.target)).toBe(bound.target);
  });

  it('keys the lock on a cluster known only at deploy time', () => {
    // Prepare
    const clusterName = Token.asString({ Ref: 'Cluster' });

    // Act
    const { stack, bound } = bind({ serviceName: 'checkout' }, { ...context, clusterName });

    // Assess
    expect(stack.resolve(bound.target.key)).toEqual({ 'Fn::Join': ['', ['replica-ratio:', { Ref: 'Cluster' }, '/shop/checkout']] });
    expect(bound.problems).toEqual([]);
  });

  it.each<[string, ReplicaRatioRoutingOptions, RegExp]>([
    ['a Service name the API server refuses', { serviceName: 'Checkout_v2' }, /^routing\.serviceName must be a Kubernetes Service name .*got "Checkout_v2"$/],
    ['minReplicas 0', { serviceName: 'checkout', minReplicas: 0 }, /^routing\.minReplicas must be a whole number of at least 1, got 0$/],
    ['a fractional minReplicas', { serviceName: 'checkout', minReplicas: 2.5 }, /^routing\.minReplicas must be a whole number of at least 1, got 2\.5$/],
    ['maxReplicas 1', { serviceName: 'checkout', maxReplicas: 1 }, /^routing\.maxReplicas must be a whole number of at least 2 \(a split needs a stable and a canary pod\), got 1$/],
    ['minReplicas above maxReplicas', { serviceName: 'checkout', minReplicas: 12, maxReplicas: 10 }, /^routing\.minReplicas \(12\) must not be more than routing\.maxReplicas \(10\)$/],
  ])('names %s', (_what, options, problem) => {
    // Act
    const { bound } = bind(options);

    // Assess
    expect(bound.problems).toEqual([expect.stringMatching(problem)]);
  });

  it('leaves values known only at deploy time to the runtime check', () => {
    // Act
    const { bound } = bind({ serviceName: Token.asString({ Ref: 'Service' }), minReplicas: Token.asNumber({ Ref: 'Min' }), maxReplicas: 1 });

    // Assess
    expect(bound.problems).toEqual([expect.stringMatching(/^routing\.maxReplicas must be/)]);
  });
});
