import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { eksMock } from '../support/eks-mock';
import { EksConnections } from '../../lambda/adapters/eks-connection';
import type { IstioTarget } from '../../lambda/adapters/istio-target';
import { IstioTrafficRouter } from '../../lambda/adapters/istio-traffic-router';
import { ROUTER_ADAPTERS } from '../../lambda/adapters/routers';
import { DriftDetectedError, RecordMismatchError, ValidationFailedError, WeightNotAppliedError } from '../../lambda/errors';
import { type FakeKubernetes, type FakeObject, startFakeKubernetes } from '../../local/fake-kubernetes';
import { installIstioWebhook } from '../../local/fakes/istio-webhook';

const TOKEN = 'k8s-aws-v1.test-token';
const path = '/apis/networking.istio.io/v1/namespaces/shop/virtualservices/web';

const target: IstioTarget = {
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
};

const port = { number: 8080 };
const stable = (weight?: number) => ({ destination: { host: 'web', subset: 'stable', port }, ...(weight !== undefined && { weight }) });
const canary = (weight?: number) => ({ destination: { host: 'web', subset: 'canary', port }, ...(weight !== undefined && { weight }) });
const admin = { name: 'admin', match: [{ uri: { prefix: '/admin' } }], route: [{ destination: { host: 'admin' } }] };
const primary = (route: unknown[]) => ({ name: 'primary', match: [{ uri: { prefix: '/' } }], timeout: '5s', route });
const tester = {
  name: 'serinus-tester-primary',
  timeout: '5s',
  match: [{ uri: { prefix: '/' }, headers: { 'x-canary': { exact: 'always' } } }],
  route: [{ destination: { host: 'web', subset: 'canary', port } }],
};

function virtualService(http: unknown[]): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'web', namespace: 'shop', labels: { team: 'shop' }, annotations: { owner: 'platform' } },
    spec: { hosts: ['web.example.com'], gateways: ['shop/public'], http },
  };
}

let fake: FakeKubernetes;
let sleep: jest.Mock<Promise<void>, [number]>;
let router: IstioTrafficRouter;

beforeEach(async () => {
  eksMock.reset();
  fake = await startFakeKubernetes({ token: TOKEN });
  installIstioWebhook(fake);
  eksMock.on(DescribeClusterCommand).resolves({ cluster: fake.eksCluster('prod') });
  sleep = jest.fn(async (_ms: number) => undefined);
  router = new IstioTrafficRouter({ connections: new EksConnections(new EKSClient({}), async () => TOKEN), sleep });
});

afterEach(async () => {
  await fake.close();
});

const stored = (): FakeObject => fake.object(path);
const get = { method: 'GET', path, contentType: undefined, body: undefined, status: 200 };
/** The PUT serinus sends: the object exactly as read (its resourceVersion included), with `http` replaced. */
const put = (read: FakeObject, http: unknown[], status = 200) => ({
  method: 'PUT',
  path,
  contentType: 'application/json',
  body: { ...read, spec: { ...(read.spec as object), http } },
  status,
});
const writes = () => fake.requests.filter((request) => request.method !== 'GET');

describe('IstioTrafficRouter reads', () => {
  it('reads the raw weights of the named route with one GET', async () => {
    // Prepare
    fake.putObject(path, virtualService([admin, primary([stable(90), canary(10)])]));

    // Act
    const reading = await router.readTraffic(target);

    // Assess
    expect(reading).toEqual({ weights: { stable: 90, canary: 10 }, canaryAttached: true });
    expect(fake.requests).toEqual([get]);
  });

  it('reads a route with only the stable destination as all traffic on stable, canary not attached', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable()])]));

    // Act
    const reading = await router.readTraffic(target);

    // Assess
    expect(reading).toEqual({ weights: { stable: 100, canary: 0 }, canaryAttached: false });
  });

  it('speaks v1beta1 when the target says so', async () => {
    // Prepare
    const beta = '/apis/networking.istio.io/v1beta1/namespaces/shop/virtualservices/web';
    fake.putObject(beta, virtualService([primary([stable(80), canary(20)])]));

    // Act
    const weights = await router.readWeights({ ...target, apiVersion: 'v1beta1' });

    // Assess
    expect(weights).toEqual({ stable: 80, canary: 20 });
    expect(fake.requests.map((r) => r.path)).toEqual([beta]);
  });

  it.each<[string, unknown[], RegExp]>([
    ['a third destination', [primary([stable(80), canary(10), { destination: { host: 'legacy' }, weight: 10 }])], /also routes to host "legacy"/],
    ['no route of that name', [admin], /has no http route named "primary"/],
  ])('refuses a route it cannot steer: %s', async (_, http, message) => {
    // Prepare
    fake.putObject(path, virtualService(http));

    // Act
    const result = router.readWeights(target);

    // Assess
    await expect(result).rejects.toThrow(ValidationFailedError);
    await expect(result).rejects.toThrow(message);
  });

  it('names the VirtualService when it does not exist', async () => {
    // Act
    const result = router.readWeights(target);

    // Assess
    await expect(result).rejects.toThrow(ValidationFailedError);
    await expect(result).rejects.toThrow(
      'route "primary" of virtualservice "web" in namespace "shop" (cluster "prod") does not exist (networking.istio.io/v1); ' +
        "on Istio before 1.22, which serves no v1, set the routing's apiVersion to v1beta1",
    );
  });

  it('explains a 403 with the RBAC the Lambda role needs, which AmazonEKSEditPolicy does not give', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(100), canary(0)])]));
    fake.forbid('shop');

    // Act
    const result = router.readWeights(target);

    // Assess
    await expect(result).rejects.toThrow(ValidationFailedError);
    await expect(result).rejects.toThrow(
      /^serinus may not read .* \(403 Forbidden\): EKS access policies such as AmazonEKSEditPolicy do not cover the networking\.istio\.io API group\. Bind a Role in namespace "shop" allowing get, update and patch on virtualservices\.networking\.istio\.io to a Kubernetes group, and add that group to the Lambda role's EKS access entry \(kubernetesGroups\)$/,
    );
  });

  it('has no target health to report', async () => {
    // Act
    const healthy = await router.healthyTargets();

    // Assess
    expect(healthy).toBeUndefined();
    expect(fake.requests).toEqual([]);
  });
});

describe('IstioTrafficRouter.writeWeights', () => {
  it('PUTs the object as read with only the two weights changed, then reads it back', async () => {
    // Prepare
    const read = fake.putObject(path, virtualService([admin, primary([{ ...stable(90), headers: { request: { set: { 'x-side': 's' } } } }, canary(10)])]));

    // Act
    const result = await router.writeWeights(target, { stable: 75, canary: 25 }, { expected: { stable: 90, canary: 10 } });

    // Assess
    expect(result).toEqual({ previous: { stable: 90, canary: 10 }, applied: { stable: 75, canary: 25 }, wrote: true });
    expect(fake.requests).toEqual([
      get,
      put(read, [admin, primary([{ ...stable(75), headers: { request: { set: { 'x-side': 's' } } } }, canary(25)])]),
      get,
    ]);
    expect(stored().metadata).toEqual({ ...read.metadata, generation: 2, resourceVersion: expect.any(String) });
    expect(stored().metadata.resourceVersion).not.toBe(read.metadata.resourceVersion);
  });

  it('adds the canary destination at its weight when the route had only stable', async () => {
    // Prepare
    const read = fake.putObject(path, virtualService([primary([stable()])]));

    // Act
    await router.writeWeights(target, { stable: 90, canary: 10 });

    // Assess
    expect(writes()).toEqual([put(read, [primary([stable(90), canary(10)])])]);
  });

  it('refuses drift and writes nothing', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(50), canary(50)])]));
    const before = stored();

    // Act
    const result = router.writeWeights(target, { stable: 75, canary: 25 }, { expected: { stable: 90, canary: 10 } });

    // Assess
    await expect(result).rejects.toThrow(DriftDetectedError);
    await expect(result).rejects.toThrow('carries stable 50 / canary 50, but serinus last wrote stable 90 / canary 10');
    expect(writes()).toEqual([]);
    expect(stored()).toEqual(before);
  });

  it('takes live weights equal to the wanted ones as its own retried write: nothing to write', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(75), canary(25)])]));

    // Act
    const result = await router.writeWeights(target, { stable: 75, canary: 25 }, { expected: { stable: 90, canary: 10 } });

    // Assess
    expect(result).toEqual({ previous: { stable: 75, canary: 25 }, applied: { stable: 75, canary: 25 }, wrote: false });
    expect(writes()).toEqual([]);
  });

  it('lets decide pick the weights from the live read, and write nothing when it says so', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(90), canary(10)])]));
    const decide = jest.fn(async () => undefined);

    // Act
    const result = await router.writeWeights(target, { stable: 0, canary: 0 }, { decide });

    // Assess
    expect(decide).toHaveBeenCalledWith({ stable: 90, canary: 10 });
    expect(result).toEqual({ previous: { stable: 90, canary: 10 }, applied: { stable: 90, canary: 10 }, wrote: false });
    expect(writes()).toEqual([]);
  });

  it('awaits the fence right before the PUT', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(90), canary(10)])]));
    const seenAtFence: string[][] = [];
    const fence = jest.fn(async () => {
      seenAtFence.push(fake.requests.map((r) => r.method));
    });

    // Act
    await router.writeWeights(target, { stable: 80, canary: 20 }, { fence });

    // Assess
    expect(seenAtFence).toEqual([['GET']]);
    expect(fake.requests.map((r) => r.method)).toEqual(['GET', 'PUT', 'GET']);
  });

  it('writes nothing when the fence fails', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(90), canary(10)])]));
    const before = stored();
    const fence = jest.fn(async () => {
      throw new RecordMismatchError('the rollout was ended by cleanup');
    });

    // Act
    const result = router.writeWeights(target, { stable: 80, canary: 20 }, { fence });

    // Assess
    await expect(result).rejects.toThrow(RecordMismatchError);
    expect(writes()).toEqual([]);
    expect(stored()).toEqual(before);
  });

  it('on 409 reads again and writes over the fresh object, keeping the concurrent edit, fencing each PUT', async () => {
    // Prepare
    const first = fake.putObject(path, virtualService([primary([stable(90), canary(10)])]));
    let second: FakeObject | undefined;
    // Someone edits another route between serinus's read and its write.
    const fence = jest.fn(async () => {
      if (!second) second = fake.putObject(path, virtualService([admin, primary([stable(90), canary(10)])]));
    });

    // Act
    const result = await router.writeWeights(target, { stable: 80, canary: 20 }, { expected: { stable: 90, canary: 10 }, fence });

    // Assess
    expect(result.wrote).toBe(true);
    expect(fence).toHaveBeenCalledTimes(2);
    expect(fake.requests).toEqual([get, put(first, [primary([stable(80), canary(20)])], 409), get, put(second!, [admin, primary([stable(80), canary(20)])]), get]);
    expect((stored().spec as { http: unknown[] }).http).toEqual([admin, primary([stable(80), canary(20)])]);
  });

  it('on 409 re-checks drift on the fresh read: a concurrent weight change is refused, never overwritten', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(90), canary(10)])]));
    let edited = false;
    const fence = jest.fn(async () => {
      if (!edited) fake.putObject(path, virtualService([primary([stable(40), canary(60)])]));
      edited = true;
    });

    // Act
    const result = router.writeWeights(target, { stable: 80, canary: 20 }, { expected: { stable: 90, canary: 10 }, fence });

    // Assess
    await expect(result).rejects.toThrow(DriftDetectedError);
    expect(fake.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'PUT 409', 'GET 200']);
    expect((stored().spec as { http: unknown[] }).http).toEqual([primary([stable(40), canary(60)])]);
  });

  it('gives up after its conflict attempts with the 409, which stays retryable', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(90), canary(10)])]));
    const fence = jest.fn(async () => {
      fake.putObject(path, virtualService([primary([stable(90), canary(10)])]));
    });
    router = new IstioTrafficRouter({ connections: new EksConnections(new EKSClient({}), async () => TOKEN), sleep, conflictAttempts: 2 });

    // Act
    const result = router.writeWeights(target, { stable: 80, canary: 20 }, { fence });

    // Assess
    await expect(result).rejects.toThrow(/answered 409/);
    await expect(result).rejects.not.toThrow(ValidationFailedError);
    expect(fake.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'PUT 409', 'GET 200', 'PUT 409']);
  });

  it('fails with WeightNotApplied when the read-back never shows the written weights', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(90), canary(10)])]));
    // Something (a mutating webhook, a GitOps controller) puts the old weights back at once.
    fake.onObjectChange((changed, object) => {
      const http = (object.spec as { http: Array<{ route: Array<{ weight: number }> }> }).http;
      if (http[0].route[1].weight !== 10) fake.putObject(changed, virtualService([primary([stable(90), canary(10)])]));
    });

    // Act
    const result = router.writeWeights(target, { stable: 80, canary: 20 });

    // Assess
    await expect(result).rejects.toThrow(WeightNotAppliedError);
    await expect(result).rejects.toThrow('after 3 reads it shows stable 90 / canary 10');
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  it("surfaces a refusal of Istio's validating webhook as ValidationFailed, not a retryable error", async () => {
    // Prepare: a route stored before the webhook ran; Istio's webhook refuses any write of the object
    // while it is invalid (pkg/config/validation: "total destination weight %v != 100").
    fake.putObject(path, virtualService([primary([stable(90), canary(10)]), { name: 'legacy', route: [stable(50), canary(40)] }]));

    // Act
    const result = router.writeWeights(target, { stable: 80, canary: 20 });

    // Assess
    await expect(result).rejects.toThrow(ValidationFailedError);
    await expect(result).rejects.toThrow(
      'Kubernetes refused the update of route "primary" of virtualservice "web" in namespace "shop" (cluster "prod"): ' +
        'admission webhook "validation.istio.io" denied the request: configuration is invalid: total destination weight 90 != 100',
    );
    expect(fake.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'PUT 400']);
  });
});

describe('IstioTrafficRouter.attachCanary', () => {
  it('adds the canary at weight 0 once', async () => {
    // Prepare
    const read = fake.putObject(path, virtualService([primary([stable()])]));

    // Act
    const first = await router.attachCanary(target);
    const second = await router.attachCanary(target);

    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(writes()).toEqual([put(read, [primary([stable(100), canary(0)])])]);
  });
});

describe('IstioTrafficRouter.restoreStable', () => {
  it('puts stable at 100 and the canary at 0 and removes the tester route in one PUT', async () => {
    // Prepare
    const read = fake.putObject(path, virtualService([admin, tester, primary([stable(60), canary(40)])]));

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result).toEqual({ wrote: true, nothingToSteer: false, findings: [] });
    expect(fake.requests).toEqual([get, put(read, [admin, primary([stable(100), canary(0)])]), get]);
  });

  it('sets a third destination to 0 and names it', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(50), canary(30), { destination: { host: 'legacy' }, weight: 20 }])]));

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result.wrote).toBe(true);
    expect(result.findings).toEqual([
      'virtualservice "web" in namespace "shop": route "primary" routed to host "legacy" (weight 20), which is neither the stable nor the canary destination; set to 0',
    ]);
    expect((stored().spec as { http: unknown[] }).http).toEqual([primary([stable(100), canary(0), { destination: { host: 'legacy' }, weight: 0 }])]);
  });

  it('puts a missing stable destination back', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([canary(100)])]));

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result.findings).toEqual([expect.stringMatching(/no longer routed to the stable destination/)]);
    expect((stored().spec as { http: unknown[] }).http).toEqual([primary([stable(100), canary(0)])]);
  });

  it('writes nothing when traffic is already on stable', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(100), canary(0)])]));

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result).toEqual({ wrote: false, nothingToSteer: false, findings: [] });
    expect(writes()).toEqual([]);
  });

  it.each<[string, () => void, RegExp]>([
    ['the VirtualService is gone', () => undefined, /no longer exists, so no traffic goes through it/],
    ['the route is gone', () => fake.putObject(path, virtualService([admin])), /has no http route named "primary", so no traffic goes through it/],
  ])('has nothing to steer when %s, and does not refuse', async (_, prepare, finding) => {
    // Prepare
    prepare();

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result).toEqual({ wrote: false, nothingToSteer: true, findings: [expect.stringMatching(finding)] });
    expect(writes()).toEqual([]);
  });

  it('on 409 plans again from the fresh read', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(90), canary(10)])]));
    let edited = false;
    const fence = jest.fn(async () => {
      if (!edited) fake.putObject(path, virtualService([primary([stable(20), canary(80)])]));
      edited = true;
    });

    // Act
    const result = await router.restoreStable(target, fence);

    // Assess
    expect(result.wrote).toBe(true);
    expect(fake.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'PUT 409', 'GET 200', 'PUT 200', 'GET 200']);
    expect((stored().spec as { http: unknown[] }).http).toEqual([primary([stable(100), canary(0)])]);
  });

  it('writes nothing when the fence fails', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(90), canary(10)])]));
    const before = stored();

    // Act
    const result = router.restoreStable(target, async () => {
      throw new RecordMismatchError('taken over');
    });

    // Assess
    await expect(result).rejects.toThrow(RecordMismatchError);
    expect(stored()).toEqual(before);
  });
});

describe('IstioTrafficRouter.testerRoute', () => {
  it('opens the route before the steered one, once, and says it is open', async () => {
    // Prepare
    const read = fake.putObject(path, virtualService([admin, primary([stable(100), canary(0)])]));
    const fence = jest.fn(async () => undefined);

    // Act
    const first = await router.testerRoute.open(target, fence);
    const second = await router.testerRoute.open(target, fence);
    const open = await router.testerRoute.isOpen(target);

    // Assess
    expect([first, second, open]).toEqual([true, false, true]);
    expect(fence).toHaveBeenCalledTimes(1);
    expect(writes()).toEqual([put(read, [admin, tester, primary([stable(100), canary(0)])])]);
  });

  it('takes a tester route the API server returns with sorted keys as already open', async () => {
    // Prepare: the API server keeps a custom object as a JSON map and returns its keys sorted.
    const sorted = {
      match: [{ headers: { 'x-canary': { exact: 'always' } }, uri: { prefix: '/' } }],
      name: 'serinus-tester-primary',
      route: [{ destination: { host: 'web', port, subset: 'canary' } }],
      timeout: '5s',
    };
    fake.putObject(path, virtualService([sorted, primary([stable(100), canary(0)])]));

    // Act
    const wrote = await router.testerRoute.open(target);

    // Assess
    expect(wrote).toBe(false);
    expect(writes()).toEqual([]);
  });

  it('closes it, and closing again or closing on a gone VirtualService is not an error', async () => {
    // Prepare
    fake.putObject(path, virtualService([admin, tester, primary([stable(100), canary(0)])]));

    // Act
    const first = await router.testerRoute.close(target);
    const second = await router.testerRoute.close(target);
    fake.reset();
    const gone = await router.testerRoute.close(target);

    // Assess
    expect([first, second, gone]).toEqual([true, false, false]);
    expect(await router.testerRoute.isOpen(target)).toBe(false);
  });

  it('is gone after restoreStable', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(100), canary(0)])]));
    await router.testerRoute.open(target);

    // Act
    await router.restoreStable(target);

    // Assess
    expect(await router.testerRoute.isOpen(target)).toBe(false);
    expect((stored().spec as { http: unknown[] }).http).toEqual([primary([stable(100), canary(0)])]);
  });

  it('refuses to open without a tester header, writing nothing', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(100), canary(0)])]));
    const { testerHeader: _, ...bare } = target;

    // Act
    const result = router.testerRoute.open(bare);

    // Assess
    await expect(result).rejects.toThrow(ValidationFailedError);
    expect(fake.requests).toEqual([]);
  });

  it('writes nothing when the fence fails', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(100), canary(0)])]));

    // Act
    const result = router.testerRoute.open(target, async () => {
      throw new RecordMismatchError('ended');
    });

    // Assess
    await expect(result).rejects.toThrow(RecordMismatchError);
    expect(writes()).toEqual([]);
  });
});

describe('the istio router registry entry', () => {
  it('builds the Istio router on the shared Kubernetes connections', async () => {
    // Prepare
    fake.putObject(path, virtualService([primary([stable(70), canary(30)])]));
    const connections = new EksConnections(new EKSClient({}), async () => TOKEN);
    const kube = jest.fn(async () => connections);

    // Act
    const built = await ROUTER_ADAPTERS.istio!({ sleep, kube, workloads: jest.fn() });
    const weights = await built.readWeights(target);

    // Assess
    expect(built).toBeInstanceOf(IstioTrafficRouter);
    expect(kube).toHaveBeenCalledTimes(1);
    expect(weights).toEqual({ stable: 70, canary: 30 });
  });
});

describe('the target check', () => {
  it.each<[string, Partial<IstioTarget>, RegExp]>([
    ['a key that is not the route', { key: 'istio:prod/shop/web#other' }, /key must be istio:/],
    ['the same destination twice', { canarySubset: 'stable' }, /stable and canary must be different destinations/],
    ['an unknown API version', { apiVersion: 'v1alpha3' as 'v1' }, /apiVersion/],
    ['a header name Istio refuses', { testerHeader: { name: 'x.canary', value: 'always' } }, /Istio refuses others/],
  ])('refuses %s before any request', async (_, change, message) => {
    // Act
    const result = router.readWeights({ ...target, ...change });

    // Assess
    await expect(result).rejects.toThrow(ValidationFailedError);
    await expect(result).rejects.toThrow(message);
    expect(fake.requests).toEqual([]);
  });
});
