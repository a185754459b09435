import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { eksMock } from '../support/eks-mock';
import { EksConnections } from '../../lambda/adapters/eks-connection';
import { ingressTargetKey, type IngressTarget } from '../../lambda/adapters/ingress-target';
import { IngressTrafficRouter } from '../../lambda/adapters/ingress-traffic-router';
import { DriftDetectedError, RecordMismatchError, ValidationFailedError, WeightNotAppliedError } from '../../lambda/errors';
import { FakeAlbController, ingressPath } from '../../local/fakes/alb-controller';
import { FakeElbv2 } from '../../local/fakes/elbv2';
import type { Interception } from '../../local/fakes/sdk-intercept';
import { type FakeKubernetes, type FakeObject, startFakeKubernetes } from '../../local/fake-kubernetes';

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LISTENER = `${PREFIX}:listener/app/k8s-shop-web-1a2b3c4d5e/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const DEFAULT_TG = `${PREFIX}:targetgroup/k8s-default-404/0123456789abcdef`;
const KEY = 'alb.ingress.kubernetes.io/actions.split';
const PATH = ingressPath('shop', 'web');
const TOKEN = 'k8s-aws-v1.test-token';

const target: IngressTarget = {
  kind: 'ingress',
  key: ingressTargetKey({ clusterName: 'prod', namespace: 'shop', ingressName: 'web', actionName: 'split' }),
  clusterName: 'prod',
  namespace: 'shop',
  ingressName: 'web',
  actionName: 'split',
  stableService: 'web',
  canaryService: 'web-canary',
  servicePort: '80',
  listenerArn: LISTENER,
};

const STICKINESS = { enabled: true, durationSeconds: 200 };
const camel = (stable: number, canary: number) =>
  JSON.stringify({
    type: 'forward',
    forwardConfig: {
      targetGroups: [
        { serviceName: 'web', servicePort: 80, weight: stable },
        { serviceName: 'web-canary', servicePort: 80, weight: canary },
      ],
      targetGroupStickinessConfig: STICKINESS,
    },
  });
const pascal = (stable: number, canary: number) =>
  JSON.stringify({
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { ServiceName: 'web', ServicePort: '80', Weight: stable },
        { ServiceName: 'web-canary', ServicePort: '80', Weight: canary },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 200 },
    },
  });

const SPEC = {
  ingressClassName: 'alb',
  rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'split', port: { name: 'use-annotation' } } } }] } }],
};
const OTHER_ANNOTATIONS = { 'alb.ingress.kubernetes.io/scheme': 'internet-facing', 'alb.ingress.kubernetes.io/target-type': 'ip' };

let kube: FakeKubernetes;
let elbv2: FakeElbv2;
let stub: Interception;
let controller: FakeAlbController;
let ruleArn: string;
let stableTg: string;
let canaryTg: string;
let sleep: jest.Mock<Promise<void>, [number]>;
let router: IngressTrafficRouter;

function putIngress(annotation: string | undefined): FakeObject {
  return kube.putObject(PATH, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { annotations: { ...OTHER_ANNOTATIONS, ...(annotation !== undefined && { [KEY]: annotation }) } },
    spec: SPEC,
  });
}

/** Someone changes the Ingress and the controller applies it: the starting state of a test. */
function startFrom(annotation: string | undefined): void {
  putIngress(annotation);
  controller.reconcile();
  kube.requests.length = 0;
  elbv2.log.length = 0;
  controller.errors.length = 0;
}

beforeEach(async () => {
  eksMock.reset();
  kube = await startFakeKubernetes({ token: TOKEN });
  eksMock.on(DescribeClusterCommand).resolves({ cluster: kube.eksCluster('prod') });
  elbv2 = new FakeElbv2();
  stub = elbv2.install();
  elbv2.addListener(LISTENER, [{ Type: 'forward', TargetGroupArn: DEFAULT_TG }]);
  putIngress(camel(100, 0));
  controller = new FakeAlbController({ kube, elbv2, clusterName: 'prod', lagReads: 2 });
  ruleArn = controller.manage({ namespace: 'shop', ingressName: 'web', actionName: 'split', listenerArn: LISTENER });
  stableTg = controller.targetGroupArn(LISTENER, 'shop', 'web', 'web', '80');
  canaryTg = controller.targetGroupArn(LISTENER, 'shop', 'web', 'web-canary', '80');
  sleep = jest.fn(async (_ms: number) => {});
  const connections = new EksConnections(new EKSClient({}), async () => TOKEN);
  router = new IngressTrafficRouter({
    kube: async () => connections,
    client: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
    readBackAttempts: 5,
    readBackDelayMs: 1000,
    sleep,
  });
  kube.requests.length = 0;
  elbv2.log.length = 0;
});

afterEach(async () => {
  controller.close();
  stub.restore();
  await kube.close();
});

const GET = { method: 'GET', path: PATH, contentType: undefined, body: undefined, status: 200 };
const annotationOf = () => kube.object(PATH).metadata.annotations?.[KEY];
const commands = () => elbv2.log.map((entry) => entry.command);
const describeRules = { command: 'DescribeRules', input: { ListenerArn: LISTENER } };

describe('IngressTrafficRouter.readTraffic', () => {
  it.each([
    ['camelCase', camel(90, 10)],
    ['PascalCase', pascal(90, 10)],
  ])('reads the weights of a %s annotation from the Ingress, and nothing from ELBv2', async (_case, annotation) => {
    // Prepare
    startFrom(annotation);

    // Act
    const reading = await router.readTraffic(target);

    // Assess
    expect(reading).toEqual({ weights: { stable: 90, canary: 10 }, canaryAttached: true });
    expect(kube.requests).toEqual([GET]);
    expect(elbv2.log).toEqual([]);
  });

  it('says the canary is not attached when the action forwards to stable alone', async () => {
    // Prepare
    startFrom('{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":100}]}}');

    // Act
    const reading = await router.readTraffic(target);

    // Assess
    expect(reading).toEqual({ weights: { stable: 100, canary: 0 }, canaryAttached: false });
  });

  it('names the Ingress when it does not exist', async () => {
    // Prepare
    kube.reset();

    // Act
    const result = router.readWeights(target);

    // Assess
    await expect(result).rejects.toThrow(ValidationFailedError);
    await expect(result).rejects.toThrow('ingress "web" not found in namespace "shop" of cluster "prod"');
  });

  it('checks the target before any call', async () => {
    // Act
    const result = router.readWeights({ ...target, servicePort: '' });

    // Assess
    await expect(result).rejects.toThrow(/traffic servicePort: must be a port number or a Service port name/);
    expect(kube.requests).toEqual([]);
  });
});

describe('IngressTrafficRouter.writeWeights', () => {
  it('PUTs the Ingress as read with only the weights changed, then reads the rule back until the controller applied them', async () => {
    // Prepare
    const before = kube.object(PATH);

    // Act
    const result = await router.writeWeights(target, { stable: 90, canary: 10 }, { expected: { stable: 100, canary: 0 } });

    // Assess
    expect(result).toEqual({ previous: { stable: 100, canary: 0 }, applied: { stable: 90, canary: 10 }, wrote: true });
    expect(kube.requests).toEqual([
      GET,
      {
        method: 'PUT',
        path: PATH,
        contentType: 'application/json',
        body: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: {
            name: 'web',
            namespace: 'shop',
            generation: 1,
            // Optimistic concurrency: the API server answers 409 Conflict to a PUT whose resourceVersion is not
            // the stored one (Kubernetes API conventions, "Concurrency Control and Consistency").
            resourceVersion: before.metadata.resourceVersion,
            annotations: { ...OTHER_ANNOTATIONS, [KEY]: camel(90, 10) },
          },
          spec: SPEC,
        },
        status: 200,
      },
    ]);
    // The controller shows the change at the third read: two pauses of the read-back delay.
    expect(elbv2.log).toEqual([
      describeRules,
      { command: 'DescribeTags', input: { ResourceArns: [stableTg, canaryTg, DEFAULT_TG] } },
      describeRules,
      describeRules,
    ]);
    expect(sleep.mock.calls).toEqual([[1000], [1000]]);
    expect(elbv2.weights(ruleArn)).toEqual({ [stableTg]: 90, [canaryTg]: 10 });
  });

  it('reads a PascalCase annotation and writes it back in camelCase, keeping its stickiness config', async () => {
    // Prepare
    startFrom(pascal(100, 0));

    // Act
    await router.writeWeights(target, { stable: 75, canary: 25 });

    // Assess
    expect(annotationOf()).toBe(camel(75, 25).replace(/"servicePort":80/g, '"servicePort":"80"'));
    expect(elbv2.weights(ruleArn)).toEqual({ [stableTg]: 75, [canaryTg]: 25 });
  });

  it('refuses drift and writes nothing, without calling the fence or ELBv2', async () => {
    // Prepare
    startFrom(camel(80, 20));
    const fence = jest.fn(async () => {});

    // Act
    const result = router.writeWeights(target, { stable: 90, canary: 10 }, { expected: { stable: 100, canary: 0 }, fence });

    // Assess
    await expect(result).rejects.toThrow(DriftDetectedError);
    await expect(result).rejects.toThrow(/carries stable 80 \/ canary 20, but serinus last wrote stable 100 \/ canary 0/);
    expect(kube.requests).toEqual([GET]);
    expect(fence).not.toHaveBeenCalled();
    expect(elbv2.log).toEqual([]);
    expect(annotationOf()).toBe(camel(80, 20));
  });

  it('takes live weights equal to the wanted ones for a retried write, not drift, and still verifies them', async () => {
    // Prepare: a first attempt wrote the annotation and timed out waiting for a stalled controller.
    controller.pause();
    await expect(router.writeWeights(target, { stable: 90, canary: 10 }, { expected: { stable: 100, canary: 0 } })).rejects.toThrow(
      WeightNotAppliedError,
    );
    controller.resume();
    kube.requests.length = 0;
    elbv2.log.length = 0;

    // Act: the task is retried.
    const result = await router.writeWeights(target, { stable: 90, canary: 10 }, { expected: { stable: 100, canary: 0 } });

    // Assess
    expect(result).toEqual({ previous: { stable: 90, canary: 10 }, applied: { stable: 90, canary: 10 }, wrote: false });
    expect(kube.requests).toEqual([GET]);
    expect(commands()).toEqual(['DescribeRules', 'DescribeRules', 'DescribeRules']);
    expect(elbv2.weights(ruleArn)).toEqual({ [stableTg]: 90, [canaryTg]: 10 });
  });

  it('calls the fence right before the PUT', async () => {
    // Prepare
    const seenAtFence: string[] = [];
    const fence = jest.fn(async () => {
      seenAtFence.push(...kube.requests.map((r) => r.method));
    });

    // Act
    await router.writeWeights(target, { stable: 90, canary: 10 }, { fence });

    // Assess
    expect(fence).toHaveBeenCalledTimes(1);
    expect(seenAtFence).toEqual(['GET']);
    expect(kube.requests.map((r) => r.method)).toEqual(['GET', 'PUT']);
  });

  it('writes nothing when the fence fails', async () => {
    // Prepare
    const fence = jest.fn(async () => {
      throw new RecordMismatchError('the rollout ended');
    });

    // Act
    const result = router.writeWeights(target, { stable: 90, canary: 10 }, { fence });

    // Assess
    await expect(result).rejects.toThrow(RecordMismatchError);
    expect(kube.requests).toEqual([GET]);
    expect(annotationOf()).toBe(camel(100, 0));
    expect(elbv2.log).toEqual([]);
  });

  it('lets decide pick the weights from the read, and writes nothing when it says so', async () => {
    // Prepare
    const decide = jest.fn(async () => undefined);

    // Act
    const result = await router.writeWeights(target, { stable: 0, canary: 0 }, { decide });

    // Assess
    expect(decide).toHaveBeenCalledWith({ stable: 100, canary: 0 });
    expect(result).toEqual({ previous: { stable: 100, canary: 0 }, applied: { stable: 100, canary: 0 }, wrote: false });
    expect(kube.requests).toEqual([GET]);
  });

  it('retries a 409 Conflict by reading again, keeping the concurrent edit and fencing each PUT', async () => {
    // Prepare
    const held = kube.hold({ method: 'PUT', path: PATH });
    const fence = jest.fn(async () => {});
    const result = router.writeWeights(target, { stable: 90, canary: 10 }, { expected: { stable: 100, canary: 0 }, fence });
    await held.reached;
    const current = kube.object(PATH);
    const concurrent = kube.putObject(PATH, { ...current, metadata: { ...current.metadata, labels: { team: 'checkout' } } });

    // Act
    held.release();
    await result;

    // Assess
    expect(kube.requests.map((r) => [r.method, r.status])).toEqual([
      ['GET', 200],
      ['PUT', 409],
      ['GET', 200],
      ['PUT', 200],
    ]);
    expect((kube.requests[3]!.body as FakeObject).metadata.resourceVersion).toBe(concurrent.metadata.resourceVersion);
    expect(fence).toHaveBeenCalledTimes(2);
    const after = kube.object(PATH);
    expect(after.metadata).toMatchObject({ labels: { team: 'checkout' }, annotations: { [KEY]: camel(90, 10) } });
  });

  it('applies the drift check to the fresh read after a 409: a concurrent weight edit is never overwritten', async () => {
    // Prepare
    const held = kube.hold({ method: 'PUT', path: PATH });
    const result = router.writeWeights(target, { stable: 90, canary: 10 }, { expected: { stable: 100, canary: 0 } });
    await held.reached;
    putIngress(camel(50, 50));

    // Act
    held.release();

    // Assess
    await expect(result).rejects.toThrow(DriftDetectedError);
    expect(kube.requests.map((r) => [r.method, r.status])).toEqual([
      ['GET', 200],
      ['PUT', 409],
      ['GET', 200],
    ]);
    expect(annotationOf()).toBe(camel(50, 50));
  });

  it('gives up after conflictAttempts 409s with the API server message', async () => {
    // Prepare
    let remaining = 3;
    const racing = jest.fn(async () => {
      // Someone else writes between every read and write.
      if (remaining-- > 0) putIngress(camel(100, 0));
    });

    // Act
    const result = router.writeWeights(target, { stable: 90, canary: 10 }, { fence: racing });

    // Assess
    await expect(result).rejects.toThrow(/Kubernetes API answered 409 to the update of ingress "web".*the object has been modified/);
    expect(kube.requests.map((r) => r.status)).toEqual([200, 409, 200, 409, 200, 409]);
  });

  it('fails with WeightNotAppliedError after the bounded read-back when the controller never reconciles', async () => {
    // Prepare
    controller.pause();

    // Act
    const result = router.writeWeights(target, { stable: 90, canary: 10 });

    // Assess
    await expect(result).rejects.toThrow(WeightNotAppliedError);
    await expect(result).rejects.toThrow(
      new RegExp(`after 5 reads of listener .* had not applied it: rule ${ruleArn} shows stable 100 / canary 0`),
    );
    expect(commands().filter((c) => c === 'DescribeRules')).toHaveLength(5);
    expect(sleep).toHaveBeenCalledTimes(4);
    expect(annotationOf()).toBe(camel(90, 10));
  });

  it('never edits the listener: only Describe calls reach ELBv2', async () => {
    // Act
    await router.writeWeights(target, { stable: 90, canary: 10 });
    await router.restoreStable(target);

    // Assess
    expect(commands().every((c) => c.startsWith('Describe'))).toBe(true);
  });

  it('steers through the annotation even when someone edited the rule directly, and waits past that edit', async () => {
    // Prepare: a direct ModifyRule, which the controller reverts at its next reconcile.
    const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
    await client.send(
      new ModifyRuleCommand({
        RuleArn: ruleArn,
        Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: stableTg, Weight: 70 }, { TargetGroupArn: canaryTg, Weight: 30 }] } }],
      }),
    );
    elbv2.log.length = 0;

    // Act: the annotation still says 100/0, so there is no drift; 70/30 on the rule is not the written 90/10.
    const result = await router.writeWeights(target, { stable: 90, canary: 10 }, { expected: { stable: 100, canary: 0 } });
    controller.reconcile();

    // Assess
    expect(result).toEqual({ previous: { stable: 100, canary: 0 }, applied: { stable: 90, canary: 10 }, wrote: true });
    expect(commands().filter((c) => c === 'DescribeRules')).toHaveLength(3);
    expect(elbv2.weights(ruleArn)).toEqual({ [stableTg]: 90, [canaryTg]: 10 });
  });
});

describe('IngressTrafficRouter.attachCanary', () => {
  it('adds the canary Service at weight 0 and waits until the controller put its target group in the rule', async () => {
    // Prepare
    startFrom('{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":100}]}}');

    // Act
    const wrote = await router.attachCanary(target);

    // Assess
    expect(wrote).toBe(true);
    expect(JSON.parse(annotationOf()!).forwardConfig.targetGroups).toEqual([
      { serviceName: 'web', servicePort: 80, weight: 100 },
      { serviceName: 'web-canary', servicePort: 80, weight: 0 },
    ]);
    expect(elbv2.weights(ruleArn)).toEqual({ [stableTg]: 100, [canaryTg]: 0 });
    expect(commands().filter((c) => c === 'DescribeRules')).toHaveLength(3);
  });

  it('writes nothing when the canary is already attached', async () => {
    // Act
    const wrote = await router.attachCanary(target);

    // Assess
    expect(wrote).toBe(false);
    expect(kube.requests).toEqual([GET]);
  });
});

describe('IngressTrafficRouter.restoreStable', () => {
  const forward = (targetGroups: unknown[]) => JSON.stringify({ type: 'forward', forwardConfig: { targetGroups } });
  const web = (weight: number) => ({ serviceName: 'web', servicePort: 80, weight });
  const canary = (weight: number) => ({ serviceName: 'web-canary', servicePort: 80, weight });
  const legacy = (weight: number) => ({ serviceName: 'legacy', servicePort: 80, weight });

  it.each<[string, string, unknown[], RegExp[]]>([
    ['the canary carrying traffic', camel(10, 90), [web(100), canary(0)], []],
    ['a PascalCase annotation', pascal(50, 50), [{ serviceName: 'web', servicePort: '80', weight: 100 }, { serviceName: 'web-canary', servicePort: '80', weight: 0 }], []],
    ['both at 0', forward([web(0), canary(0)]), [web(100), canary(0)], [/gave the stable Service weight 0/]],
    ['the stable Service missing', forward([canary(100)]), [web(100), canary(0)], [/no longer forwarded to the stable Service "web"/]],
    ['a third Service with traffic', forward([web(50), canary(20), legacy(30)]), [web(100), canary(0), legacy(0)], [/forwarded to service "legacy" port 80 \(weight 30\)/]],
  ])('never refuses: from %s it writes stable 100 / canary 0 and waits for the controller', async (_case, annotation, written, findings) => {
    // Prepare
    startFrom(annotation);

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result.wrote).toBe(true);
    expect(result.nothingToSteer).toBe(false);
    expect(result.findings).toEqual(findings.map((finding) => expect.stringMatching(finding)));
    expect(JSON.parse(annotationOf()!).forwardConfig.targetGroups).toEqual(written);
    const live = elbv2.weights(ruleArn);
    expect(live[stableTg]).toBe(100);
    expect(Object.entries(live).filter(([arn, weight]) => arn !== stableTg && weight > 0)).toEqual([]);
    expect(commands().filter((c) => c === 'DescribeRules')).toHaveLength(3);
  });

  it('replaces an annotation the controller cannot read, and the controller then puts traffic on stable', async () => {
    // Prepare: the rule still carries an earlier 50/50; the broken annotation never reached it.
    startFrom(camel(50, 50));
    startFrom('{"type":"forward",');

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result.findings).toEqual([expect.stringMatching(/was not a JSON object; replaced it/)]);
    expect(JSON.parse(annotationOf()!)).toEqual({ type: 'forward', forwardConfig: { targetGroups: [web(100), canary(0)] } });
    expect(elbv2.weights(ruleArn)).toEqual({ [stableTg]: 100, [canaryTg]: 0 });
  });

  it('writes nothing and reads nothing from ELBv2 when stable already carries the traffic', async () => {
    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result).toEqual({ wrote: false, nothingToSteer: false, findings: [] });
    expect(kube.requests).toEqual([GET]);
    expect(elbv2.log).toEqual([]);
  });

  it('has nothing to steer when the Ingress is gone', async () => {
    // Prepare
    kube.reset();

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result).toEqual({
      wrote: false,
      nothingToSteer: true,
      findings: ['ingress "web" no longer exists in namespace "shop", so no traffic goes through it'],
    });
  });

  it('has nothing to steer when the action is no longer a forward', async () => {
    // Prepare
    putIngress('{"type":"fixed-response","fixedResponseConfig":{"contentType":"text/plain","statusCode":"503"}}');

    // Act
    const result = await router.restoreStable(target);

    // Assess
    expect(result).toMatchObject({ wrote: false, nothingToSteer: true });
    expect(kube.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('fails with WeightNotAppliedError when the controller never reconciles, after writing the annotation', async () => {
    // Prepare
    startFrom(camel(10, 90));
    controller.pause();

    // Act
    const result = router.restoreStable(target);

    // Assess
    await expect(result).rejects.toThrow(WeightNotAppliedError);
    await expect(result).rejects.toThrow(`back on the stable Service, but after 5 reads of listener ${LISTENER}`);
    await expect(result).rejects.toThrow(`rule ${ruleArn} shows stable 10, ${canaryTg} 90`);
    expect(JSON.parse(annotationOf()!).forwardConfig.targetGroups).toEqual([web(100), canary(0)]);
  });

  it('writes nothing when the fence fails', async () => {
    // Prepare
    startFrom(camel(10, 90));
    const fence = jest.fn(async () => {
      throw new RecordMismatchError('another execution holds the record');
    });

    // Act
    const result = router.restoreStable(target, fence);

    // Assess
    await expect(result).rejects.toThrow(RecordMismatchError);
    expect(kube.requests.map((r) => r.method)).toEqual(['GET']);
    expect(annotationOf()).toBe(camel(10, 90));
  });
});

describe('IngressTrafficRouter.healthyTargets', () => {
  it('counts the healthy targets of the target group the controller tagged for each Service', async () => {
    // Prepare
    elbv2.setTargetHealth(stableTg, [
      { id: '10.0.1.10', state: 'healthy' },
      { id: '10.0.1.11', state: 'healthy' },
      { id: '10.0.1.12', state: 'unhealthy' },
    ]);
    elbv2.setTargetHealth(canaryTg, [{ id: '10.0.2.10', state: 'healthy' }]);

    // Act
    const stable = await router.healthyTargets(target, 'stable');
    const canaryCount = await router.healthyTargets(target, 'canary');

    // Assess
    expect([stable, canaryCount]).toEqual([2, 1]);
    expect(elbv2.log).toEqual([
      describeRules,
      { command: 'DescribeTags', input: { ResourceArns: [stableTg, canaryTg, DEFAULT_TG] } },
      { command: 'DescribeTargetHealth', input: { TargetGroupArn: stableTg } },
      // Tags are described once per target group.
      describeRules,
      { command: 'DescribeTargetHealth', input: { TargetGroupArn: canaryTg } },
    ]);
  });

  it('answers 0 for the canary before the controller created its target group', async () => {
    // Prepare
    elbv2.log.length = 0;
    const fresh = new FakeElbv2();
    stub.restore();
    stub = fresh.install();
    fresh.addListener(LISTENER, [{ Type: 'forward', TargetGroupArn: DEFAULT_TG }]);
    const stableOnly = new FakeAlbController({ kube, elbv2: fresh, clusterName: 'prod' });
    putIngress('{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":100}]}}');
    stableOnly.manage({ namespace: 'shop', ingressName: 'web', actionName: 'split', listenerArn: LISTENER });

    // Act
    const count = await router.healthyTargets(target, 'canary');

    // Assess
    expect(count).toBe(0);
    expect(fresh.log.map((entry) => entry.command)).toEqual(['DescribeRules', 'DescribeTags']);
    stableOnly.close();
  });

  it('ignores a target group with the same resource tag from another cluster', async () => {
    // Prepare
    const foreign = `${PREFIX}:targetgroup/k8s-shop-web-ffffffffff/ffffffffffffffff`;
    elbv2.addTargetGroup(foreign, { tags: { 'elbv2.k8s.aws/cluster': 'staging', 'ingress.k8s.aws/resource': 'shop/web-web:80' } });
    elbv2.setTargetHealth(foreign, [{ id: '10.9.0.1', state: 'healthy' }]);
    elbv2.addRule(`${LISTENER.replace(':listener/', ':listener-rule/')}/aaaaaaaaaaaaaaaa`, LISTENER, [{ Type: 'forward', TargetGroupArn: foreign }], { priority: 0 });
    elbv2.setTargetHealth(stableTg, [{ id: '10.0.1.10', state: 'healthy' }]);

    // Act
    const count = await router.healthyTargets(target, 'stable');

    // Assess
    expect(count).toBe(1);
    expect(elbv2.log.at(-1)).toEqual({ command: 'DescribeTargetHealth', input: { TargetGroupArn: stableTg } });
  });
});
