/**
 * Many rollouts on many listeners at once, against a fake ELBv2 that throttles like the account's
 * token bucket. Every clock that matters runs `timeScale` times faster than real time: Wait states,
 * bake schedules, Step Functions retry intervals, the SDK's retry backoff and adaptive rate limiter,
 * the router's own pauses, and the bucket's refill. So a throttle means the same here as in AWS.
 *
 * The bucket runs dry only when the in-process engine sends requests faster than the compressed
 * refill (10 × `timeScale` a real second): a low time scale, a dense plan and starts all at once.
 * All rollouts share the runtime's one router client, so one adaptive rate limiter paces them all
 * (in AWS each Lambda container has its own): after the first throttles it holds the rate near the
 * bucket's, and later throttles are mostly its probes back up.
 */
import { LocalEngine } from '../local/local-engine';
import { coldRetryState } from '../local/fakes/sdk-intercept';
import { albTarget, albTargetKey } from '../lambda/adapters/alb-target';
import type { SynthesizedWorkflow } from '../local/synthesized-workflow';
import type { TargetConfig } from '../lambda/domain/types';
import type { TrafficRouters } from '../lambda/adapters/routers';

export interface ConcurrencyOptions {
  readonly rollouts: number;
  /** How much faster than real time everything runs, the bucket's refill included. */
  readonly timeScale: number;
  readonly bucket: { readonly capacity: number; readonly refillPerSecond: number };
  /** Every rollout's plan. */
  readonly steps: ReadonlyArray<{ weight: number; bakeSeconds: number }>;
  /** Real milliseconds between two starts; 0 starts every rollout at once. @default 0 */
  readonly staggerMs?: number;
}

export interface ConcurrencyResult {
  readonly rollouts: number;
  readonly promoted: number;
  /** Rollouts whose listener ended with stable 100, canary 0 (promoted or rolled back). */
  readonly endedSafe: number;
  readonly failures: Record<string, number>;
  /** One cause per failure kind, to read. */
  readonly causes: string[];
  /** Rollout durations in real seconds: median and longest. */
  readonly rolloutSeconds: { median: number; max: number };
  /** Every ELBv2 request sent, retries included. */
  readonly elbv2Calls: number;
  /** Requests the bucket refused. */
  readonly throttles: number;
  /** Throttled requests the SDK's own retry middleware sent again (attempt > 1 follows a throttle). */
  readonly sdkRetries: number;
  /** Whether the router client's adaptive rate limiter saw the throttles (it turns on at the first one). */
  readonly adaptiveLimiterEngaged: boolean;
  /** Failed rollouts whose cause names throttling: the account being busy failed them. */
  readonly failedByThrottling: number;
  /** Whole rollouts' wall-clock time, in real seconds, and what that is at the real clock. */
  readonly wallSeconds: number;
  readonly simulatedSeconds: number;
}

/** The sample target, moved to its own listener, target groups and Deployments. */
export function targetNumber(base: TargetConfig, n: number): TargetConfig {
  const id = n.toString(16).padStart(16, '0');
  const arnWith = (arn: string, name: string) => arn.replace(/\/[^/]+\/([0-9a-f]+)$/, `/${name}/${id}`);
  const traffic = albTarget(base.traffic);
  const listenerArn = traffic.listenerArn.replace(/\/[0-9a-f]+$/, `/${id}`);
  const { ruleArn: _rule, ...rest } = traffic;
  return {
    ...base,
    traffic: {
      ...rest,
      key: albTargetKey({ listenerArn }),
      listenerArn,
      stableTargetGroupArn: arnWith(traffic.stableTargetGroupArn, `stable-${n}`),
      canaryTargetGroupArn: arnWith(traffic.canaryTargetGroupArn, `canary-${n}`),
    },
    workload: { ...base.workload, stableDeployment: `app-${n}`, canaryDeployment: `app-${n}-canary` },
  };
}

export async function concurrentRollouts(workflow: SynthesizedWorkflow, options: ConcurrencyOptions): Promise<ConcurrencyResult> {
  const { timeScale } = options;
  const origin = Date.now();
  const scaledNow = () => origin + (Date.now() - origin) * timeScale;
  const engine = await LocalEngine.start(workflow, {
    speed: timeScale,
    retryTimeScale: timeScale,
    rolloutDelayMs: 0,
    schedulerFiring: process.env.BENCH_FIRING === 'immediate' ? 'immediate' : 'timer',
    elbv2: { tokenBucket: { ...options.bucket, now: scaledNow } },
  });
  // The runtime's SDK clients may have served earlier runs of this process on another clock (the
  // reference runs' ×1000): they start this one as a new Lambda container's would, with a full
  // retry quota and an adaptive rate limiter that saw no throttling, on this run's clock. Without
  // it the limiter sees time run backwards at the first throttle and holds its minimum rate.
  coldRetryState();
  try {
    const targets = Array.from({ length: options.rollouts }, (_, i) => targetNumber(workflow.target, i + 1));
    const workflows = targets.map((target) => {
      engine.addTarget(target);
      return engine.workflowFor(target);
    });
    // The seeding above used no ELBv2 API; start from a full bucket, as an idle account has.
    const startedAt = performance.now();
    const durations: number[] = [];
    const outcomes = await Promise.all(
      workflows.map(async (w, i) => {
        // A stagger spreads the starts; a burst of 100 Validates on a starved local CPU can trip the
        // interpreter's 60-second real-time task timeout, which measures the machine, not serinus.
        if (options.staggerMs) await new Promise((resolve) => setTimeout(resolve, i * options.staggerMs!));
        const outcome = await engine.start({ image: 'registry.local/app:2.0.0', steps: options.steps }, `bench-${i + 1}`, w).outcome;
        durations.push((performance.now() - startedAt) / 1000);
        return outcome;
      }),
    );
    durations.sort((a, b) => a - b);
    await engine.idle();
    const wallSeconds = (performance.now() - startedAt) / 1000;
    const failures: Record<string, number> = {};
    const causes: string[] = [];
    for (const o of outcomes) {
      if (o.status === 'SUCCEEDED') continue;
      const kind = o.error ?? o.status;
      if (!failures[kind]) causes.push(`${kind}: ${o.cause ?? ''}`.slice(0, 400));
      failures[kind] = (failures[kind] ?? 0) + 1;
    }
    const endedSafe = targets.filter((t) => {
      const traffic = albTarget(t.traffic);
      const w = engine.aws.elbv2.weights(traffic.listenerArn);
      return w[traffic.stableTargetGroupArn] === 100 && (w[traffic.canaryTargetGroupArn] ?? 0) === 0;
    }).length;
    const elbv2 = engine.aws.calls.filter((c) => c.service === 'elbv2');
    // The runtime's one ALB router client, as each handler of this process shares it (a Lambda
    // container shares it between its invocations): its adaptive strategy's rate limiter.
    const { router } = await import('../lambda/shared/wiring/router');
    const alb = await (router() as TrafficRouters).routerFor(targets[0]!.traffic);
    const client = (alb as unknown as { client: { config: { retryStrategy: () => Promise<{ rateLimiter?: { enabled?: boolean } }> } } }).client;
    const strategy = await client.config.retryStrategy();
    return {
      rollouts: options.rollouts,
      promoted: outcomes.filter((o) => o.status === 'SUCCEEDED').length,
      endedSafe,
      failures,
      causes,
      rolloutSeconds: { median: durations[Math.floor(durations.length / 2)] ?? 0, max: durations.at(-1) ?? 0 },
      elbv2Calls: elbv2.length,
      throttles: engine.aws.elbv2.throttled,
      sdkRetries: elbv2.filter((c) => c.attempt > 1).length,
      adaptiveLimiterEngaged: strategy.rateLimiter?.enabled === true,
      failedByThrottling: outcomes.filter((o) => o.status !== 'SUCCEEDED' && /throttl|rate exceeded/i.test(`${o.error} ${o.cause}`)).length,
      wallSeconds,
      simulatedSeconds: wallSeconds * timeScale,
    };
  } finally {
    await engine.close();
  }
}
