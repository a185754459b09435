import { ValidationFailedError } from '../errors';
import { DEFAULT_STRATEGY, parseRolloutInput, requestedImageParameter, type ResolvedImageParameter } from '../domain/input-schema';
import { planRollout } from '../domain/planner';
import { parseTargetConfig } from '../domain/target-schema';
import { formatWeights } from '../domain/weights';
import { DEFAULT_MAX_ROLLOUT_SECONDS, targetKey, type DeploymentRef, type RolloutPlan, type RolloutRequest, type TargetConfig } from '../domain/types';
import { calendarProblems } from '../domain/windows';
import type { Clock, HealthSignals, ImageParameters, TrafficRouter, Workloads } from '../ports';
import { canaryRef, stableRef, type AlreadyRunning, type RolloutContext } from './context';

export interface ValidateEvent {
  readonly executionArn: string;
  readonly input: unknown;
  readonly target: unknown;
}

/**
 * Checks everything before anything changes: the input, the plan, the listener's forward action,
 * the alarms and both Deployments. Every problem is collected and reported at once. An image read
 * from an SSM parameter that stable already runs is not a rollout: the context says so in
 * `alreadyRunning`, and the workflow ends there.
 */
export async function validateRollout(
  deps: { router: TrafficRouter; health: HealthSignals; workloads: Workloads; parameters?: ImageParameters; clock?: Clock },
  event: ValidateEvent,
): Promise<RolloutContext> {
  const target = parseTargetConfig(event.target);
  const problems: string[] = [];

  let request: RolloutRequest | undefined;
  let plan: RolloutPlan | undefined;
  try {
    const parameterName = requestedImageParameter(event.input, target);
    let parameter: ResolvedImageParameter | undefined;
    if (parameterName !== undefined) {
      if (!deps.parameters) throw new Error('Validate was built without an ImageParameters adapter');
      parameter = await deps.parameters.read(parameterName);
    }
    request = parseRolloutInput(event.input, target, parameter);
    const planned = planRollout(request, target);
    plan = planned;
    const limit = target.timing.maxRolloutSeconds ?? DEFAULT_MAX_ROLLOUT_SECONDS;
    if (planned.maxDurationSeconds > limit) {
      problems.push(
        `${planSource(event.input, target)} make the plan take up to ${planned.maxDurationSeconds} s (bakes, readiness waits and settle times), more than the state machine's timeout of ${limit} s (the construct's maxRolloutDuration); use fewer or shorter bakes`,
      );
    }
    const stepSeconds = planned.steps.map((step) => target.timing.settleSeconds + step.bakeSeconds);
    problems.push(...calendarProblems(target.calendar, request.calendar, stepSeconds, deps.clock?.now() ?? new Date(), limit));
  } catch (error) {
    collect(error, problems);
  }

  const checks = await Promise.allSettled([
    deps.router.readWeights(target.traffic).then((live) => {
      if (live.canary !== 0) {
        problems.push(
          `the canary target group already has traffic (${formatWeights(live)}); another rollout may be running, or an earlier one did not finish — its cleanup puts traffic back on stable`,
        );
      }
    }),
    deps.health.alarmStates(target.alarmNames),
    checkContainers(deps.workloads, stableRef(target), target, problems),
    checkContainers(deps.workloads, canaryRef(target), target, problems),
  ]);
  for (const check of checks) {
    if (check.status === 'rejected') collect(check.reason, problems);
  }

  if (problems.length > 0 || !request || !plan) throw new ValidationFailedError(problems);
  const stableImages = checks[2].status === 'fulfilled' ? checks[2].value : {};
  const alreadyRunning = releaseAlreadyRunning(request, stableImages);
  return {
    executionArn: event.executionArn,
    targetKey: targetKey(target.traffic),
    target,
    request,
    plan,
    stepCount: plan.steps.length,
    ...(alreadyRunning && { alreadyRunning }),
  };
}

/** A release whose image came from its SSM parameter and that stable already runs: nothing to roll out. */
function releaseAlreadyRunning(request: RolloutRequest, stableImages: Record<string, string>): AlreadyRunning | undefined {
  const parameter = request.imageParameter;
  if (!parameter) return undefined;
  const entries = Object.entries(request.images);
  if (!entries.every(([container, image]) => stableImages[container] === image)) return undefined;
  const images = entries.map(([container, image]) => `${image} (container "${container}")`).join(', ');
  return {
    message: `nothing to roll out: stable already runs ${images}, the image SSM parameter "${parameter.name}" holds at version ${parameter.version}`,
    images: request.images,
    imageParameter: parameter,
  };
}

/** The Deployment's images, after checking it has every container the service rolls out. */
async function checkContainers(workloads: Workloads, ref: DeploymentRef, target: TargetConfig, problems: string[]): Promise<Record<string, string>> {
  const { images } = await workloads.snapshot(ref);
  const missing = target.workload.containers.filter((name) => !(name in images));
  if (missing.length > 0) {
    problems.push(
      `deployment "${ref.name}" in namespace "${ref.namespace}" has no container named ${missing.map((m) => `"${m}"`).join(', ')} (it has ${Object.keys(images).join(', ') || 'none'})`,
    );
  }
  return images;
}

/** Validation problems are collected; anything else (throttling, network) is not the user's fault and propagates. */
function collect(error: unknown, problems: string[]): void {
  if (error instanceof ValidationFailedError) {
    problems.push(...error.problems);
    return;
  }
  throw error;
}

/** The field that chose the steps: the input's `steps` or `strategy`, else the service's default. */
function planSource(input: unknown, target: TargetConfig): string {
  const fields = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  if (fields.steps !== undefined) return 'steps (their bakeSeconds)';
  if (typeof fields.strategy === 'string') return `strategy "${fields.strategy}" and its bakes`;
  if (target.defaults.steps !== undefined) return "the service's defaults.steps";
  return `the service's default strategy "${target.defaults.strategy ?? DEFAULT_STRATEGY}" and its bakes`;
}
