import { isHealthy, judgeCanary, judgeHealth, type HealthInput } from '../../lambda/domain/health';
import type { AlarmState, AlarmTransition, HealthStatus, HealthVerdict, InsufficientDataPolicy } from '../../lambda/domain/types';

const SINCE = new Date('2025-03-01T12:00:00.000Z');

function alarm(name: string, state: AlarmState['state'], reason?: string): AlarmState {
  return { name, state, updatedAt: '2025-03-01T11:00:00.000Z', ...(reason !== undefined && { reason }) };
}

function toAlarm(name: string, at: string, summary?: string): AlarmTransition {
  return { name, at, from: 'OK', to: 'ALARM', ...(summary !== undefined && { summary }) };
}

describe('judgeHealth', () => {
  it.each<[string, Omit<HealthInput, 'since'>, HealthVerdict]>([
    [
      'no alarms',
      { states: [], history: [], moment: 'bakeEnd' },
      { status: 'healthy', reason: 'no alarms configured', alarms: [] },
    ],
    [
      'one OK alarm',
      { states: [alarm('checkout-5xx', 'OK')], history: [], moment: 'bakeEnd' },
      { status: 'healthy', reason: 'alarm "checkout-5xx" is OK', alarms: [] },
    ],
    [
      'every alarm OK',
      { states: [alarm('checkout-5xx', 'OK'), alarm('checkout-p99', 'OK')], history: [], moment: 'bakeStart' },
      { status: 'healthy', reason: 'all 2 alarms are OK', alarms: [] },
    ],
    [
      'an alarm in ALARM at the start',
      { states: [alarm('checkout-5xx', 'ALARM', 'Threshold Crossed: 3 > 1'), alarm('checkout-p99', 'OK')], history: [], moment: 'bakeStart' },
      { status: 'unhealthy', reason: 'the canary is unhealthy: "checkout-5xx" is in ALARM (Threshold Crossed: 3 > 1)', alarms: ['checkout-5xx'] },
    ],
    [
      'two alarms in ALARM at the end, one without a reason',
      { states: [alarm('a', 'ALARM', 'high'), alarm('b', 'ALARM')], history: [], moment: 'bakeEnd' },
      { status: 'unhealthy', reason: 'the canary is unhealthy: "a" is in ALARM (high); "b" is in ALARM', alarms: ['a', 'b'] },
    ],
    [
      'ALARM beats INSUFFICIENT_DATA',
      { states: [alarm('a', 'INSUFFICIENT_DATA'), alarm('b', 'ALARM', 'high')], history: [], moment: 'bakeEnd' },
      { status: 'unhealthy', reason: 'the canary is unhealthy: "b" is in ALARM (high)', alarms: ['b'] },
    ],
    [
      'an alarm that flipped during the bake and recovered',
      {
        states: [alarm('checkout-5xx', 'OK')],
        history: [toAlarm('checkout-5xx', '2025-03-01T12:03:00.000Z', 'spike'), { name: 'checkout-5xx', at: '2025-03-01T12:04:00.000Z', from: 'ALARM', to: 'OK' }],
        moment: 'bakeEnd',
      },
      {
        status: 'unhealthy',
        reason: 'the canary is unhealthy: "checkout-5xx" went into ALARM at 2025-03-01T12:03:00.000Z during the bake and has since recovered (spike)',
        alarms: ['checkout-5xx'],
      },
    ],
    [
      'a flip exactly at the bake start',
      { states: [alarm('a', 'OK')], history: [toAlarm('a', '2025-03-01T12:00:00.000Z')], moment: 'bakeEnd' },
      { status: 'unhealthy', reason: 'the canary is unhealthy: "a" went into ALARM at 2025-03-01T12:00:00.000Z during the bake and has since recovered', alarms: ['a'] },
    ],
    [
      'a flip with an unreadable time',
      { states: [alarm('a', 'OK')], history: [toAlarm('a', 'yesterday')], moment: 'bakeEnd' },
      { status: 'unhealthy', reason: 'the canary is unhealthy: "a" went into ALARM at yesterday during the bake and has since recovered', alarms: ['a'] },
    ],
    [
      'an alarm still in ALARM and another that recovered, each named once',
      {
        states: [alarm('a', 'ALARM', 'high'), alarm('b', 'OK')],
        history: [toAlarm('a', '2025-03-01T12:01:00.000Z'), toAlarm('b', '2025-03-01T12:02:00.000Z'), toAlarm('b', '2025-03-01T12:05:00.000Z')],
        moment: 'bakeEnd',
      },
      {
        status: 'unhealthy',
        reason: 'the canary is unhealthy: "a" is in ALARM (high); "b" went into ALARM at 2025-03-01T12:02:00.000Z during the bake and has since recovered',
        alarms: ['a', 'b'],
      },
    ],
    [
      'a flip before the bake began',
      { states: [alarm('a', 'OK')], history: [toAlarm('a', '2025-03-01T11:59:59.999Z')], moment: 'bakeEnd' },
      { status: 'healthy', reason: 'alarm "a" is OK', alarms: [] },
    ],
    [
      'history at the bake start (only the end reads it)',
      { states: [alarm('a', 'OK')], history: [toAlarm('a', '2025-03-01T12:03:00.000Z')], moment: 'bakeStart' },
      { status: 'healthy', reason: 'alarm "a" is OK', alarms: [] },
    ],
    [
      'transitions to states other than ALARM',
      { states: [alarm('a', 'OK')], history: [{ name: 'a', at: '2025-03-01T12:03:00.000Z', from: 'OK', to: 'INSUFFICIENT_DATA' }], moment: 'bakeEnd' },
      { status: 'healthy', reason: 'alarm "a" is OK', alarms: [] },
    ],
    [
      'INSUFFICIENT_DATA at the end',
      { states: [alarm('a', 'OK'), alarm('b', 'INSUFFICIENT_DATA')], history: [], moment: 'bakeEnd' },
      { status: 'unknown', reason: 'no alarm is in ALARM, but "b" has INSUFFICIENT_DATA at the end of the bake; the insufficientData policy decides', alarms: ['b'] },
    ],
    [
      'INSUFFICIENT_DATA on two alarms at the end',
      { states: [alarm('a', 'INSUFFICIENT_DATA'), alarm('b', 'INSUFFICIENT_DATA')], history: [], moment: 'bakeEnd' },
      { status: 'unknown', reason: 'no alarm is in ALARM, but "a", "b" have INSUFFICIENT_DATA at the end of the bake; the insufficientData policy decides', alarms: ['a', 'b'] },
    ],
    [
      'INSUFFICIENT_DATA at the start',
      { states: [alarm('a', 'INSUFFICIENT_DATA')], history: [], moment: 'bakeStart' },
      { status: 'healthy', reason: 'no alarm is in ALARM; "a" has INSUFFICIENT_DATA, which the end of the bake will judge', alarms: ['a'] },
    ],
    [
      'INSUFFICIENT_DATA now after a flip to ALARM during the bake',
      { states: [alarm('a', 'INSUFFICIENT_DATA')], history: [toAlarm('a', '2025-03-01T12:03:00.000Z')], moment: 'bakeEnd' },
      { status: 'unhealthy', reason: 'the canary is unhealthy: "a" went into ALARM at 2025-03-01T12:03:00.000Z during the bake and has since recovered', alarms: ['a'] },
    ],
  ])('judges %s', (_label, input, expected) => {
    // Act
    const verdict = judgeHealth({ ...input, since: SINCE });

    // Assess
    expect(verdict).toEqual(expected);
  });
});

describe('isHealthy', () => {
  it.each<[HealthStatus, InsufficientDataPolicy, boolean]>([
    ['healthy', 'unhealthy', true],
    ['healthy', 'healthy', true],
    ['unhealthy', 'healthy', false],
    ['unhealthy', 'unhealthy', false],
    ['unknown', 'healthy', true],
    ['unknown', 'unhealthy', false],
  ])('reads %s under the %s policy as %s', (status, policy, expected) => {
    // Prepare
    const verdict: HealthVerdict = { status, reason: 'r', alarms: [] };

    // Act
    const healthy = isHealthy(verdict, policy);

    // Assess
    expect(healthy).toBe(expected);
  });
});

describe('judgeCanary', () => {
  const status = (desired: number, available: number) => ({ complete: true, failed: false, message: '', desired, updated: desired, available });
  const base = { deployment: 'checkout-canary', requested: { app: 'checkout:2' } };

  it.each<[string, Parameters<typeof judgeCanary>[0], ReturnType<typeof judgeCanary>]>([
    ['serving', { ...base, snapshot: { images: { app: 'checkout:2', sidecar: 'envoy' }, replicas: 2 }, status: status(2, 2), healthyTargets: 2 }, { ok: true }],
    [
      're-imaged',
      { ...base, snapshot: { images: { app: 'checkout:3' }, replicas: 2 }, status: status(2, 2), healthyTargets: 2 },
      { ok: false, error: 'CanaryUnhealthy', reason: 'the canary Deployment "checkout-canary" no longer runs the candidate: app=checkout:3 instead of checkout:2' },
    ],
    [
      'container gone',
      { ...base, snapshot: { images: {}, replicas: 2 }, status: status(2, 2), healthyTargets: 2 },
      { ok: false, error: 'CanaryUnhealthy', reason: 'the canary Deployment "checkout-canary" no longer runs the candidate: app=(none) instead of checkout:2' },
    ],
    [
      'scaled to zero',
      { ...base, snapshot: { images: { app: 'checkout:2' }, replicas: 0 }, status: status(0, 0), healthyTargets: 2 },
      { ok: false, error: 'CanaryUnhealthy', reason: 'the canary Deployment "checkout-canary" has 0 of 0 replica(s) available (scaled to zero)' },
    ],
    [
      'a replica short',
      { ...base, snapshot: { images: { app: 'checkout:2' }, replicas: 3 }, status: status(3, 2), healthyTargets: 2 },
      { ok: false, error: 'CanaryUnhealthy', reason: 'the canary Deployment "checkout-canary" has 2 of 3 replica(s) available' },
    ],
    [
      'drained',
      { ...base, snapshot: { images: { app: 'checkout:2' }, replicas: 2 }, status: status(2, 2), healthyTargets: 0 },
      { ok: false, error: 'NoHealthyTargets', reason: 'the canary Deployment "checkout-canary" runs, but its target group has no healthy targets' },
    ],
  ])('%s', (_label, seen, expected) => {
    // Act
    const verdict = judgeCanary(seen);

    // Assess
    expect(verdict).toEqual(expected);
  });
});
