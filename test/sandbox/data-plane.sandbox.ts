/**
 * The sandbox proxy's data planes, without a rollout: which side each request goes to for the
 * rules, routes or pods the fakes hold.
 */
import type { Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { albDataPlane, istioDataPlane, replicaRatioDataPlane, type DataPlane, type RequestView, type Side } from '../../sandbox/data-plane';

const STABLE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/stable/0000000000000001';
const CANARY_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/canary/0000000000000002';

const request = (headers: Record<string, string> = {}, path = '/checkout?n=1'): RequestView => ({ path, method: 'GET', headers });

function forward(stable: number, canary: number): Rule['Actions'] {
  return [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE_TG, Weight: stable }, { TargetGroupArn: CANARY_TG, Weight: canary }] } }];
}

/** Sides of `count` requests, as letters: `s s c s …`. */
function sides(plane: DataPlane, count: number, view: RequestView = request()): string {
  return Array.from({ length: count }, () => (plane.route(view)?.side ?? '-').charAt(0)).join('');
}

const sideOfTg = (arn: string): Side | undefined => (arn === STABLE_TG ? 'stable' : arn === CANARY_TG ? 'canary' : undefined);

describe('the ALB data plane', () => {
  it('takes the first rule by priority whose conditions all hold, header values case-insensitively and with wildcards', () => {
    // Prepare: a tester rule before the steered rule, as serinus's tester route places it.
    const rules: Rule[] = [
      {
        RuleArn: 'tester',
        Priority: '5',
        IsDefault: false,
        Conditions: [
          { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Canary', Values: ['Alw*'] } },
          { Field: 'path-pattern', Values: ['/checkout*'] },
        ],
        Actions: [{ Type: 'forward', TargetGroupArn: CANARY_TG }],
      },
      { RuleArn: 'steered', Priority: '10', IsDefault: false, Conditions: [{ Field: 'path-pattern', Values: ['/*'] }], Actions: forward(90, 10) },
      { RuleArn: 'default', Priority: 'default', IsDefault: true, Conditions: [], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] },
    ];
    const plane = albDataPlane({ rules: () => rules, sideOf: sideOfTg, describe: 'listener' });

    // Act
    const tester = plane.route(request({ 'x-canary': 'always' }));
    const otherPath = plane.route(request({ 'x-canary': 'always' }, '/cart'));
    const otherValue = plane.route(request({ 'x-canary': 'never' }));

    // Assess
    expect(tester).toEqual({ side: 'canary', route: 'rule 5', split: { stable: 0, canary: 1 } });
    expect(otherPath?.route).toBe('rule 10');
    expect(otherValue?.route).toBe('rule 10');
    expect([...sides(plane, 10)].filter((side) => side === 'c')).toHaveLength(1);
  });

  it('spreads a weighted forward evenly and follows a weight change at the next request', () => {
    // Prepare
    let weights = [50, 50];
    const plane = albDataPlane({
      rules: () => [{ RuleArn: 'default', Priority: 'default', IsDefault: true, Conditions: [], Actions: forward(weights[0]!, weights[1]!) }],
      sideOf: sideOfTg,
      describe: 'listener',
    });

    // Act
    const even = sides(plane, 6);
    weights = [100, 0];
    const back = sides(plane, 4);

    // Assess
    expect(even).toBe('scscsc');
    expect(back).toBe('ssss');
  });

  it('forwards nothing where only a fixed response answers', () => {
    // Prepare
    const plane = albDataPlane({
      rules: () => [{ RuleArn: 'default', Priority: 'default', IsDefault: true, Conditions: [], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }],
      sideOf: sideOfTg,
      describe: 'listener',
    });

    // Act
    const decision = plane.route(request());

    // Assess
    expect(decision).toBeUndefined();
  });
});

describe('the Istio data plane', () => {
  const destination = (subset: string, weight?: number) => ({ destination: { host: 'checkout', subset }, ...(weight !== undefined && { weight }) });
  const spec = {
    http: [
      { name: 'serinus-tester-primary', match: [{ headers: { 'x-canary': { exact: 'always' } }, uri: { prefix: '/checkout' } }], route: [destination('canary')] },
      { name: 'primary', route: [destination('stable', 80), destination('canary', 20)] },
    ],
  };
  const plane = istioDataPlane({ spec: () => spec, sideOf: (d) => (d.subset === 'canary' ? 'canary' : d.subset === 'stable' ? 'stable' : undefined), describe: 'vs' });

  it.each<[string, RequestView, string]>([
    ['the header and the uri match the tester route', request({ 'x-canary': 'always' }), 'route serinus-tester-primary'],
    ['another value does not', request({ 'x-canary': 'sometimes' }), 'route primary'],
    ['another uri does not', request({ 'x-canary': 'always' }, '/cart'), 'route primary'],
    ['no header does not', request(), 'route primary'],
  ])('%s', (_name, view, route) => {
    // Act
    const decision = plane.route(view);

    // Assess
    expect(decision?.route).toBe(route);
  });

  it('spreads the route by its destination weights', () => {
    // Act
    const spread = sides(plane, 10);

    // Assess
    expect([...spread].filter((s) => s === 'c')).toHaveLength(2);
  });
});

describe('the replica-ratio data plane', () => {
  it('gives each ready pod its turn: 1 canary pod of 4 takes 1 request in 4', () => {
    // Prepare
    let pods = { stable: 3, canary: 1 };
    const plane = replicaRatioDataPlane({ readyPods: () => pods, describe: 'service' });

    // Act
    const mixed = sides(plane, 8);
    pods = { stable: 3, canary: 0 };
    const stableOnly = sides(plane, 4);

    // Assess
    expect([...mixed].filter((s) => s === 'c')).toHaveLength(2);
    expect(stableOnly).toBe('ssss');
  });
});
