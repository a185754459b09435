/**
 * What the edit and race flows need beyond flow-support: variants of the sample's synthesized
 * workflow (a rule target, `onDrift: 'adopt'`), a flow started on any of them, and the hands of a
 * person editing things mid-rollout (the listener's forward action, the canary Deployment through
 * the Kubernetes API, the canary's target health).
 */
import https from 'node:https';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { SAMPLE_CONTEXT_KEY } from '../../bin/serinus';
import { FIXTURE_CONFIG, fixtureContext } from '../../local/sample-config';
import { CanaryRollout, type CanaryRolloutProps } from '../../lib/canary-rollout';
import { EksCluster } from '../../lib/cluster';
import { LocalEngine, type LocalEngineOptions } from '../../local/local-engine';
import { synthesizeSampleWorkflow } from '../../local/sample-workflow';
import { extractWorkflow, type SynthesizedWorkflow } from '../../local/synthesized-workflow';
import { FLOW_SPEED, STABLE, observed, type Flow } from './flow-support';
import { albTarget } from '../../lambda/adapters/alb-target';
import { TrafficRouting } from '../../lib/routing';

const SAMPLE = { ...FIXTURE_CONFIG, alarmNames: FIXTURE_CONFIG.alarmNames ?? [] };

/** A rule of the sample's listener (its id is made up, as the sample's ARNs are). */
export const RULE_ARN = SAMPLE.listenerArn.replace(':listener/', ':listener-rule/') + '/9683b2d02a6cabee';

const workflows = new Map<string, SynthesizedWorkflow>();

/** The sample steering one listener rule instead of the listener's default action: the fixture with `listenerRuleArn` set. */
export function ruleWorkflow(): SynthesizedWorkflow {
  let workflow = workflows.get('rule');
  if (!workflow) {
    workflow = synthesizeSampleWorkflow({ [SAMPLE_CONTEXT_KEY]: { ...SAMPLE, listenerRuleArn: RULE_ARN } });
    workflows.set('rule', workflow);
  }
  return workflow;
}

/** The sample's rollout built with extra construct props (e.g. `onDrift: OnDrift.ADOPT`). */
export function sampleWorkflowWith(key: string, extra: Partial<CanaryRolloutProps>): SynthesizedWorkflow {
  let workflow = workflows.get(key);
  if (!workflow) {
    const app = new App({ context: { ...fixtureContext(), 'aws:cdk:disable-asset-staging': true }, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'SerinusCheckout', { env: { account: SAMPLE.account, region: SAMPLE.region } });
    const managed = SAMPLE.managedAlarms;
    const rollout = new CanaryRollout(stack, 'Checkout', {
      serviceName: SAMPLE.serviceName,
      routing: TrafficRouting.albListenerArn(SAMPLE.listenerArn, {
        stable: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'Stable', { targetGroupArn: SAMPLE.stableTargetGroupArn }),
        canary: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'Canary', { targetGroupArn: SAMPLE.canaryTargetGroupArn }),
      }),
      cluster: EksCluster.fromName(SAMPLE.clusterName),
      namespace: SAMPLE.namespace,
      stableDeployment: SAMPLE.stableDeployment,
      canaryDeployment: SAMPLE.canaryDeployment,
      containers: SAMPLE.containers,
      alarms: SAMPLE.alarmNames.map((name, i) => cloudwatch.Alarm.fromAlarmName(stack, `Alarm${i}`, name)),
      managedAlarms: managed && {
        errorRateThresholdPercent: managed.errorRateThresholdPercent,
        minimumRequests: managed.minimumRequests,
        compareWithStable: managed.compareWithStable,
        p99LatencyThreshold: managed.p99LatencyMilliseconds === undefined ? undefined : Duration.millis(managed.p99LatencyMilliseconds),
      },
      strategy: SAMPLE.strategy,
      ...extra,
    });
    workflow = extractWorkflow(rollout.stateMachine, rollout.engine._functions);
    workflows.set(key, workflow);
  }
  return workflow;
}

/** flow-support's `startFlow`, on any synthesized workflow. */
export async function startFlowOn(workflow: SynthesizedWorkflow, options: LocalEngineOptions = {}): Promise<Flow> {
  const engine = await LocalEngine.start(workflow, {
    speed: FLOW_SPEED,
    rolloutDelayMs: 0,
    schedulerFiring: 'immediate',
    stableImage: STABLE,
    ...options,
  });
  return observed(engine);
}

/** The listener or rule the flow steers. */
export function steered(flow: Flow): string {
  const traffic = albTarget(flow.engine.target.traffic);
  return traffic.ruleArn ?? traffic.listenerArn;
}

/** The raw weights of every target group in the steered forward action, as the load balancer applies them; undefined once the rule is gone. */
export function liveWeights(flow: Flow): Record<string, number> | undefined {
  const { elbv2: fake } = flow.engine.aws;
  const arn = steered(flow);
  const exists = (fake.describeRules({ ListenerArn: albTarget(flow.engine.target.traffic).listenerArn }).Rules ?? []).some((rule) => rule.RuleArn === arn);
  return exists || arn === albTarget(flow.engine.target.traffic).listenerArn ? fake.weights(arn) : undefined;
}

/** Someone edits the canary Deployment through the Kubernetes API (a JSON merge patch, as `kubectl patch --type merge`). */
export function patchCanary(flow: Flow, patch: unknown): Promise<number> {
  const { namespace, canaryDeployment } = flow.engine.target.workload;
  const url = new URL(`/apis/apps/v1/namespaces/${namespace}/deployments/${canaryDeployment}`, flow.engine.kube.url);
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        method: 'PATCH',
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        ca: flow.engine.kube.caPem,
        agent: false,
        headers: { 'content-type': 'application/merge-patch+json' },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(patch));
  });
}

/** The canary's pods fail the load balancer's health checks: every registered target turns unhealthy. */
export function canaryTargetsUnhealthy(flow: Flow): void {
  const { elbv2: fake } = flow.engine.aws;
  const arn = albTarget(flow.engine.target.traffic).canaryTargetGroupArn;
  const targets = fake.describeTargetHealth({ TargetGroupArn: arn }).TargetHealthDescriptions ?? [];
  fake.setTargetHealth(
    arn,
    targets.map((t) => ({ id: t.Target!.Id!, port: t.Target!.Port, state: 'unhealthy' as const })),
  );
}

/** Healthy targets the canary target group has now. */
export function canaryHealthyTargets(flow: Flow): number {
  const arn = albTarget(flow.engine.target.traffic).canaryTargetGroupArn;
  const targets = flow.engine.aws.elbv2.describeTargetHealth({ TargetGroupArn: arn }).TargetHealthDescriptions ?? [];
  return targets.filter((t) => t.TargetHealth?.State === 'healthy').length;
}

/**
 * From now on, whenever the controller registers the canary's pods, they register unhealthy: the
 * pods run, but fail the target group's health check. @returns a function that stops it
 */
export function canaryPodsFailHealthChecks(flow: Flow): () => void {
  const { namespace, canaryDeployment } = flow.engine.target.workload;
  // Added after the engine's own listener, so it runs after the registration it overrides.
  return flow.engine.kube.onChange((ns, name) => {
    if (ns === namespace && name === canaryDeployment) canaryTargetsUnhealthy(flow);
  });
}

export function canaryReplicas(flow: Flow): number {
  const { namespace, canaryDeployment } = flow.engine.target.workload;
  return flow.engine.kube.deployment(namespace, canaryDeployment).spec.replicas;
}

export function stableImage(flow: Flow): string {
  const { namespace, stableDeployment } = flow.engine.target.workload;
  return flow.engine.kube.deployment(namespace, stableDeployment).spec.template.spec.containers[0]!.image;
}
