import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { eksMock } from '../support/eks-mock';
import { EksConnections } from '../../lambda/adapters/eks-connection';
import { EksWorkloads } from '../../lambda/adapters/eks-workloads';
import { ReplicaRatioRouter } from '../../lambda/adapters/replica-ratio-router';
import { REPLICA_RATIO_ROUTER, replicaRatioTarget, type ReplicaRatioTarget } from '../../lambda/adapters/replica-ratio-target';
import { TrafficRouters } from '../../lambda/adapters/routers';
import { RATIO_ANNOTATION, formatRatioRecord, parseRatioRecord, type RatioRecord } from '../../lambda/domain/replica-ratio';
import type { TrafficTarget, Weights } from '../../lambda/domain/types';
import { DriftDetectedError, RecordMismatchError, ValidationFailedError, WeightNotAppliedError } from '../../lambda/errors';
import type { TrafficRouter } from '../../lambda/ports';
import { logger } from '../../lambda/shared/observability';
import { type FakeKubernetes, type FakeRequest, startFakeKubernetes } from '../../local/fake-kubernetes';

const TOKEN = 'k8s-aws-v1.test-token';
const STABLE = '/apis/apps/v1/namespaces/shop/deployments/checkout';
const CANARY = '/apis/apps/v1/namespaces/shop/deployments/checkout-canary';
const target: ReplicaRatioTarget = {
  kind: REPLICA_RATIO_ROUTER,
  key: 'replica-ratio:prod/shop/checkout',
  clusterName: 'prod',
  namespace: 'shop',
  stableDeployment: 'checkout',
  canaryDeployment: 'checkout-canary',
  serviceName: 'checkout',
  minReplicas: 1,
};
const containers = [{ name: 'app', image: 'checkout:1.0.0' }];
const w = (canary: number): Weights => ({ stable: 100 - canary, canary });

let fake: FakeKubernetes;
let workloads: EksWorkloads;
/** Time passing between two reads: the Deployment controller catches up. */
let sleep: jest.Mock<Promise<void>, [number]>;

beforeAll(async () => {
  // A new generation only rolls out when a test lets time pass, so every wait is observable.
  fake = await startFakeKubernetes({ token: TOKEN, rolloutDelayMs: 60_000 });
  eksMock.reset();
  eksMock.on(DescribeClusterCommand).resolves({ cluster: fake.eksCluster('prod') });
  // One connection for the file, as a warm function keeps it.
  workloads = new EksWorkloads(new EksConnections(new EKSClient({}), async () => TOKEN));
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
  sleep = jest.fn(async (_ms: number) => fake.settleRollouts());
  jest.spyOn(logger, 'info').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

const newRouter = (readyAttempts = 3) => new ReplicaRatioRouter(workloads, { sleep, readyAttempts, readyDelayMs: 1000 });

function deployments(stable: number, canary: number | undefined): void {
  fake.addDeployment('shop', 'checkout', { containers, replicas: stable });
  if (canary !== undefined) fake.addDeployment('shop', 'checkout-canary', { containers, replicas: canary });
}

/** Puts the record on the canary Deployment the way a router would, then forgets the requests. */
async function recorded(record: RatioRecord | string): Promise<void> {
  const value = typeof record === 'string' ? record : formatRatioRecord(record);
  await workloads.annotate({ clusterName: 'prod', namespace: 'shop', name: 'checkout-canary' }, { [RATIO_ANNOTATION]: value });
  fake.requests.length = 0;
}

/** The requests, with the recorded annotation parsed so that a test can read it. */
function sent(): unknown[] {
  return fake.requests.map((request: FakeRequest) => {
    const annotations = (request.body as { metadata?: { annotations?: Record<string, string> } } | undefined)?.metadata?.annotations;
    const value = annotations?.[RATIO_ANNOTATION];
    return value === undefined ? request : { ...request, body: { metadata: { annotations: { [RATIO_ANNOTATION]: JSON.parse(value) } } } };
  });
}

const get = (path: string) => ({ method: 'GET', path, contentType: undefined, body: undefined, status: 200 });
const scale = (path: string, replicas: number) => ({
  method: 'PATCH',
  path: `${path}/scale`,
  contentType: 'application/merge-patch+json',
  body: { spec: { replicas } },
  status: 200,
});
const annotate = (record: RatioRecord) => ({
  method: 'PATCH',
  path: CANARY,
  contentType: 'application/merge-patch+json',
  body: { metadata: { annotations: { [RATIO_ANNOTATION]: record } } },
  status: 200,
});
const patches = () => fake.requests.filter((request) => request.method === 'PATCH');

/**
 * Every time a Deployment's spec loses replicas, how ready the other one was: make before break
 * means the side that takes the traffic over is ready at its count before the other gives up pods.
 */
function watchShrinks(): Array<{ shrunk: string; to: number; otherSpec: number; otherAvailable: number }> {
  const specs = new Map<string, number>();
  for (const name of ['checkout', 'checkout-canary']) {
    try {
      specs.set(name, fake.deployment('shop', name).spec.replicas);
    } catch {
      // not there
    }
  }
  const shrinks: Array<{ shrunk: string; to: number; otherSpec: number; otherAvailable: number }> = [];
  fake.onChange((_namespace, name, deployment) => {
    const before = specs.get(name);
    specs.set(name, deployment.spec.replicas);
    if (before === undefined || deployment.spec.replicas >= before) return;
    const other = fake.deployment('shop', name === 'checkout' ? 'checkout-canary' : 'checkout');
    shrinks.push({ shrunk: name, to: deployment.spec.replicas, otherSpec: other.spec.replicas, otherAvailable: other.status.availableReplicas ?? 0 });
  });
  return shrinks;
}

describe('ReplicaRatioRouter.writeWeights', () => {
  it('scales the canary up and waits for it before the stable gives up a pod, and reports the rounding', async () => {
    // Prepare
    deployments(4, 0);
    const shrinks = watchShrinks();
    const router = newRouter();

    // Act
    const result = await router.writeWeights(target, w(20), { expected: w(0) });

    // Assess: 20% of 4 pods is 1 canary pod, 25%.
    expect(sent()).toEqual([
      get(STABLE),
      get(CANARY),
      annotate({ baselineReplicas: 4, weights: w(20), replicas: { stable: 3, canary: 1 }, previous: { weights: w(0), replicas: { stable: 4, canary: 0 } } }),
      scale(CANARY, 1),
      get(CANARY), // the new canary pod is not ready yet …
      get(CANARY), // … one pause later it is
      scale(STABLE, 3),
      get(STABLE),
      get(CANARY),
      get(STABLE),
      get(CANARY),
      // the read-back
      get(STABLE),
      get(CANARY),
    ]);
    expect(shrinks).toEqual([{ shrunk: 'checkout', to: 3, otherSpec: 1, otherAvailable: 1 }]);
    expect(result).toEqual({
      previous: w(0),
      applied: w(20),
      wrote: true,
      achieved: { canaryPercent: 25, roundingError: 5, description: 'canary 1 of 4 pods (25%, 5 points above the 20% asked)' },
    });
    expect(logger.info).toHaveBeenCalledWith(
      'replica ratio applied',
      expect.objectContaining({ service: 'checkout', stableReplicas: 3, canaryReplicas: 1, achievedPercent: 25, roundingError: 5 }),
    );
    expect(fake.deployment('shop', 'checkout').status.availableReplicas).toBe(3);
    expect(fake.deployment('shop', 'checkout-canary').status.availableReplicas).toBe(1);
  });

  it('returns to stable: the stable is back at its baseline and ready before the canary goes to 0', async () => {
    // Prepare
    deployments(4, 0);
    const router = newRouter();
    await router.writeWeights(target, w(50), { expected: w(0) });
    fake.requests.length = 0;
    const shrinks = watchShrinks();

    // Act
    const result = await router.writeWeights(target, w(0), { expected: w(50) });

    // Assess
    expect(sent()).toEqual([
      get(STABLE),
      get(CANARY),
      annotate({ baselineReplicas: 4, weights: w(0), replicas: { stable: 4, canary: 0 }, previous: { weights: w(50), replicas: { stable: 2, canary: 2 } } }),
      scale(STABLE, 4),
      get(STABLE),
      get(STABLE),
      scale(CANARY, 0),
      get(STABLE),
      get(CANARY),
      get(STABLE),
      get(CANARY),
      get(STABLE),
      get(CANARY),
    ]);
    expect(shrinks).toEqual([{ shrunk: 'checkout-canary', to: 0, otherSpec: 4, otherAvailable: 4 }]);
    expect(result).toMatchObject({ previous: w(50), applied: w(0), wrote: true, achieved: { canaryPercent: 0, roundingError: 0 } });
  });

  it('keeps minReplicas pods while the canary has weight, growing both before anything shrinks', async () => {
    // Prepare
    deployments(2, 0);
    const router = newRouter();

    // Act
    const result = await router.writeWeights({ ...target, minReplicas: 10 }, w(10), { expected: w(0) });

    // Assess
    expect(patches().map((request) => request.path)).toEqual([CANARY, `${STABLE}/scale`, `${CANARY}/scale`]);
    expect(fake.deployment('shop', 'checkout').spec.replicas).toBe(9);
    expect(fake.deployment('shop', 'checkout-canary').spec.replicas).toBe(1);
    expect(result.achieved).toEqual({ canaryPercent: 10, roundingError: 0, description: 'canary 1 of 10 pods (10%, exact)' });
  });

  it('refuses drift with nothing written: someone scaled the canary by hand', async () => {
    // Prepare
    deployments(4, 0);
    const router = newRouter();
    await router.writeWeights(target, w(20), { expected: w(0) });
    await workloads.scale({ clusterName: 'prod', namespace: 'shop', name: 'checkout-canary' }, 3);
    await fake.settleRollouts();
    fake.requests.length = 0;

    // Act
    const write = await router.writeWeights(target, w(30), { expected: w(20) }).catch((error: unknown) => error);

    // Assess: 3 stable and 3 canary pods stand for 50%.
    expect(write).toBeInstanceOf(DriftDetectedError);
    expect((write as Error).message).toBe(
      'the pods behind Service "checkout" stand for stable 50 / canary 50 (checkout set to 3 with 3 ready, checkout-canary set to 3 with 3 ready), ' +
        'but serinus last wrote stable 80 / canary 20: someone else is scaling them, so nothing was written',
    );
    expect(patches()).toEqual([]);
  });

  it('reads the weights it wrote, not the rounded share: no false drift', async () => {
    // Prepare
    deployments(4, 0);
    const router = newRouter();
    await router.writeWeights(target, w(20), { expected: w(0) });

    // Act
    const live = await router.readWeights(target);
    const next = await router.writeWeights(target, w(50), { expected: w(20) });

    // Assess
    expect(live).toEqual(w(20));
    expect(next).toMatchObject({ previous: w(20), applied: w(50), wrote: true });
  });

  it('finishes its own write that stopped half way instead of calling it drift', async () => {
    // Prepare: the stable's scale-down fails after the canary was scaled up and got ready.
    deployments(4, 0);
    const router = newRouter();
    fake.injectFault({ kind: 'serverError', method: 'PATCH', path: `${STABLE}/scale` });
    const first = await router.writeWeights(target, w(30), { expected: w(0) }).catch((error: unknown) => error);
    fake.requests.length = 0;

    // Act
    const retried = await router.writeWeights(target, w(30), { expected: w(0) });

    // Assess: 4 stable and 1 canary pod stand for 20%, neither what was written nor what is asked;
    // the record and the canary are kept, only the stable's scale-down is sent.
    expect(first).toBeInstanceOf(Error);
    expect(patches()).toEqual([scale(STABLE, 3)]);
    expect(retried).toMatchObject({ previous: w(20), applied: w(30), wrote: true });
  });

  it('awaits the fence right before each mutating call', async () => {
    // Prepare
    deployments(4, 0);
    const fencedAt: number[] = [];
    const fence = jest.fn(async () => {
      fencedAt.push(fake.requests.length);
    });
    const router = newRouter();

    // Act
    await router.writeWeights(target, w(20), { expected: w(0), fence });

    // Assess: each PATCH is the very next request after a fence.
    const patchIndexes = fake.requests.flatMap((request, index) => (request.method === 'PATCH' ? [index] : []));
    expect(patchIndexes).toHaveLength(3);
    expect(fencedAt).toEqual(patchIndexes);
  });

  it('writes nothing when the fence fails', async () => {
    // Prepare
    deployments(4, 0);
    const fence = jest.fn(async () => {
      throw new RecordMismatchError('ended');
    });
    const router = newRouter();

    // Act
    const write = await router.writeWeights(target, w(20), { expected: w(0), fence }).catch((error: unknown) => error);

    // Assess
    expect(write).toBeInstanceOf(RecordMismatchError);
    expect(patches()).toEqual([]);
  });

  it('lets decide pick the weights from its read, and writes nothing when decide says so', async () => {
    // Prepare
    deployments(4, 0);
    const decide = jest.fn(async (live: Weights) => (live.canary === 0 ? undefined : w(0)));
    const router = newRouter();

    // Act
    const result = await router.writeWeights(target, w(0), { expected: w(0), decide });

    // Assess
    expect(decide).toHaveBeenCalledWith(w(0));
    expect(result).toEqual({ previous: w(0), applied: w(0), wrote: false });
    expect(patches()).toEqual([]);
  });

  it('fails with WeightNotApplied when the canary never gets ready, and the stable keeps its pods', async () => {
    // Prepare: time passes, the canary's pods never become ready.
    deployments(4, 0);
    sleep.mockImplementation(async () => undefined);
    const router = newRouter(3);

    // Act
    const write = await router.writeWeights(target, w(20), { expected: w(0) }).catch((error: unknown) => error);

    // Assess
    expect(write).toBeInstanceOf(WeightNotAppliedError);
    expect((write as Error).message).toMatch(
      /^scaled the Deployments behind Service "checkout" to stable 3 \/ canary 1, but before the stable gave up pods, after 3 reads: Waiting for deployment "checkout-canary" spec update to be observed$/,
    );
    expect(sleep).toHaveBeenCalledTimes(2);
    expect(patches().map((request) => request.path)).toEqual([CANARY, `${CANARY}/scale`]);
    expect(fake.deployment('shop', 'checkout').spec.replicas).toBe(4);
  });

  it('fails at once when the canary rollout reports ProgressDeadlineExceeded', async () => {
    // Prepare
    deployments(4, 0);
    fake.failNextRollout('shop', 'checkout-canary');
    const router = newRouter(5);

    // Act
    const write = await router.writeWeights(target, w(20), { expected: w(0) }).catch((error: unknown) => error);

    // Assess
    expect(write).toBeInstanceOf(WeightNotAppliedError);
    expect((write as Error).message).toMatch(/cannot reach 1 ready replicas before the stable gave up pods: deployment "checkout-canary" exceeded its progress deadline/);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(fake.deployment('shop', 'checkout').spec.replicas).toBe(4);
  });

  it('refuses weights outside the plan without a request', async () => {
    // Prepare
    deployments(4, 0);
    const router = newRouter();

    // Act
    const write = router.writeWeights(target, { stable: 50, canary: 60 });

    // Assess
    await expect(write).rejects.toThrow(ValidationFailedError);
    expect(fake.requests).toEqual([]);
  });
});

describe('ReplicaRatioRouter.readWeights', () => {
  it.each<[string, number, number, RatioRecord | undefined, Weights]>([
    ['before any rollout', 4, 0, undefined, w(0)],
    ['the specs serinus wrote', 3, 1, { baselineReplicas: 4, weights: w(20), replicas: { stable: 3, canary: 1 } }, w(20)],
    ['scaled by hand: the ready pods', 2, 2, { baselineReplicas: 4, weights: w(20), replicas: { stable: 3, canary: 1 } }, w(50)],
    ['a canary someone else started', 3, 1, undefined, w(25)],
    ['nothing ready', 0, 0, undefined, { stable: 0, canary: 0 }],
  ])('%s', async (_what, stable, canary, record, expected) => {
    // Prepare
    deployments(stable, canary);
    if (record) await recorded(record);
    const router = newRouter();

    // Act
    const reading = await router.readTraffic(target);

    // Assess
    expect(reading).toEqual({ weights: expected, canaryAttached: true });
    expect(sent()).toEqual([get(STABLE), get(CANARY)]);
  });

  it('names a missing Deployment', async () => {
    // Prepare
    deployments(4, undefined);
    const router = newRouter();

    // Act
    const read = router.readWeights(target);

    // Assess
    await expect(read).rejects.toThrow(
      'canary deployment "checkout-canary" (namespace "shop", cluster "prod") does not exist; the replica ratio of Service "checkout" needs it',
    );
  });

  it('refuses to write over an annotation it did not write', async () => {
    // Prepare
    deployments(3, 1);
    await recorded('25%');
    const router = newRouter();

    // Act
    const write = router.writeWeights(target, w(50), { expected: w(25) });

    // Assess
    await expect(write).rejects.toThrow(/annotation of canary deployment "checkout-canary" .* is not one serinus wrote/);
    expect(patches()).toEqual([]);
  });
});

describe('ReplicaRatioRouter.restoreStable', () => {
  const midway: RatioRecord = { baselineReplicas: 4, weights: w(20), replicas: { stable: 3, canary: 1 } };

  it('scales the stable back to its baseline and waits for it before the canary goes to 0', async () => {
    // Prepare
    deployments(3, 1);
    await recorded(midway);
    const shrinks = watchShrinks();
    const fence = jest.fn(async () => undefined);
    const router = newRouter();

    // Act
    const result = await router.restoreStable(target, fence);

    // Assess
    expect(sent()).toEqual([
      get(STABLE),
      get(CANARY),
      scale(STABLE, 4),
      get(STABLE),
      get(STABLE),
      scale(CANARY, 0),
      annotate({ baselineReplicas: 4, weights: w(0), replicas: { stable: 4, canary: 0 } }),
      get(CANARY),
      get(CANARY),
    ]);
    expect(shrinks).toEqual([{ shrunk: 'checkout-canary', to: 0, otherSpec: 4, otherAvailable: 4 }]);
    expect(fence).toHaveBeenCalledTimes(3);
    expect(result).toEqual({ wrote: true, nothingToSteer: false, findings: [] });
  });

  it.each<[string, number, number | undefined, RatioRecord | string | undefined, { stable: number; canary?: number }, RegExp[]]>([
    ['everything on the canary', 0, 4, { baselineReplicas: 4, weights: w(100), replicas: { stable: 0, canary: 4 } }, { stable: 4, canary: 0 }, []],
    [
      'the stable scaled up by hand',
      6,
      1,
      midway,
      { stable: 6, canary: 0 },
      [/^stable deployment "checkout" .* runs 6 replicas, more than the 4 it ran when the rollout began; they were kept$/],
    ],
    [
      'no record, a canary running',
      3,
      1,
      undefined,
      { stable: 4, canary: 0 },
      [/^nothing recorded the stable's replicas when the rollout began; the stable takes over the 4 replicas both run now$/],
    ],
    [
      'an annotation serinus did not write',
      3,
      1,
      '{"weights":"25%"}',
      { stable: 4, canary: 0 },
      [/annotation of canary deployment "checkout-canary" .* is not one serinus wrote; it was replaced$/, /^nothing recorded the stable's replicas/],
    ],
    ['the canary gone', 3, undefined, undefined, { stable: 3 }, [/^canary deployment "checkout-canary" .* no longer exists, so it carries no traffic$/]],
    ['a stable at 0 and no canary', 0, 0, undefined, { stable: 1, canary: 0 }, [/^stable deployment "checkout" .* had no replicas; it was scaled to 1 so that the Service has an endpoint$/]],
  ])('never refuses: %s', async (_what, stable, canary, record, expected, findings) => {
    // Prepare
    deployments(stable, canary);
    if (record) await recorded(record);
    const router = newRouter();

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result.nothingToSteer).toBe(false);
    expect(result.findings).toEqual(findings.map((finding) => expect.stringMatching(finding)));
    expect(fake.deployment('shop', 'checkout').spec.replicas).toBe(expected.stable);
    if (expected.canary !== undefined) {
      const canaryDeployment = fake.deployment('shop', 'checkout-canary');
      expect(canaryDeployment.spec.replicas).toBe(expected.canary);
      expect(parseRatioRecord(canaryDeployment.metadata.annotations?.[RATIO_ANNOTATION])).toMatchObject({
        weights: w(0),
        replicas: { stable: expected.stable, canary: 0 },
      });
    }
    await fake.settleRollouts();
    expect(await router.readWeights(target).catch(() => undefined)).toEqual(expected.canary === undefined ? undefined : w(0));
  });

  it('takes away a canary whose rollout failed', async () => {
    // Prepare: the controller leaves a stalled Deployment's ProgressDeadlineExceeded condition in
    // place when it is scaled ("Kubernetes takes no action on a stalled Deployment other than to report
    // a status condition", Kubernetes docs, Deployments › Failed Deployment), so gone pods are all
    // that counts.
    deployments(3, 1);
    await recorded(midway);
    const stalled = {
      conditions: [
        { type: 'Progressing', status: 'False' as const, reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "checkout-canary-new" has timed out progressing.' },
      ],
    };
    fake.setStatus('shop', 'checkout-canary', stalled);
    sleep.mockImplementation(async () => {
      await fake.settleRollouts();
      fake.setStatus('shop', 'checkout-canary', stalled);
    });
    const router = newRouter();

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result).toEqual({ wrote: true, nothingToSteer: false, findings: [] });
    expect(fake.deployment('shop', 'checkout-canary').spec.replicas).toBe(0);
    expect(fake.deployment('shop', 'checkout-canary').status.availableReplicas).toBe(0);
  });

  it('says there is nothing to steer when the stable Deployment is gone, and leaves the canary serving', async () => {
    // Prepare
    fake.addDeployment('shop', 'checkout-canary', { containers, replicas: 2 });
    const router = newRouter();

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result).toEqual({
      wrote: false,
      nothingToSteer: true,
      findings: [
        'stable deployment "checkout" (namespace "shop", cluster "prod") no longer exists, so there is no stable side to give the traffic back to; ' +
          'the canary was left running: its 2 replica(s) are all the Service "checkout" has',
      ],
    });
    expect(patches()).toEqual([]);
  });

  it('writes nothing when the stable already carries the traffic', async () => {
    // Prepare
    deployments(4, 0);
    await recorded({ baselineReplicas: 4, weights: w(0), replicas: { stable: 4, canary: 0 } });
    const router = newRouter();

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result).toEqual({ wrote: false, nothingToSteer: false, findings: [] });
    expect(patches()).toEqual([]);
  });

  it('takes the canary away once some stable pods are ready, when the rest are slow, and says so', async () => {
    // Prepare: the stable's new pod never gets ready; the 3 it had still are.
    deployments(3, 1);
    await recorded(midway);
    sleep.mockImplementation(async () => {
      await fake.settleRollouts();
      fake.setStatus('shop', 'checkout', { replicas: 4, updatedReplicas: 4, readyReplicas: 3, availableReplicas: 3 });
    });
    const router = newRouter(2);

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result).toEqual({
      wrote: true,
      nothingToSteer: false,
      findings: ['stable deployment "checkout" (namespace "shop", cluster "prod") had 3 of 4 replicas ready when the canary was scaled to 0; the rest are still starting'],
    });
    expect(patches().map((request) => request.path)).toEqual([`${STABLE}/scale`, `${CANARY}/scale`, CANARY]);
    expect(fake.deployment('shop', 'checkout-canary').spec.replicas).toBe(0);
  });

  it('keeps the canary serving while not one stable pod is ready', async () => {
    // Prepare
    deployments(0, 4);
    await recorded({ baselineReplicas: 4, weights: w(100), replicas: { stable: 0, canary: 4 } });
    sleep.mockImplementation(async () => undefined);
    const router = newRouter(2);

    // Act
    const result = await router.restoreStable(target).catch((error: unknown) => error);

    // Assess
    expect(result).toBeInstanceOf(WeightNotAppliedError);
    expect((result as Error).message).toMatch(/none is ready .*; the canary keeps serving Service "checkout" until one is$/);
    expect(patches().map((request) => request.path)).toEqual([`${STABLE}/scale`]);
    expect(fake.deployment('shop', 'checkout-canary').spec.replicas).toBe(4);
  });

  it('writes nothing when the fence fails', async () => {
    // Prepare
    deployments(3, 1);
    await recorded(midway);
    const fence = jest.fn(async () => {
      throw new RecordMismatchError('ended');
    });
    const router = newRouter();

    // Act
    const result = await router.restoreStable(target, fence).catch((error: unknown) => error);

    // Assess
    expect(result).toBeInstanceOf(RecordMismatchError);
    expect(patches()).toEqual([]);
  });
});

describe('ReplicaRatioRouter capabilities', () => {
  it('has nothing to attach, no target group to count, no tester route, and starts the canary at 0 replicas', async () => {
    // Prepare
    const router = newRouter();

    // Act
    const answers = [await router.attachCanary(), await router.healthyTargets(), await router.canaryReplicasBeforeTraffic()];

    // Assess
    expect(answers).toEqual([false, undefined, 0]);
    expect((router as TrafficRouter).testerRoute).toBeUndefined();
    expect(fake.requests).toEqual([]);
  });

  it('is the router of its kind', async () => {
    // Prepare
    deployments(4, 0);
    const routers = new TrafficRouters({ sleep, kube: async () => new EksConnections(), workloads: async () => workloads });

    // Act
    const weights = await routers.readWeights(target);

    // Assess
    expect(weights).toEqual(w(0));
  });

  it.each<[string, Partial<ReplicaRatioTarget> & Record<string, unknown>, RegExp]>([
    ['a key that is not the Service', { key: 'replica-ratio:prod/shop/other' }, /traffic: key must be replica-ratio:<cluster>\/<namespace>\/<service>/],
    ['one Deployment for both sides', { canaryDeployment: 'checkout' }, /stable and canary must be different Deployments/],
    ['min above max', { minReplicas: 5, maxReplicas: 3 }, /minReplicas must not exceed maxReplicas/],
    ['a max of 1', { maxReplicas: 1 }, /traffic maxReplicas: must be at least 2/],
    ['a tester header', { testerHeader: { name: 'x-canary', value: 'always' } }, /traffic testerHeader: the replica ratio has no tester route/],
    ['a bad Service name', { serviceName: 'Checkout', key: 'replica-ratio:prod/shop/Checkout' }, /traffic serviceName: must be a Service name/],
  ])('refuses a target with %s', (_what, change, message) => {
    // Act
    const act = () => replicaRatioTarget({ ...target, ...change } as TrafficTarget);

    // Assess
    expect(act).toThrow(ValidationFailedError);
    expect(act).toThrow(message);
  });
});
