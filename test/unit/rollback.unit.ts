import { planRollback, type RollbackPlan } from '../../lambda/domain/rollback';
import type { BakeRecord, DeploymentSnapshot, RolloutPhase, RolloutRecord } from '../../lambda/domain/types';
import { LISTENER_ARN, RULE_ARN, albTraffic, rolloutRecord, rolloutRequest, targetConfig } from '../support/fixtures';

const NEW = 'checkout:1.4.2';
const OLD = 'checkout:1.4.1';

// The plan's steps below name both Deployments.
const TARGET = targetConfig({
  workload: { stableDeployment: 'checkout', canaryDeployment: 'checkout-canary', containers: ['app', 'log-router'] },
});

const BAKE: BakeRecord = {
  taskToken: 'token-1',
  scheduleName: 'serinus-0123456789abcdef-step-1',
  stepIndex: 1,
  startedAt: '2025-03-01T12:00:00.000Z',
};

const PREVIOUS_CANARY: DeploymentSnapshot = { images: { app: OLD, 'log-router': 'fluent-bit:3.0' }, replicas: 0 };
const PREVIOUS_STABLE: DeploymentSnapshot = { images: { app: OLD }, replicas: 4 };

/** A record mid-rollout: the request sets app to NEW and the canary carries 10 %. */
function recordWith(fields: Partial<RolloutRecord> & { phase: RolloutPhase }): RolloutRecord {
  return rolloutRecord({
    target: TARGET,
    request: rolloutRequest({ images: { app: NEW } }),
    lastWrittenWeights: { stable: 90, canary: 10 },
    ...fields,
  });
}

const END = 'end the rollout record, so no handler still running writes again';
const CANARY_BACK = 'roll the canary Deployment "checkout-canary" back to app=checkout:1.4.1 and scale it to 0 replicas';
const STABLE_BACK = 'restore the stable Deployment "checkout" to app=checkout:1.4.1';
const BAKE_STEPS = ['delete the bake schedule "serinus-0123456789abcdef-step-1"'];
const UNLOCK = `release the lock on ${LISTENER_ARN}`;
const RELEASE = { kind: 'release' } as const;

describe('planRollback', () => {
  it.each<[RolloutPhase, Partial<RolloutRecord>, RollbackPlan]>([
    [
      'locked',
      {},
      { ending: RELEASE, steps: [END, UNLOCK] },
    ],
    [
      'deploying-canary',
      { previousCanary: PREVIOUS_CANARY },
      { canary: { images: { app: OLD }, replicas: 0 }, ending: RELEASE, steps: [END, CANARY_BACK, UNLOCK] },
    ],
    [
      'shifting',
      { previousCanary: PREVIOUS_CANARY },
      { canary: { images: { app: OLD }, replicas: 0 }, ending: RELEASE, steps: [END, CANARY_BACK, UNLOCK] },
    ],
    [
      'baking',
      { previousCanary: PREVIOUS_CANARY, bake: BAKE },
      {
        canary: { images: { app: OLD }, replicas: 0 },
        cancelSchedule: BAKE.scheduleName,
        ending: RELEASE,
        steps: [END, ...BAKE_STEPS, CANARY_BACK, UNLOCK],
      },
    ],
    [
      'promoting',
      { previousCanary: PREVIOUS_CANARY, previousStable: PREVIOUS_STABLE },
      {
        restoreStable: { images: { app: OLD } },
        canary: { images: { app: OLD }, replicas: 0 },
        ending: RELEASE,
        steps: [END, STABLE_BACK, CANARY_BACK, UNLOCK],
      },
    ],
    [
      'finishing',
      { previousCanary: PREVIOUS_CANARY, previousStable: PREVIOUS_STABLE, lastWrittenWeights: { stable: 100, canary: 0 } },
      {
        restoreStable: { images: { app: OLD } },
        canary: { images: { app: OLD }, replicas: 0 },
        ending: RELEASE,
        steps: [END, STABLE_BACK, CANARY_BACK, UNLOCK],
      },
    ],
    [
      'rolling-back',
      { previousCanary: PREVIOUS_CANARY, previousStable: PREVIOUS_STABLE, bake: BAKE },
      {
        restoreStable: { images: { app: OLD } },
        canary: { images: { app: OLD }, replicas: 0 },
        cancelSchedule: BAKE.scheduleName,
        ending: RELEASE,
        steps: [END, ...BAKE_STEPS, STABLE_BACK, CANARY_BACK, UNLOCK],
      },
    ],
  ])('undoes a rollout in phase %s', (phase, fields, expected) => {
    // Prepare
    const record = recordWith({ phase, ...fields });

    // Act
    const plan = planRollback(record);

    // Assess
    expect(plan).toEqual(expected);
  });

  it('only scales the canary back when it already ran the requested image', () => {
    // Prepare
    const record = recordWith({ phase: 'baking', previousCanary: { images: { app: NEW, 'log-router': 'fluent-bit:3.0' }, replicas: 1 } });

    // Act
    const plan = planRollback(record);

    // Assess
    expect(plan.canary).toEqual({ replicas: 1 });
    expect(plan.steps).toContain('scale the canary Deployment "checkout-canary" to 1 replicas');
  });

  it('restores only the containers the rollout changed and that had an image before', () => {
    // Prepare
    const record = recordWith({
      phase: 'shifting',
      request: rolloutRequest({ images: { app: NEW, 'log-router': 'fluent-bit:3.1', sidecar: 'envoy:1.30' } }),
      previousCanary: { images: { app: OLD, 'log-router': 'fluent-bit:3.1', metrics: 'otel:0.9' }, replicas: 0 },
    });

    // Act
    const plan = planRollback(record);

    // Assess
    expect(plan.canary).toEqual({ images: { app: OLD }, replicas: 0 });
  });

  it('names the rule as the lock when a rule is steered', () => {
    // Prepare
    const record = recordWith({ phase: 'locked', target: { ...TARGET, traffic: albTraffic({ ruleArn: RULE_ARN }) } });

    // Act
    const plan = planRollback(record);

    // Assess
    expect(plan.steps[plan.steps.length - 1]).toBe(`release the lock on ${RULE_ARN}`);
  });

  it('keeps the lock ended, and the canary running, until the reassert when cleanup fences out a handler still running', () => {
    // Prepare
    const record = recordWith({ phase: 'shifting', previousCanary: PREVIOUS_CANARY });
    const ending = { kind: 'fence', reassertAt: '2025-03-01T12:06:00.000Z' } as const;

    // Act
    const plan = planRollback(record, ending);

    // Assess
    expect(plan.ending).toEqual(ending);
    expect(plan.steps).toEqual([
      END,
      // A late weight write must not reach a canary without pods: the reassert rolls it back.
      'keep the canary Deployment "checkout-canary" running until 2025-03-01T12:06:00.000Z, then roll it back',
      `keep ${LISTENER_ARN} locked until 2025-03-01T12:06:00.000Z, when the revert is asserted again and the lock released`,
    ]);
    expect(plan.canary).toBeUndefined();
  });

  it('copies the stable images so the plan does not share the record', () => {
    // Prepare
    const record = recordWith({ phase: 'promoting', previousCanary: PREVIOUS_CANARY, previousStable: PREVIOUS_STABLE });

    // Act
    const plan = planRollback(record);

    // Assess
    expect(plan.restoreStable?.images).toEqual(PREVIOUS_STABLE.images);
    expect(plan.restoreStable?.images).not.toBe(PREVIOUS_STABLE.images);
  });
});
