import {
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { FakeAlbController, ingressPath } from '../../local/fakes/alb-controller';
import { FakeElbv2 } from '../../local/fakes/elbv2';
import type { Interception } from '../../local/fakes/sdk-intercept';
import { type FakeKubernetes, startFakeKubernetes } from '../../local/fake-kubernetes';

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LISTENER = `${PREFIX}:listener/app/k8s-shop-web-1a2b3c4d5e/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const DEFAULT_TG = `${PREFIX}:targetgroup/k8s-default-404/0123456789abcdef`;
const KEY = 'alb.ingress.kubernetes.io/actions.split';
const PATH = ingressPath('shop', 'web');

const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });

const split = (stable: number, canary: number) =>
  JSON.stringify({
    type: 'forward',
    forwardConfig: {
      targetGroups: [
        { serviceName: 'web', servicePort: 80, weight: stable },
        { serviceName: 'web-canary', servicePort: 80, weight: canary },
      ],
      targetGroupStickinessConfig: { enabled: true, durationSeconds: 200 },
    },
  });

let kube: FakeKubernetes;
let elbv2: FakeElbv2;
let stub: Interception;
let controller: FakeAlbController;
let ruleArn: string;
let stableTg: string;
let canaryTg: string;

beforeEach(async () => {
  kube = await startFakeKubernetes({ tls: false });
  elbv2 = new FakeElbv2();
  stub = elbv2.install();
  elbv2.addListener(LISTENER, [{ Type: 'forward', TargetGroupArn: DEFAULT_TG }]);
  kube.putObject(PATH, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { annotations: { [KEY]: split(100, 0) } }, spec: {} });
  controller = new FakeAlbController({ kube, elbv2, clusterName: 'prod', lagReads: 2 });
  ruleArn = controller.manage({ namespace: 'shop', ingressName: 'web', actionName: 'split', listenerArn: LISTENER });
  stableTg = controller.targetGroupArn(LISTENER, 'shop', 'web', 'web', '80');
  canaryTg = controller.targetGroupArn(LISTENER, 'shop', 'web', 'web-canary', '80');
});

afterEach(async () => {
  controller.close();
  stub.restore();
  await kube.close();
});

/** Changes the Ingress the way a client does: a merge patch through the API server. */
async function annotate(value: string): Promise<void> {
  const response = await fetch(`${kube.url}${PATH}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ metadata: { annotations: { [KEY]: value } } }),
  });
  expect(response.status).toBe(200);
}

async function ruleWeights(): Promise<Record<string, number | undefined>> {
  const { Rules } = await client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
  return Object.fromEntries((Rules?.[0]?.Actions?.[0]?.ForwardConfig?.TargetGroups ?? []).map((t) => [t.TargetGroupArn!, t.Weight]));
}

describe('FakeAlbController', () => {
  it('creates the rule from the annotation, with a tagged target group per Service and the stickiness config', async () => {
    // Act
    const { Rules } = await client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
    const { TagDescriptions } = await client.send(new DescribeTagsCommand({ ResourceArns: [stableTg, canaryTg] }));

    // Assess
    expect(Rules?.[0]?.Actions).toEqual([
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: stableTg, Weight: 100 },
            { TargetGroupArn: canaryTg, Weight: 0 },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 200 },
        },
      },
    ]);
    // The controller's tags (buildTargetGroupResourceID: <namespace>/<ingress>-<service>:<port>).
    expect(TagDescriptions).toEqual([
      {
        ResourceArn: stableTg,
        Tags: [
          { Key: 'elbv2.k8s.aws/cluster', Value: 'prod' },
          { Key: 'ingress.k8s.aws/stack', Value: 'shop/web' },
          { Key: 'ingress.k8s.aws/resource', Value: 'shop/web-web:80' },
        ],
      },
      {
        ResourceArn: canaryTg,
        Tags: [
          { Key: 'elbv2.k8s.aws/cluster', Value: 'prod' },
          { Key: 'ingress.k8s.aws/stack', Value: 'shop/web' },
          { Key: 'ingress.k8s.aws/resource', Value: 'shop/web-web-canary:80' },
        ],
      },
    ]);
    expect(stableTg).toMatch(/:targetgroup\/k8s-shop-web-[0-9a-f]{10}\/[0-9a-f]{16}$/);
  });

  it('shows an Ingress change in the rule only after lagReads further reads of it', async () => {
    // Act
    await annotate(split(90, 10));
    const seen = [await ruleWeights(), await ruleWeights(), await ruleWeights(), await ruleWeights()];

    // Assess
    expect(seen).toEqual([
      { [stableTg]: 100, [canaryTg]: 0 },
      { [stableTg]: 100, [canaryTg]: 0 },
      { [stableTg]: 90, [canaryTg]: 10 },
      { [stableTg]: 90, [canaryTg]: 10 },
    ]);
    expect(controller.pending).toBe(false);
  });

  it('counts reads of the listener rules too, and only reads of its own rule', async () => {
    // Prepare
    await annotate(split(80, 20));

    // Act
    await client.send(new DescribeRulesCommand({ RuleArns: [elbv2.defaultRuleArn(LISTENER)] }));
    await client.send(new DescribeRulesCommand({ ListenerArn: LISTENER }));
    await client.send(new DescribeRulesCommand({ ListenerArn: LISTENER }));
    const pendingBefore = controller.pending;
    const weights = await ruleWeights();

    // Assess
    expect(pendingBefore).toBe(true);
    expect(weights).toEqual({ [stableTg]: 80, [canaryTg]: 20 });
  });

  it('never applies the change while paused, and applies it on reconcile once resumed', async () => {
    // Prepare
    controller.pause();
    await annotate(split(50, 50));

    // Act
    const whilePaused = [];
    for (let read = 0; read < 6; read++) whilePaused.push(await ruleWeights());
    controller.reconcile();
    const stillPaused = elbv2.weights(ruleArn);
    controller.resume();
    controller.reconcile();

    // Assess
    expect(whilePaused.every((w) => w[stableTg] === 100 && w[canaryTg] === 0)).toBe(true);
    expect(stillPaused).toEqual({ [stableTg]: 100, [canaryTg]: 0 });
    expect(elbv2.weights(ruleArn)).toEqual({ [stableTg]: 50, [canaryTg]: 50 });
  });

  it('reverts a direct ModifyRule on its rule at its next reconcile', async () => {
    // Prepare
    await client.send(
      new ModifyRuleCommand({
        RuleArn: ruleArn,
        Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: stableTg, Weight: 70 }, { TargetGroupArn: canaryTg, Weight: 30 }] } }],
      }),
    );
    const edited = elbv2.weights(ruleArn);

    // Act
    controller.reconcile();

    // Assess
    expect(edited).toEqual({ [stableTg]: 70, [canaryTg]: 30 });
    expect(elbv2.weights(ruleArn)).toEqual({ [stableTg]: 100, [canaryTg]: 0 });
  });

  it('reads the PascalCase annotation keys as the controller does', async () => {
    // Act
    await annotate('{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web","ServicePort":"80","Weight":60},{"ServiceName":"web-canary","ServicePort":"80","Weight":40}]}}');
    controller.reconcile();

    // Assess
    expect(elbv2.weights(ruleArn)).toEqual({ [stableTg]: 60, [canaryTg]: 40 });
  });

  it('leaves the rule as it was when the annotation cannot be read, and records why', async () => {
    // Act
    await annotate('{"type":"forward",');
    controller.reconcile();

    // Assess
    expect(elbv2.weights(ruleArn)).toEqual({ [stableTg]: 100, [canaryTg]: 0 });
    expect(controller.errors).toEqual([expect.stringMatching(/^shop\/web: failed to parse json annotation/)]);
  });

  it('answers DescribeTags for an unknown target group with TargetGroupNotFound, as ELBv2 does', async () => {
    // Act
    const result = client.send(new DescribeTagsCommand({ ResourceArns: [`${PREFIX}:targetgroup/gone/0000000000000000`] }));

    // Assess
    await expect(result).rejects.toBeInstanceOf(TargetGroupNotFoundException);
  });
});
