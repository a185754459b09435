import { Stack, Token } from 'aws-cdk-lib';
import { istioTarget } from '../../lambda/adapters/istio-target';
import { TrafficRouting, type RoutingBindContext } from '../../lib/routing';
import { bindIstio, type IstioRoutingOptions } from '../../lib/routing-istio';
import { newTestApp } from '../support/synth';

const context: RoutingBindContext = { clusterName: 'prod', namespace: 'shop', stableDeployment: 'web', canaryDeployment: 'web-canary' };
const subsets: IstioRoutingOptions = { virtualService: 'web', route: 'primary', host: 'web', stableSubset: 'stable', canarySubset: 'canary' };

function bind(options: IstioRoutingOptions) {
  const stack = new Stack(newTestApp(), 'Test');
  return bindIstio(stack, context, options);
}

describe('TrafficRouting.istio', () => {
  it('binds to a target the Istio router accepts, with no AWS write statements and Kubernetes access', () => {
    // Prepare
    const stack = new Stack(newTestApp(), 'Test');

    // Act
    const bound = TrafficRouting.istio({ ...subsets, testerRoute: { headerName: 'x-canary', headerValue: 'always' } })._bind(stack, context);

    // Assess
    expect(bound).toEqual({
      target: {
        kind: 'istio',
        key: 'istio:prod/shop/web#primary',
        clusterName: 'prod',
        namespace: 'shop',
        virtualService: 'web',
        route: 'primary',
        apiVersion: 'v1',
        stableHost: 'web',
        stableSubset: 'stable',
        canaryHost: 'web',
        canarySubset: 'canary',
        testerHeader: { name: 'x-canary', value: 'always' },
      },
      writeStatements: [],
      kubernetes: true,
      kubernetesGroups: ['serinus-istio'],
      problems: [],
      description: 'route "primary" of VirtualService shop/web',
    });
    expect(istioTarget(bound.target)).toBe(bound.target);
  });

  it('binds a two-Service setup in another namespace and API version', () => {
    // Act
    const bound = bind({ virtualService: 'edge', route: 'web', host: 'web', canaryHost: 'web-canary', namespace: 'mesh', apiVersion: 'v1beta1' });

    // Assess
    expect(bound.problems).toEqual([]);
    expect(bound.target).toEqual({
      kind: 'istio',
      key: 'istio:prod/mesh/edge#web',
      clusterName: 'prod',
      namespace: 'mesh',
      virtualService: 'edge',
      route: 'web',
      apiVersion: 'v1beta1',
      stableHost: 'web',
      canaryHost: 'web-canary',
    });
    expect(istioTarget(bound.target)).toBe(bound.target);
  });

  it.each<[string, IstioRoutingOptions, RegExp]>([
    ['one host without subsets', { virtualService: 'web', route: 'primary', host: 'web' }, /^routing: with one host, set both stableSubset and canarySubset/],
    ['one host with only the canary subset', { ...subsets, stableSubset: undefined }, /^routing: with one host, set both/],
    ['the same subset twice', { ...subsets, canarySubset: 'stable' }, /^routing: stable and canary must be different destinations/],
    ['a VirtualService name that is not a Kubernetes name', { ...subsets, virtualService: 'Web_VS' }, /^routing\.virtualService must be a Kubernetes object name/],
    ['a route name with spaces', { ...subsets, route: 'my route' }, /^routing\.route must be the name of an http route/],
    ['an unknown API version', { ...subsets, apiVersion: 'v1alpha3' }, /^routing\.apiVersion must be one of v1, v1beta1/],
    ['a header name Istio refuses', { ...subsets, testerRoute: { headerName: 'x.canary', headerValue: 'always' } }, /^routing\.testerRoute\.headerName must be letters, digits/],
    ['an empty header value', { ...subsets, testerRoute: { headerName: 'x-canary', headerValue: '' } }, /^routing\.testerRoute\.headerValue must be 1–128 visible ASCII/],
  ])('names the problem with %s', (_, options, problem) => {
    // Act
    const bound = bind(options);

    // Assess
    expect(bound.problems).toEqual([expect.stringMatching(problem)]);
  });

  it('leaves values known only at deploy time to the runtime check', () => {
    // Act
    const bound = bind({ ...subsets, virtualService: Token.asString({ Ref: 'Name' }), host: Token.asString({ Ref: 'Host' }) });

    // Assess
    expect(bound.problems).toEqual([]);
  });
});
