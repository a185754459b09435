/**
 * Builders for the domain objects tests hand to the code under test. Every call returns fresh
 * objects, so a test that changes one cannot leak into the next. The defaults describe one
 * service, checkout; a test that asserts on a value should pass that value itself rather than
 * lean on a default.
 */
import { ALB_ROUTER, albTargetKey, type AlbTarget } from '../../lambda/adapters/alb-target';
import type { RolloutRecord, RolloutRequest, TargetConfig, WorkloadTarget } from '../../lambda/domain/types';

export const LISTENER_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
export const RULE_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
export const STABLE_TARGET_GROUP_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout/73e2d6bc24d8a067';
export const CANARY_TARGET_GROUP_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-canary/2453ed029918f21f';
export const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:checkout-rollout:release-1-4-2';

/** Top-level fields replace the default; `traffic` and `workload` are merged field by field. */
export interface TargetConfigOverrides extends Partial<Omit<TargetConfig, 'traffic' | 'workload'>> {
  readonly traffic?: Partial<AlbTarget>;
  readonly workload?: Partial<WorkloadTarget>;
}

/**
 * checkout behind the listener's default action (no rule); Deployments `checkout` and
 * `checkout-canary` in cluster `prod`, namespace `shop`; one container `app`; 2 canary replicas;
 * alarm `checkout-5xx`; no rollout defaults; settle 15 s, ready timeout 600 s, poll 10 s; drift reverted.
 */
export function targetConfig(overrides: TargetConfigOverrides = {}): TargetConfig {
  const { traffic, workload, ...rest } = overrides;
  return {
    service: 'checkout',
    alarmNames: ['checkout-5xx'],
    defaults: {},
    timing: { settleSeconds: 15, readyTimeoutSeconds: 600, pollSeconds: 10 },
    onDrift: 'revert',
    ...rest,
    traffic: albTraffic(traffic),
    workload: {
      clusterName: 'prod',
      namespace: 'shop',
      stableDeployment: 'checkout',
      canaryDeployment: 'checkout-canary',
      containers: ['app'],
      canaryReplicas: 2,
      ...workload,
    },
  };
}

/**
 * What `parseRolloutInput({ image: 'checkout:1.4.2' }, targetConfig())` returns: app at
 * checkout:1.4.2, Canary10Percent5Minutes (10 % for 300 s, then 100 %), no approval,
 * insufficient data unhealthy, canary scaled to zero after promotion, not a dry run, no reason.
 */
export function rolloutRequest(overrides: Partial<RolloutRequest> = {}): RolloutRequest {
  return {
    images: { app: 'checkout:1.4.2' },
    steps: [
      { weight: 10, bakeSeconds: 300 },
      { weight: 100, bakeSeconds: 0 },
    ],
    strategyName: 'Canary10Percent5Minutes',
    approval: 'none',
    insufficientData: 'unhealthy',
    afterPromotion: 'scaleCanaryToZero',
    dryRun: false,
    ...overrides,
  };
}

/**
 * A freshly locked record of `EXECUTION_ARN` on `LISTENER_ARN`: phase `locked`, started
 * 2025-03-01T12:00:00.000Z, expiring a day later, `targetConfig()` and `rolloutRequest()`,
 * all traffic on stable. `targetKey` stays `LISTENER_ARN` when `target` is overridden; pass it too
 * when the lock should follow the new target.
 */
export function rolloutRecord(overrides: Partial<RolloutRecord> = {}): RolloutRecord {
  return {
    targetKey: LISTENER_ARN,
    executionArn: EXECUTION_ARN,
    service: 'checkout',
    phase: 'locked',
    startedAt: '2025-03-01T12:00:00.000Z',
    expiresAt: 1_740_830_400 + 86_400,
    target: targetConfig(),
    request: rolloutRequest(),
    startWeights: { stable: 100, canary: 0 },
    lastWrittenWeights: { stable: 100, canary: 0 },
    generation: 0,
    ...overrides,
  };
}

/** An ALB traffic target: the fixture's listener and target groups, with any field overridden; the key follows. */
export function albTraffic(overrides: Partial<AlbTarget> = {}): AlbTarget {
  const target = {
    kind: ALB_ROUTER as typeof ALB_ROUTER,
    listenerArn: LISTENER_ARN,
    stableTargetGroupArn: STABLE_TARGET_GROUP_ARN,
    canaryTargetGroupArn: CANARY_TARGET_GROUP_ARN,
    ...overrides,
  };
  return { ...target, key: overrides.key ?? albTargetKey(target) };
}
