/**
 * The events a rollout tells the world about (EventBridge custom events, `source: "serinus"`) and
 * the sentences people read about them. Pure: the use-cases build them, an adapter sends them.
 */
import type { RolloutRecord, RolloutRequest, TargetConfig, Weights } from './types';

export const EVENT_SOURCE = 'serinus';
/** The bus when the construct names none. */
export const DEFAULT_EVENT_BUS = 'default';

/** Every detail-type serinus sends, by what happened. */
export const RolloutEventTypes = {
  started: 'Rollout Started',
  stepReached: 'Rollout Step Reached',
  awaitingApproval: 'Rollout Awaiting Approval',
  promoted: 'Rollout Promoted',
  rolledBack: 'Rollout Rolled Back',
  aborted: 'Rollout Aborted',
} as const;

export type RolloutEventType = (typeof RolloutEventTypes)[keyof typeof RolloutEventTypes];

/** The `detail` of every serinus event. */
export interface RolloutEventDetail {
  readonly service: string;
  readonly executionArn: string;
  /** The 1-based step number, for events about a step. */
  readonly step?: number;
  /** The raw listener weights at the moment of the event. */
  readonly weights: Weights;
  /** The candidate's image (the first container's) and, when known, the image stable ran before. */
  readonly images: { readonly candidate: string; readonly stable?: string };
  /** Why: the release reason at the start, the cause of a rollback or abort. */
  readonly reason?: string;
  /** The alarm that fired, when an alarm ended the rollout. */
  readonly alarm?: string;
  /** One sentence a person can read (the SNS notification's text). */
  readonly summary: string;
}

export interface RolloutEvent {
  readonly detailType: RolloutEventType;
  /** @default 'default' */
  readonly eventBusName?: string;
  readonly detail: RolloutEventDetail;
}

export interface RolloutEventFacts {
  readonly target: TargetConfig;
  readonly executionArn: string;
  readonly request: Pick<RolloutRequest, 'images'> & { readonly reason?: string };
  readonly weights: Weights;
  readonly step?: { readonly number: number; readonly weight: number };
  /** The stable Deployment's images before the rollout, when known. */
  readonly previousStable?: Record<string, string>;
  /** Why it ended (rollback, abort); the release reason otherwise. */
  readonly reason?: string;
}

/** The event of `type`, with its detail and summary built from the facts. */
export function rolloutEvent(type: RolloutEventType, facts: RolloutEventFacts): RolloutEvent {
  const { target } = facts;
  const first = target.workload.containers.find((name) => facts.request.images[name] !== undefined);
  const candidate = (first && facts.request.images[first]) ?? Object.values(facts.request.images)[0] ?? '';
  const stable = first ? facts.previousStable?.[first] : undefined;
  const reason = type === RolloutEventTypes.rolledBack || type === RolloutEventTypes.aborted ? facts.reason : (facts.reason ?? facts.request.reason);
  const alarm = reason ? alarmNamedIn(reason, target.alarmNames) : undefined;
  const detail: RolloutEventDetail = {
    service: target.service,
    executionArn: facts.executionArn,
    ...(facts.step && { step: facts.step.number }),
    weights: { stable: facts.weights.stable, canary: facts.weights.canary },
    images: { candidate, ...(stable !== undefined && { stable }) },
    ...(reason !== undefined && { reason }),
    ...(alarm !== undefined && { alarm }),
    summary: '',
  };
  return {
    detailType: type,
    ...(target.eventBusName !== undefined && { eventBusName: target.eventBusName }),
    detail: { ...detail, summary: summarize(type, detail, facts.step?.weight) },
  };
}

/** The facts of an event about a held record (rollback, cleanup, sweeper). */
export function factsOfRecord(record: RolloutRecord, weights: Weights, reason: string): RolloutEventFacts {
  return {
    target: record.target,
    executionArn: record.executionArn,
    request: record.request,
    weights,
    ...(record.previousStable && { previousStable: record.previousStable.images }),
    reason,
  };
}

/** The first of the rollout's alarms a cause names in quotes (how health verdicts and on-alarm name them). */
export function alarmNamedIn(cause: string, alarmNames: readonly string[]): string | undefined {
  return alarmNames.find((name) => cause.includes(`"${name}"`));
}

function summarize(type: RolloutEventType, d: RolloutEventDetail, stepWeight?: number): string {
  const who = `serinus ${d.service}`;
  const image = d.images.candidate;
  const weights = `stable ${d.weights.stable} / canary ${d.weights.canary}`;
  switch (type) {
    case RolloutEventTypes.started:
      return `${who}: rollout of ${image} started${d.reason ? ` (${d.reason})` : ''}.`;
    case RolloutEventTypes.stepReached:
      return `${who}: step ${d.step} reached, ${stepWeight ?? d.weights.canary}% of traffic on ${image} (${weights}).`;
    case RolloutEventTypes.awaitingApproval:
      return `${who}: ${image} is waiting for approval (${weights}). Answer with: serinus approve ${d.service}`;
    case RolloutEventTypes.promoted:
      return `${who}: ${image} promoted; stable serves all traffic.`;
    case RolloutEventTypes.rolledBack:
      return `${who}: rollout of ${image} rolled back, traffic on stable${d.alarm ? ` (alarm ${d.alarm})` : ''}: ${d.reason ?? 'no cause given'}`;
    case RolloutEventTypes.aborted:
      return `${who}: rollout of ${image} aborted, traffic on stable: ${d.reason ?? 'stopped'}`;
  }
}

export interface ApprovalFacts {
  readonly target: TargetConfig;
  readonly executionArn: string;
  readonly images: Record<string, string>;
  readonly weights: Weights;
  readonly gate: 'step' | 'promotion';
  /** For a step gate: the step's 1-based number and weight. */
  readonly step?: { readonly number: number; readonly weight: number };
  readonly stepCount: number;
  readonly timeoutSeconds?: number;
}

/** The approval request as people read it: what is being approved, and the one command that answers it. */
export function approvalMessage(facts: ApprovalFacts): { subject: string; message: string } {
  const service = facts.target.service;
  const images = Object.entries(facts.images)
    .map(([container, image]) => `${container}=${image}`)
    .join(', ');
  const what =
    facts.gate === 'promotion'
      ? `promote ${images} to the stable Deployment "${facts.target.workload.stableDeployment}" (every step passed its bake)`
      : `send ${facts.step?.weight}% of traffic to the canary running ${images} (step ${facts.step?.number} of ${facts.stepCount})`;
  const lines = [
    `serinus ${service} is waiting for your approval to ${what}.`,
    '',
    `Traffic now: stable ${facts.weights.stable} / canary ${facts.weights.canary}.`,
    `Execution: ${facts.executionArn}`,
    ...(facts.timeoutSeconds ? [`Without an answer within ${formatSeconds(facts.timeoutSeconds)} the rollout rolls back.`] : []),
    '',
    `Approve: serinus approve ${service}`,
    `Reject:  serinus reject ${service} --reason "<why>"`,
  ];
  const subject = facts.gate === 'promotion' ? `serinus ${service}: approve promotion?` : `serinus ${service}: approve step ${facts.step?.number}?`;
  return { subject, message: lines.join('\n') };
}

function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
