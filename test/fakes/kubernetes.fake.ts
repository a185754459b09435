import https from 'node:https';
import { startFakeKubernetes, type FakeKubernetes } from '../../local/fake-kubernetes';

const PATH = '/apis/apps/v1/namespaces/shop/deployments/checkout';

let kube: FakeKubernetes;

beforeAll(async () => {
  kube = await startFakeKubernetes();
});

afterAll(() => kube.close());

beforeEach(() => {
  kube.reset({ rolloutDelayMs: 0 });
  kube.addDeployment('shop', 'checkout', { containers: [{ name: 'app', image: 'app:1' }], replicas: 2 });
});

/** One request on a fresh connection; resolves with the status, or with the network error's code. */
function request(method: string, body?: unknown): Promise<number | string> {
  return new Promise((resolve) => {
    const url = new URL(PATH, kube.url);
    const req = https.request(
      { method, hostname: url.hostname, port: url.port, path: url.pathname, ca: kube.caPem, agent: false, headers: { 'content-type': 'application/merge-patch+json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const image = (tag: string) => ({ spec: { template: { spec: { containers: [{ name: 'app', image: `app:${tag}` }] } } } });
const liveImage = () => kube.deployment('shop', 'checkout').spec.template.spec.containers[0]!.image;

describe('fake Kubernetes faults', () => {
  it('throttled, 5xx and access denied answer 429, 503 and 403 without applying; always keeps failing', async () => {
    // Prepare
    kube.injectFault({ method: 'PATCH', path: PATH, kind: 'throttled' });
    kube.injectFault({ method: 'PATCH', path: PATH, kind: 'serverError' });
    const denied = kube.injectFault({ method: 'GET', kind: 'accessDenied', times: 'always' });

    // Act
    const statuses = [await request('PATCH', image('2')), await request('PATCH', image('2')), await request('GET'), await request('GET')];

    // Assess
    expect(statuses).toEqual([429, 503, 403, 403]);
    expect(denied.hits).toBe(2);
    expect(liveImage()).toBe('app:1');
  });

  it('a lost reply applies the patch and drops the connection; a timeout drops it without applying', async () => {
    // Prepare
    kube.injectFault({ method: 'PATCH', kind: 'timeout' });
    kube.injectFault({ method: 'PATCH', kind: 'lostReply', match: (body) => JSON.stringify(body).includes('app:3') });

    // Act
    const timedOut = await request('PATCH', image('2'));
    const afterTimeout = liveImage();
    const lost = await request('PATCH', image('3'));

    // Assess
    expect(timedOut).toBe('ECONNRESET');
    expect(afterTimeout).toBe('app:1');
    expect(lost).toBe('ECONNRESET');
    expect(liveImage()).toBe('app:3');
  });

  it('holds a request mid-flight until released', async () => {
    // Prepare
    const held = kube.hold({ method: 'PATCH' });

    // Act
    const patching = request('PATCH', image('2'));
    await held.reached;
    const whileHeld = liveImage();
    held.release();

    // Assess
    expect(await patching).toBe(200);
    expect(whileHeld).toBe('app:1');
    expect(liveImage()).toBe('app:2');
  });
});

describe('fake Kubernetes controller', () => {
  it('holds a Deployment rollout until the test releases it, with no timer involved', async () => {
    // Prepare
    const rollout = kube.holdRollout('shop', 'checkout');

    // Act
    await request('PATCH', image('2'));
    await rollout.reached;
    const whileHeld = kube.deployment('shop', 'checkout');
    await rollout.release();

    // Assess
    expect(whileHeld.status.observedGeneration).toBe(1);
    expect(whileHeld.metadata.generation).toBe(2);
    const done = kube.deployment('shop', 'checkout');
    expect(done.status).toMatchObject({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2 });
  });
});
