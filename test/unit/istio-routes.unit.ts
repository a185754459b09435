import {
  canonicalHost,
  hasTesterRoute,
  type IstioRouteRef,
  planRestore,
  readRoute,
  testerRouteName,
  type VirtualServiceSpec,
  withTesterRoute,
  withWeights,
  withoutTesterRoute,
} from '../../lambda/domain/istio-routes';

const ref: IstioRouteRef = { namespace: 'shop', route: 'primary', stable: { host: 'web', subset: 'stable' }, canary: { host: 'web', subset: 'canary' } };
const twoHosts: IstioRouteRef = { namespace: 'shop', route: 'primary', stable: { host: 'web' }, canary: { host: 'web-canary' } };

const port = { number: 8080 };
const stable = (weight?: number, host = 'web') => ({ destination: { host, subset: 'stable', port }, ...(weight !== undefined && { weight }) });
const canary = (weight?: number, host = 'web') => ({ destination: { host, subset: 'canary', port }, ...(weight !== undefined && { weight }) });
const other = (weight: number) => ({ destination: { host: 'legacy', port }, weight });

/** A VirtualService spec with a route before and after the steered one, and fields serinus must keep. */
function spec(destinations: unknown[], extra: Record<string, unknown> = {}): VirtualServiceSpec {
  return {
    hosts: ['web.example.com'],
    gateways: ['shop/public'],
    http: [
      { name: 'admin', match: [{ uri: { prefix: '/admin' } }], route: [{ destination: { host: 'admin' } }] },
      { name: 'primary', match: [{ uri: { prefix: '/' } }], timeout: '5s', retries: { attempts: 2 }, route: destinations, ...extra },
      { name: 'fallback', route: [{ destination: { host: 'web', subset: 'stable' } }] },
    ],
  };
}

const routeOf = (s: VirtualServiceSpec, name: string) => (s.http as Array<Record<string, unknown>>).find((r) => r.name === name);

describe('canonicalHost', () => {
  it.each([
    ['web', 'web.shop'],
    ['web.shop', 'web.shop'],
    ['web.shop.svc', 'web.shop'],
    ['web.shop.svc.cluster.local', 'web.shop'],
    ['Web.Shop.svc.cluster.local.', 'web.shop'],
    ['web.other.svc.cluster.local', 'web.other'],
    ['api.example.com', 'api.example.com'],
  ])('reads %s from namespace shop as %s', (host, expected) => {
    // Act
    const canonical = canonicalHost(host, 'shop');

    // Assess
    expect(canonical).toBe(expected);
  });
});

describe('readRoute', () => {
  it.each<[string, unknown[], IstioRouteRef, { weights: { stable: number; canary: number }; canaryAttached: boolean }]>([
    ['stable and canary subsets', [stable(90), canary(10)], ref, { weights: { stable: 90, canary: 10 }, canaryAttached: true }],
    ['canary first', [canary(25), stable(75)], ref, { weights: { stable: 75, canary: 25 }, canaryAttached: true }],
    ['a single stable destination takes all traffic, whatever its weight', [stable()], ref, { weights: { stable: 100, canary: 0 }, canaryAttached: false }],
    ['a single stable destination with weight 0 still takes all traffic', [stable(0)], ref, { weights: { stable: 100, canary: 0 }, canaryAttached: false }],
    ['a missing weight next to another destination is 0', [stable(100), canary()], ref, { weights: { stable: 100, canary: 0 }, canaryAttached: true }],
    ['hosts written as FQDNs', [stable(80, 'web.shop.svc.cluster.local'), canary(20, 'web.shop')], ref, { weights: { stable: 80, canary: 20 }, canaryAttached: true }],
    [
      'two hosts without subsets',
      [{ destination: { host: 'web' }, weight: 60 }, { destination: { host: 'web-canary.shop.svc.cluster.local' }, weight: 40 }],
      twoHosts,
      { weights: { stable: 60, canary: 40 }, canaryAttached: true },
    ],
  ])('reads %s', (_, destinations, routeRef, expected) => {
    // Act
    const view = readRoute(spec(destinations), routeRef);

    // Assess
    expect(view).toEqual({ steerable: true, ...expected });
  });

  it.each<[string, VirtualServiceSpec, boolean, RegExp]>([
    ['no route of that name', { http: [{ name: 'other', route: [stable(100)] }] }, true, /has no http route named "primary"/],
    ['a redirect', spec([], { redirect: { uri: '/moved' } }), true, /has no destinations/],
    ['a third destination', spec([stable(80), canary(10), other(10)]), false, /also routes to host "legacy".*neither the stable.*nor the canary/],
    ['a subset that is neither side', spec([stable(90), { destination: { host: 'web', subset: 'v3' }, weight: 10 }]), false, /host "web" subset "v3"/],
    ['no stable destination', spec([canary(100)]), false, /does not include the stable destination \(host "web" subset "stable"\)/],
    ['stable listed twice', spec([stable(50), stable(50)]), false, /lists a destination twice/],
    ['a canary without subset on a subset route', spec([stable(90), { destination: { host: 'web' }, weight: 10 }]), false, /also routes to host "web",/],
  ])('cannot steer %s', (_, vs, gone, problem) => {
    // Act
    const view = readRoute(vs, ref);

    // Assess
    expect(view).toEqual({ steerable: false, gone, problem: expect.stringMatching(problem) });
  });
});

describe('withWeights', () => {
  it('sets the two weights and keeps every other field of the spec, the route and each destination entry', () => {
    // Prepare
    const headers = { request: { set: { 'x-side': 'stable' } } };
    const before = spec([{ ...stable(90), headers }, canary(10)]);

    // Act
    const after = withWeights(before, ref, { stable: 70, canary: 30 });

    // Assess
    expect(after).toEqual({
      ...before,
      http: [
        (before.http as unknown[])[0],
        { name: 'primary', match: [{ uri: { prefix: '/' } }], timeout: '5s', retries: { attempts: 2 }, route: [{ ...stable(70), headers }, canary(30)] },
        (before.http as unknown[])[2],
      ],
    });
    expect(before).toEqual(spec([{ ...stable(90), headers }, canary(10)]));
  });

  it('adds the canary right after stable, with stable\'s port, when the route has only stable', () => {
    // Act
    const after = withWeights(spec([stable()]), ref, { stable: 100, canary: 0 });

    // Assess
    expect(routeOf(after, 'primary')?.route).toEqual([
      { destination: { host: 'web', subset: 'stable', port }, weight: 100 },
      { destination: { host: 'web', subset: 'canary', port }, weight: 0 },
    ]);
  });

  it('adds a canary host without a subset in a two-host setup', () => {
    // Act
    const after = withWeights(spec([{ destination: { host: 'web' } }]), twoHosts, { stable: 100, canary: 0 });

    // Assess
    expect(routeOf(after, 'primary')?.route).toEqual([
      { destination: { host: 'web' }, weight: 100 },
      { destination: { host: 'web-canary' }, weight: 0 },
    ]);
  });
});

describe('planRestore', () => {
  it.each<[string, unknown[], unknown[] | undefined, RegExp[]]>([
    ['canary at 10', [stable(90), canary(10)], [stable(100), canary(0)], []],
    ['all on the canary', [stable(0), canary(100)], [stable(100), canary(0)], [/gave the stable destination weight 0; set it to 100/]],
    ['already stable 100 / canary 0', [stable(100), canary(0)], undefined, []],
    ['a single stable destination', [stable()], undefined, []],
    ['a third destination with traffic', [stable(70), canary(10), other(20)], [stable(100), canary(0), other(0)], [/routed to host "legacy" \(weight 20\).*set to 0/]],
    ['a third destination at 0', [stable(90), canary(10), other(0)], [stable(100), canary(0), other(0)], [/also lists host "legacy" at weight 0/]],
    [
      'stable missing',
      [canary(100)],
      [{ destination: { host: 'web', subset: 'stable', port }, weight: 100 }, canary(0)],
      [/no longer routed to the stable destination.*put it back at weight 100/],
    ],
    ['stable listed twice', [stable(50), stable(50)], [stable(100), stable(0)], [/listed the stable destination twice/]],
  ])('from %s', (_, destinations, expected, findings) => {
    // Act
    const plan = planRestore(spec(destinations), ref);

    // Assess
    expect(plan.nothingToSteer).toBe(false);
    expect(plan.spec && routeOf(plan.spec, 'primary')?.route).toEqual(expected);
    expect(plan.findings).toHaveLength(findings.length);
    findings.forEach((finding, i) => expect(plan.findings[i]).toMatch(finding));
  });

  it('removes the tester route even when the weights are already restored', () => {
    // Prepare
    const open = withTesterRoute(spec([stable(100), canary(0)]), ref, { name: 'x-canary', value: 'always' });

    // Act
    const plan = planRestore(open, ref);

    // Assess
    expect(plan.spec).toEqual(spec([stable(100), canary(0)]));
  });

  it.each<[string, VirtualServiceSpec]>([
    ['the route is gone', { hosts: ['web'], http: [{ name: 'other', route: [stable(100)] }] }],
    ['the route is a redirect', spec([], { redirect: { uri: '/moved' } })],
  ])('has nothing to steer when %s', (_, vs) => {
    // Act
    const plan = planRestore(vs, ref);

    // Assess
    expect(plan).toEqual({ nothingToSteer: true, findings: [expect.stringMatching(/no traffic goes through it/)] });
  });

  it('removes a tester route left behind by a route that is gone', () => {
    // Prepare
    const vs = { http: [{ name: testerRouteName('primary'), route: [canary()] }, { name: 'other', route: [stable(100)] }] };

    // Act
    const plan = planRestore(vs, ref);

    // Assess
    expect(plan.nothingToSteer).toBe(true);
    expect(plan.spec).toEqual({ http: [{ name: 'other', route: [stable(100)] }] });
  });
});

describe('the tester route', () => {
  const header = { name: 'X-Canary', value: 'always' };

  it('goes right before the steered route: its matches and the header, to the canary, with the route\'s other fields', () => {
    // Prepare
    const before = spec([stable(90), canary(10)], { match: [{ uri: { prefix: '/' } }, { uri: { prefix: '/api' }, headers: { cookie: { regex: '.*beta.*' } } }] });

    // Act
    const after = withTesterRoute(before, ref, header);

    // Assess
    expect((after.http as Array<{ name: string }>).map((r) => r.name)).toEqual(['admin', 'serinus-tester-primary', 'primary', 'fallback']);
    expect(routeOf(after, 'serinus-tester-primary')).toEqual({
      name: 'serinus-tester-primary',
      timeout: '5s',
      retries: { attempts: 2 },
      match: [
        { uri: { prefix: '/' }, headers: { 'x-canary': { exact: 'always' } } },
        { uri: { prefix: '/api' }, headers: { cookie: { regex: '.*beta.*' }, 'x-canary': { exact: 'always' } } },
      ],
      route: [{ destination: { host: 'web', subset: 'canary', port } }],
    });
    expect(routeOf(after, 'primary')).toEqual(routeOf(before, 'primary'));
  });

  it('matches on the header alone when the steered route matches everything', () => {
    // Prepare
    const vs = { http: [{ name: 'primary', route: [stable()] }] };

    // Act
    const after = withTesterRoute(vs, ref, header);

    // Assess
    expect(after.http).toEqual([
      { name: 'serinus-tester-primary', match: [{ headers: { 'x-canary': { exact: 'always' } } }], route: [{ destination: { host: 'web', subset: 'canary', port } }] },
      { name: 'primary', route: [stable()] },
    ]);
  });

  it('is replaced, not duplicated, when opened again', () => {
    // Prepare
    const once = withTesterRoute(spec([stable(90), canary(10)]), ref, header);

    // Act
    const twice = withTesterRoute(once, ref, header);

    // Assess
    expect(twice).toEqual(once);
  });

  it('is removed by withoutTesterRoute, which says when there is none', () => {
    // Prepare
    const before = spec([stable(90), canary(10)]);
    const open = withTesterRoute(before, ref, header);

    // Act
    const closed = withoutTesterRoute(open, 'primary');

    // Assess
    expect(hasTesterRoute(open, 'primary')).toBe(true);
    expect(closed).toEqual(before);
    expect(withoutTesterRoute(before, 'primary')).toBeUndefined();
    expect(hasTesterRoute(before, 'primary')).toBe(false);
  });
});
