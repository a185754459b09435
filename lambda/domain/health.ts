/**
 * The health verdict on a canary, from its CloudWatch alarms.
 */
import type { AlarmState, AlarmTransition, DeploymentSnapshot, HealthVerdict, InsufficientDataPolicy, RolloutStatus } from './types';

export interface HealthInput {
  readonly states: readonly AlarmState[];
  /** State changes of the same alarms; only transitions at or after `since` count. */
  readonly history: readonly AlarmTransition[];
  /** When the bake began. */
  readonly since: Date;
  /**
   * `bakeStart`: the check before a bake (an alarm already in ALARM sends no event, so it must be
   * caught here). `bakeEnd`: the decision after it, which also reads the history so that an
   * ALARM the event rule missed still counts.
   */
  readonly moment: 'bakeStart' | 'bakeEnd';
}

export function judgeHealth(input: HealthInput): HealthVerdict {
  const { states, moment } = input;
  if (states.length === 0) {
    return { status: 'healthy', reason: 'no alarms configured', alarms: [] };
  }

  const inAlarm = states.filter((s) => s.state === 'ALARM');
  const inAlarmNames = new Set(inAlarm.map((s) => s.name));
  const recovered = moment === 'bakeEnd' ? flippedDuringBake(input).filter((t) => !inAlarmNames.has(t.name)) : [];
  if (inAlarm.length > 0 || recovered.length > 0) {
    const sentences = [
      ...inAlarm.map((s) => `"${s.name}" is in ALARM${detail(s.reason)}`),
      ...recovered.map((t) => `"${t.name}" went into ALARM at ${t.at} during the bake and has since recovered${detail(t.summary)}`),
    ];
    return {
      status: 'unhealthy',
      reason: `the canary is unhealthy: ${sentences.join('; ')}`,
      alarms: [...inAlarm.map((s) => s.name), ...recovered.map((t) => t.name)],
    };
  }

  const noData = states.filter((s) => s.state === 'INSUFFICIENT_DATA');
  if (noData.length > 0) {
    const names = noData.map((s) => `"${s.name}"`).join(', ');
    if (moment === 'bakeStart') {
      // A new canary's metrics may not have reached CloudWatch yet; the check at the bake's end decides.
      return {
        status: 'healthy',
        reason: `no alarm is in ALARM; ${names} ${noData.length === 1 ? 'has' : 'have'} INSUFFICIENT_DATA, which the end of the bake will judge`,
        alarms: noData.map((s) => s.name),
      };
    }
    return {
      status: 'unknown',
      reason: `no alarm is in ALARM, but ${names} ${noData.length === 1 ? 'has' : 'have'} INSUFFICIENT_DATA at the end of the bake; the insufficientData policy decides`,
      alarms: noData.map((s) => s.name),
    };
  }

  return {
    status: 'healthy',
    reason: states.length === 1 ? `alarm "${states[0].name}" is OK` : `all ${states.length} alarms are OK`,
    alarms: [],
  };
}

/** Whether the rollout may go on: `unknown` follows the request's INSUFFICIENT_DATA policy. */
export function isHealthy(verdict: HealthVerdict, policy: InsufficientDataPolicy): boolean {
  switch (verdict.status) {
    case 'healthy':
      return true;
    case 'unhealthy':
      return false;
    case 'unknown':
      return policy === 'healthy';
  }
}

/** The first transition to ALARM of each alarm at or after the bake's start. */
function flippedDuringBake(input: HealthInput): AlarmTransition[] {
  const since = input.since.getTime();
  const firstByAlarm = new Map<string, AlarmTransition>();
  for (const transition of input.history) {
    const at = Date.parse(transition.at);
    // An unreadable time cannot prove the change came before the bake, so it counts.
    const duringBake = Number.isNaN(at) || at >= since;
    if (transition.to === 'ALARM' && duringBake && !firstByAlarm.has(transition.name)) {
      firstByAlarm.set(transition.name, transition);
    }
  }
  return [...firstByAlarm.values()];
}

function detail(text: string | undefined): string {
  return text ? ` (${text})` : '';
}

/** What the end of a bake sees of the canary itself. */
export interface CanaryObservation {
  readonly deployment: string;
  /** container → image the rollout set. */
  readonly requested: Record<string, string>;
  readonly snapshot: DeploymentSnapshot;
  readonly status: RolloutStatus;
  /** Healthy targets behind the canary, where the router can see them (an ALB target group). */
  readonly healthyTargets: number | undefined;
}

export type CanaryVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: 'CanaryUnhealthy' | 'NoHealthyTargets'; readonly reason: string };

/**
 * Whether the canary still is what the bake judged: its Deployment runs the candidate, every
 * desired replica (at least one) is available, and its target group (where the router has one) has
 * healthy targets. Alarms
 * alone miss a canary someone re-imaged, scaled to zero or drained during the bake.
 */
export function judgeCanary(seen: CanaryObservation): CanaryVerdict {
  const name = `the canary Deployment "${seen.deployment}"`;
  const replaced = Object.entries(seen.requested).filter(([container, image]) => seen.snapshot.images[container] !== image);
  if (replaced.length > 0) {
    const found = replaced.map(([container, image]) => `${container}=${seen.snapshot.images[container] ?? '(none)'} instead of ${image}`);
    return { ok: false, error: 'CanaryUnhealthy', reason: `${name} no longer runs the candidate: ${found.join(', ')}` };
  }
  const { desired, available } = seen.status;
  if (desired < 1 || available < 1 || available !== desired) {
    return {
      ok: false,
      error: 'CanaryUnhealthy',
      reason: `${name} has ${available} of ${desired} replica(s) available${desired < 1 ? ' (scaled to zero)' : ''}`,
    };
  }
  if (seen.healthyTargets !== undefined && seen.healthyTargets < 1) {
    return { ok: false, error: 'NoHealthyTargets', reason: `${name} runs, but its target group has no healthy targets` };
  }
  return { ok: true };
}
