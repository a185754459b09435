/**
 * What the edit and race flows need beyond flow-support: a flow started on a variant of the sample's
 * workflow (test/support/flow-workflows.ts has them), and the hands of a
 * person editing things mid-rollout (the listener's forward action, the canary Deployment through
 * the Kubernetes API, the canary's target health).
 */
import https from 'node:https';
import { LocalEngine, type LocalEngineOptions } from '../../local/local-engine';
import type { SynthesizedWorkflow } from '../../local/synthesized-workflow';
import { FLOW_SPEED, STABLE, observed, type Flow } from './flow-support';
import { albTarget } from '../../lambda/adapters/alb-target';

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
