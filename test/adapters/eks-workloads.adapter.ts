import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { eksMock } from '../support/eks-mock';
import 'aws-sdk-client-mock-jest';
import { EksWorkloads } from '../../lambda/adapters/eks-workloads';
import { EksConnections } from '../../lambda/adapters/eks-connection';
import type { DeploymentRef } from '../../lambda/domain/types';
import { ValidationFailedError } from '../../lambda/errors';
import { type FakeKubernetes, startFakeKubernetes } from '../../local/fake-kubernetes';
import { createTestCa } from '../../local/certificate-authority';

const TOKEN = 'k8s-aws-v1.test-token';
const ref: DeploymentRef = { clusterName: 'prod', namespace: 'shop', name: 'checkout-canary' };
const deploymentPath = '/apis/apps/v1/namespaces/shop/deployments/checkout-canary';

let fake: FakeKubernetes;
let tokenProvider: jest.Mock<Promise<string>, [string]>;
let workloads: EksWorkloads;

beforeEach(async () => {
  eksMock.reset();
  // A rollout only completes when a test settles it, so every intermediate state can be observed.
  fake = await startFakeKubernetes({ token: TOKEN, rolloutDelayMs: 60_000 });
  fake.addDeployment('shop', 'checkout-canary', {
    containers: [
      { name: 'app', image: 'checkout:1.0.0' },
      { name: 'envoy', image: 'envoy:1.30' },
    ],
    replicas: 2,
  });
  eksMock.on(DescribeClusterCommand).resolves({ cluster: fake.eksCluster('prod') });
  tokenProvider = jest.fn(async (_clusterName: string) => TOKEN);
  workloads = new EksWorkloads(new EksConnections(new EKSClient({}), tokenProvider));
});

afterEach(async () => {
  await fake.close();
});

const patches = () => fake.requests.filter((request) => request.method === 'PATCH');

describe('EksWorkloads connection', () => {
  it('reaches the endpoint from DescribeCluster over TLS verified with its CA, with the cluster token', async () => {
    // Act
    const snapshot = await workloads.snapshot(ref);

    // Assess
    expect(snapshot).toEqual({ images: { app: 'checkout:1.0.0', envoy: 'envoy:1.30' }, replicas: 2 });
    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 1);
    expect(eksMock).toHaveReceivedCommandWith(DescribeClusterCommand, { name: 'prod' });
    expect(tokenProvider).toHaveBeenCalledWith('prod');
    expect(fake.requests).toEqual([{ method: 'GET', path: deploymentPath, contentType: undefined, body: undefined, status: 200 }]);
  });

  it('describes the cluster and mints a token once for many operations', async () => {
    // Act
    await workloads.snapshot(ref);
    await workloads.setImages(ref, { app: 'checkout:1.1.0' });
    await workloads.scale(ref, 3);
    await workloads.rolloutStatus(ref);

    // Assess
    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 1);
    expect(tokenProvider).toHaveBeenCalledTimes(1);
    expect(fake.requests.map((request) => request.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('reuses its connections to the API server: a TLS handshake per pooled connection, not per call', async () => {
    // Prepare
    const before = fake.connections;
    const requests = fake.requests.length;

    // Act
    for (let round = 0; round < 3; round++) {
      await workloads.snapshot(ref);
      await workloads.setImages(ref, { app: `checkout:1.${round + 1}.0` });
      await workloads.scale(ref, round + 2);
      await workloads.rolloutStatus(ref);
    }

    // Assess: 15 requests; a request sent before the previous answer freed its socket takes a second one.
    expect(fake.requests.length - requests).toBe(15);
    expect(fake.connections - before).toBeLessThanOrEqual(2);
  });

  it('mints a new token when the cached one is about to expire, without describing the cluster again', async () => {
    // Prepare
    let now = 1_000_000;
    workloads = new EksWorkloads(new EksConnections(new EKSClient({}), tokenProvider, { now: () => now }));
    await workloads.snapshot(ref);

    // Act
    now += 9 * 60 * 1000;
    await workloads.snapshot(ref);
    const callsBeforeTtl = tokenProvider.mock.calls.length;
    now += 2 * 60 * 1000;
    await workloads.snapshot(ref);

    // Assess
    expect(callsBeforeTtl).toBe(1);
    expect(tokenProvider).toHaveBeenCalledTimes(2);
    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 1);
  });

  it('keeps its connections to the API server when it mints a new token', async () => {
    // Prepare: a request sent before the previous answer freed its socket takes a second one, so the pool holds two.
    let now = 1_000_000;
    workloads = new EksWorkloads(new EksConnections(new EKSClient({}), tokenProvider, { now: () => now }));
    for (let call = 0; call < 3; call++) await workloads.snapshot(ref);
    const connections = fake.connections;

    // Act
    now += 11 * 60 * 1000;
    for (let call = 0; call < 3; call++) await workloads.snapshot(ref);

    // Assess
    expect(tokenProvider).toHaveBeenCalledTimes(2);
    expect(fake.requests.map((request) => request.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(fake.connections).toBe(connections);
  });

  it('fails the TLS handshake when the cluster CA is not the one that signed the server certificate', async () => {
    // Prepare
    const foreign = createTestCa('some other CA');
    eksMock.on(DescribeClusterCommand).resolves({
      cluster: { ...fake.eksCluster('prod'), certificateAuthority: { data: Buffer.from(foreign.caPem).toString('base64') } },
    });

    // Act
    const result = workloads.snapshot(ref);

    // Assess
    await expect(result).rejects.toThrow(/^cannot reach the Kubernetes API of cluster "prod" at https:\/\/127\.0\.0\.1:\d+: .*certificate/);
    expect(fake.requests).toEqual([]);
  });

  it('explains a rejected token (401) with the access entry the Lambda role needs, and mints a new token next time', async () => {
    // Prepare
    tokenProvider.mockResolvedValue('k8s-aws-v1.someone-else');

    // Act
    const first = workloads.snapshot(ref);
    await expect(first).rejects.toThrow(ValidationFailedError);
    const second = workloads.rolloutStatus(ref);

    // Assess
    await expect(second).rejects.toThrow(
      'the Kubernetes API of cluster "prod" did not accept serinus\'s IAM identity (401 Unauthorized) when trying to read deployment "checkout-canary" ' +
        'in namespace "shop" of cluster "prod": give the Lambda role an EKS access entry on cluster "prod" with the AmazonEKSEditPolicy access policy ' +
        'scoped to namespace "shop"',
    );
    expect(tokenProvider).toHaveBeenCalledTimes(2);
    expect(fake.requests.map((request) => request.status)).toEqual([401, 401]);
  });

  it('gets 401 without a token', async () => {
    // Prepare
    tokenProvider.mockResolvedValue('');

    // Act
    const result = workloads.snapshot(ref);

    // Assess
    await expect(result).rejects.toThrow(/401 Unauthorized/);
    expect(fake.requests.map((request) => request.status)).toEqual([401]);
  });

  it('explains a forbidden namespace (403) with the access policy scope', async () => {
    // Prepare
    fake.forbid('shop');

    // Act
    const result = workloads.scale(ref, 3);

    // Assess
    await expect(result).rejects.toThrow(ValidationFailedError);
    await expect(result).rejects.toThrow(
      /^serinus may not scale deployment "checkout-canary" in namespace "shop" of cluster "prod" \(403 Forbidden: .*cannot patch resource "deployments\/scale".*\): give the Lambda role an EKS access entry on cluster "prod" with the AmazonEKSEditPolicy access policy scoped to namespace "shop"$/,
    );
  });

  it('refuses a cluster EKS does not know, and asks again on the next call', async () => {
    // Prepare
    eksMock.on(DescribeClusterCommand).rejects(new ResourceNotFoundException({ message: 'No cluster found for name: prod.', $metadata: {} }));

    // Act
    await expect(workloads.snapshot(ref)).rejects.toThrow('EKS cluster "prod" not found in this account and region');
    await expect(workloads.snapshot(ref)).rejects.toThrow(ValidationFailedError);

    // Assess
    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 2);
    expect(fake.requests).toEqual([]);
  });

  it('refuses a cluster that has no endpoint yet', async () => {
    // Prepare
    eksMock.on(DescribeClusterCommand).resolves({ cluster: { name: 'prod', status: 'CREATING' } });

    // Act
    const result = workloads.snapshot(ref);

    // Assess
    await expect(result).rejects.toThrow('EKS cluster "prod" has no API endpoint or CA yet (status CREATING)');
  });
});

describe('EksWorkloads.setImages', () => {
  it('sends one strategic merge patch naming only the containers it sets', async () => {
    // Act
    await workloads.setImages(ref, { app: 'checkout:1.1.0' });

    // Assess
    expect(patches()).toEqual([
      {
        method: 'PATCH',
        path: deploymentPath,
        contentType: 'application/strategic-merge-patch+json',
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'checkout:1.1.0' }] } } } },
        status: 200,
      },
    ]);
    const stored = fake.deployment('shop', 'checkout-canary');
    expect(stored.spec.template.spec.containers).toEqual([
      { name: 'app', image: 'checkout:1.1.0' },
      { name: 'envoy', image: 'envoy:1.30' },
    ]);
    expect(stored.metadata.generation).toBe(2);
  });

  it('sets several containers in the same patch', async () => {
    // Act
    await workloads.setImages(ref, { envoy: 'envoy:1.31', app: 'checkout:1.1.0' });

    // Assess
    expect(patches().map((request) => request.body)).toEqual([
      {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'envoy', image: 'envoy:1.31' },
                { name: 'app', image: 'checkout:1.1.0' },
              ],
            },
          },
        },
      },
    ]);
    expect(await workloads.snapshot(ref)).toEqual({ images: { app: 'checkout:1.1.0', envoy: 'envoy:1.31' }, replicas: 2 });
  });

  it('is idempotent: setting the same images again sends no patch and starts no rollout', async () => {
    // Prepare
    await workloads.setImages(ref, { app: 'checkout:1.1.0' });

    // Act
    await workloads.setImages(ref, { app: 'checkout:1.1.0' });

    // Assess
    expect(patches()).toHaveLength(1);
    expect(fake.deployment('shop', 'checkout-canary').metadata.generation).toBe(2);
  });

  it('refuses a container the Deployment does not have, and patches nothing', async () => {
    // Act
    const result = workloads.setImages(ref, { app: 'checkout:1.1.0', web: 'web:2' });

    // Assess
    await expect(result).rejects.toThrow(ValidationFailedError);
    await expect(result).rejects.toMatchObject({
      problems: ['container "web" is not in deployment "checkout-canary" (namespace "shop", cluster "prod"); its containers are: app, envoy'],
    });
    expect(patches()).toEqual([]);
    expect(fake.deployment('shop', 'checkout-canary').spec.template.spec.containers[0].image).toBe('checkout:1.0.0');
  });

  it('refuses an empty image, and patches nothing', async () => {
    // Act
    const result = workloads.setImages(ref, { app: ' ' });

    // Assess
    await expect(result).rejects.toThrow('the image for container "app" is empty');
    expect(patches()).toEqual([]);
  });
});

describe('EksWorkloads.scale', () => {
  it('merge-patches the scale subresource', async () => {
    // Act
    await workloads.scale(ref, 5);

    // Assess
    expect(patches()).toEqual([
      {
        method: 'PATCH',
        path: `${deploymentPath}/scale`,
        contentType: 'application/merge-patch+json',
        body: { spec: { replicas: 5 } },
        status: 200,
      },
    ]);
    expect(fake.deployment('shop', 'checkout-canary').spec.replicas).toBe(5);
    expect(await workloads.snapshot(ref)).toEqual({ images: { app: 'checkout:1.0.0', envoy: 'envoy:1.30' }, replicas: 5 });
  });

  it.each([-1, 1.5, Number.NaN])('refuses %p replicas without a request', async (replicas) => {
    // Act
    const result = workloads.scale(ref, replicas);

    // Assess
    await expect(result).rejects.toThrow(ValidationFailedError);
    expect(fake.requests).toEqual([]);
  });
});

describe('EksWorkloads.rolloutStatus', () => {
  it('follows a new generation from unobserved to rolled out', async () => {
    // Prepare
    const before = await workloads.rolloutStatus(ref);
    await workloads.setImages(ref, { app: 'checkout:1.1.0' });

    // Act
    const unobserved = await workloads.rolloutStatus(ref);
    await fake.settleRollouts();
    const done = await workloads.rolloutStatus(ref);

    // Assess
    expect(before).toEqual({ complete: true, failed: false, message: 'deployment "checkout-canary" successfully rolled out', desired: 2, updated: 2, available: 2 });
    expect(unobserved).toEqual({
      complete: false,
      failed: false,
      message: 'Waiting for deployment "checkout-canary" spec update to be observed',
      desired: 2,
      updated: 2,
      available: 2,
    });
    expect(done).toEqual({ complete: true, failed: false, message: 'deployment "checkout-canary" successfully rolled out', desired: 2, updated: 2, available: 2 });
  });

  it.each([
    {
      state: 'too few updated replicas',
      status: { replicas: 3, updatedReplicas: 1, availableReplicas: 1 },
      message: 'Waiting for deployment "checkout-canary" rollout to finish: 1 out of 3 new replicas have been updated',
      updated: 1,
      available: 1,
    },
    {
      state: 'old replicas still terminating',
      status: { replicas: 4, updatedReplicas: 3, availableReplicas: 3 },
      message: 'Waiting for deployment "checkout-canary" rollout to finish: 1 old replicas are pending termination',
      updated: 3,
      available: 3,
    },
    {
      state: 'updated replicas not yet available',
      status: { replicas: 3, updatedReplicas: 3, availableReplicas: 2 },
      message: 'Waiting for deployment "checkout-canary" rollout to finish: 2 of 3 updated replicas are available',
      updated: 3,
      available: 2,
    },
  ])('is not complete with $state', async ({ status, message, updated, available }) => {
    // Prepare
    await workloads.scale(ref, 3);
    await fake.settleRollouts();
    fake.setStatus('shop', 'checkout-canary', status);

    // Act
    const result = await workloads.rolloutStatus(ref);

    // Assess
    expect(result).toEqual({ complete: false, failed: false, message, desired: 3, updated, available });
  });

  it('reports ProgressDeadlineExceeded as failed, and a later generation can still complete', async () => {
    // Prepare
    fake.failNextRollout('shop', 'checkout-canary');
    await workloads.setImages(ref, { app: 'checkout:1.1.0-broken' });
    await fake.settleRollouts();

    // Act
    const failed = await workloads.rolloutStatus(ref);
    await workloads.setImages(ref, { app: 'checkout:1.0.0' });
    await fake.settleRollouts();
    const recovered = await workloads.rolloutStatus(ref);

    // Assess
    expect(failed).toEqual({
      complete: false,
      failed: true,
      message: 'deployment "checkout-canary" exceeded its progress deadline: ReplicaSet "checkout-canary-new" has timed out progressing.',
      desired: 2,
      updated: 2,
      available: 2,
    });
    expect(recovered).toMatchObject({ complete: true, failed: false });
  });

  it('is complete once a Deployment scaled to zero is observed', async () => {
    // Prepare
    await workloads.scale(ref, 0);
    const unobserved = await workloads.rolloutStatus(ref);
    await fake.settleRollouts();

    // Act
    const result = await workloads.rolloutStatus(ref);

    // Assess
    expect(unobserved.complete).toBe(false);
    expect(result).toEqual({ complete: true, failed: false, message: 'deployment "checkout-canary" successfully rolled out', desired: 0, updated: 0, available: 0 });
  });
});

describe('EksWorkloads with a missing Deployment', () => {
  const missing: DeploymentRef = { ...ref, name: 'checkout-typo' };

  it.each([
    ['snapshot', () => workloads.snapshot(missing)],
    ['setImages', () => workloads.setImages(missing, { app: 'checkout:1.1.0' })],
    ['scale', () => workloads.scale(missing, 2)],
    ['rolloutStatus', () => workloads.rolloutStatus(missing)],
  ])('%s says which Deployment is not found where', async (_method, act) => {
    // Act
    const result = act();

    // Assess
    await expect(result).rejects.toThrow(ValidationFailedError);
    await expect(result).rejects.toThrow('deployment "checkout-typo" not found in namespace "shop" of cluster "prod"');
    expect(fake.requests.map((request) => request.status)).toEqual([404]);
  });
});

// The flow tests and the sandbox build on these hooks of the fake.
describe('fake Kubernetes harness', () => {
  it('tells listeners about the spec change and then the rollout, in order', async () => {
    // Prepare
    const seen: Array<{ generation: number; observed?: number; image: string }> = [];
    fake.onChange((_namespace, _name, deployment) => {
      seen.push({
        generation: deployment.metadata.generation,
        observed: deployment.status.observedGeneration,
        image: deployment.spec.template.spec.containers[0].image,
      });
    });

    // Act
    await workloads.setImages(ref, { app: 'checkout:1.1.0' });
    await fake.settleRollouts();

    // Assess
    expect(seen).toEqual([
      { generation: 2, observed: 1, image: 'checkout:1.1.0' },
      { generation: 2, observed: 2, image: 'checkout:1.1.0' },
    ]);
    expect(fake.listenerErrors).toEqual([]);
  });

  it('completes a rollout by itself after rolloutDelayMs', async () => {
    // Prepare
    const timed = await startFakeKubernetes({ rolloutDelayMs: 5 });
    timed.addDeployment('shop', 'checkout-canary', { containers: [{ name: 'app', image: 'checkout:1.0.0' }], replicas: 1 });
    eksMock.on(DescribeClusterCommand).resolves({ cluster: timed.eksCluster('prod') });
    const observed = new Promise<void>((resolve) =>
      timed.onChange((_namespace, _name, deployment) => {
        if (deployment.status.observedGeneration === 2) resolve();
      }),
    );

    try {
      // Act
      await workloads.scale(ref, 3);
      await observed;

      // Assess
      expect(await workloads.rolloutStatus(ref)).toMatchObject({ complete: true, desired: 3, updated: 3, available: 3 });
    } finally {
      await timed.close();
    }
  });

  it('serves plain HTTP with JSON patch, and answers 415 to a content type it does not know', async () => {
    // Prepare
    const plain = await startFakeKubernetes({ tls: false });
    plain.addDeployment('shop', 'web', { containers: [{ name: 'web', image: 'web:1' }], replicas: 1 });
    const url = `${plain.url}/apis/apps/v1/namespaces/shop/deployments/web`;
    const patch = (contentType: string, body: unknown) =>
      fetch(url, { method: 'PATCH', headers: { 'content-type': contentType }, body: JSON.stringify(body) });

    try {
      // Act
      const replaced = await patch('application/json-patch+json', [
        { op: 'test', path: '/spec/template/spec/containers/0/name', value: 'web' },
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'web:2' },
      ]);
      const unknown = await patch('application/json', { spec: { replicas: 2 } });

      // Assess
      expect(plain.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(plain.caPem).toBeUndefined();
      expect(replaced.status).toBe(200);
      expect(unknown.status).toBe(415);
      expect(plain.deployment('shop', 'web')).toMatchObject({
        metadata: { generation: 2 },
        spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'web:2' }] } } },
        status: { observedGeneration: 2 },
      });
    } finally {
      await plain.close();
    }
  });
});

describe('the Kubernetes client', () => {
  afterEach(() => {
    jest.dontMock('@kubernetes/client-node');
  });

  it('is not loaded with the adapters or a traffic handler, only when a call to a cluster asks for it', async () => {
    // Prepare: in a registry of its own, a client that fails if anything loads it.
    await jest.isolateModulesAsync(async () => {
      jest.doMock('@kubernetes/client-node', () => {
        throw new Error('the Kubernetes client was loaded');
      });

      // Act
      const load = () => {
        require('../../lambda/adapters/eks-workloads');
        require('../../lambda/adapters/ingress-traffic-router');
        require('../../lambda/adapters/istio-traffic-router');
        require('../../lambda/handlers/shift-weight');
        return require('../../lambda/adapters/eks-connection') as typeof import('../../lambda/adapters/eks-connection');
      };

      // Assess
      expect(load).not.toThrow();
      await expect(load().kubernetesClient()).rejects.toThrow('the Kubernetes client was loaded');
    });
  });
});
