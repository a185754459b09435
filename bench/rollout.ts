/**
 * The reference rollout and the alarm path, run in the flow harness: the synthesized definition in
 * aws-local-stepfunctions, the real handlers, the AWS fakes answering inside the SDK's middleware.
 */
import { LocalEngine } from '../local/local-engine';
import { RolloutObserver } from '../local/rollout-observer';
import type { SynthesizedWorkflow } from '../local/synthesized-workflow';

const CANDIDATE = 'registry.local/app:2.0.0';
/** Wait states and retry intervals pass at once; bakes end when their schedule fires, at once. */
const FLOW_SPEED = 1_000_000;

/** 4 steps (10, 25, 50, 100), 10-minute bakes, no approval. */
export const REFERENCE_STEPS = [10, 25, 50, 100].map((weight) => ({ weight, bakeSeconds: 600 }));

/** The states whose calls make up one step. */
const STEP_STATES = new Set(['ShiftWeight', 'Bake', 'CheckHealth']);

export interface ReferenceRun {
  readonly status: string;
  /** States entered, as Step Functions bills them. */
  readonly stateTransitions: number;
  readonly states: readonly string[];
  readonly invocationsByHandler: Record<string, number>;
  readonly lambdaInvocations: number;
  /** ELBv2 requests sent by ShiftWeight, Bake and CheckHealth, per step. */
  readonly elbv2CallsPerStep: number;
  /**
   * Of those, the listener/rule calls (Describe and Modify): ShiftWeight's one read and its write,
   * whose reply is the read-back, and CheckHealth's drift read.
   */
  readonly listenerCallsPerStep: number;
  readonly elbv2CallsPerRollout: number;
  readonly elbv2ByState: Record<string, number>;
  readonly dynamodbCalls: { readonly reads: number; readonly writes: number };
  /** Bake schedules that fired (the Scheduler bills each invocation). */
  readonly bakeScheduleInvocations: number;
  /** The rollout record's size while it bakes (JSON of the item), for DynamoDB request units. */
  readonly recordBytes: number;
}

const DYNAMODB_WRITES = new Set(['PutCommand', 'UpdateCommand', 'DeleteCommand', 'PutItem', 'UpdateItem', 'DeleteItem']);

export async function referenceRollout(workflow: SynthesizedWorkflow): Promise<ReferenceRun> {
  const engine = await LocalEngine.start(workflow, { speed: FLOW_SPEED, rolloutDelayMs: 0, schedulerFiring: 'immediate' });
  try {
    let recordBytes = 0;
    // The record is largest while a bake holds its token: measure it when the first bake's schedule is created.
    const hold = engine.aws.scheduler.hold((schedule) => schedule.name.endsWith('-step-0'));
    const execution = engine.start({ image: CANDIDATE, steps: REFERENCE_STEPS });
    void hold.reached.then(async () => {
      await engine.idle();
      recordBytes = Math.max(0, ...engine.aws.dynamodb.items('serinus-rollouts').map((item) => JSON.stringify(item).length));
      hold.release();
    });
    const outcome = await execution.outcome;
    await engine.idle();
    const invocationsByHandler: Record<string, number> = {};
    for (const invocation of engine.invocations) invocationsByHandler[invocation.handler] = (invocationsByHandler[invocation.handler] ?? 0) + 1;
    const elbv2 = engine.aws.calls.filter((c) => c.service === 'elbv2');
    const elbv2ByState: Record<string, number> = {};
    for (const call of elbv2) {
      const key = `${call.state ?? call.handler ?? 'outside'}:${call.command}`;
      elbv2ByState[key] = (elbv2ByState[key] ?? 0) + 1;
    }
    const inSteps = elbv2.filter((c) => c.state !== undefined && STEP_STATES.has(c.state));
    const dynamodb = engine.aws.calls.filter((c) => c.service === 'dynamodb');
    const writes = dynamodb.filter((c) => DYNAMODB_WRITES.has(c.command)).length;
    return {
      status: outcome.status,
      stateTransitions: outcome.states.length,
      states: outcome.states,
      invocationsByHandler,
      lambdaInvocations: engine.invocations.length,
      elbv2CallsPerStep: inSteps.length / REFERENCE_STEPS.length,
      listenerCallsPerStep: inSteps.filter((c) => /^(Describe(Listeners|Rules)|Modify(Listener|Rule))$/.test(c.command)).length / REFERENCE_STEPS.length,
      elbv2CallsPerRollout: elbv2.length,
      elbv2ByState,
      dynamodbCalls: { reads: dynamodb.length - writes, writes },
      bakeScheduleInvocations: engine.aws.scheduler.deliveries.filter((d) => /-step-\d+$/.test(d.name)).length,
      recordBytes,
    };
  } finally {
    await engine.close();
  }
}

export interface AlarmRun {
  /** From the alarm event reaching on-alarm to the listener write that put stable back at 100. */
  readonly alarmToRevertMs: number;
  /** Lambda invocations that started in that interval (on-alarm, rollback). */
  readonly invocations: number;
  readonly handlers: readonly string[];
  /** AWS calls from the alarm event to that listener write, the write included. */
  readonly callsBeforeWrite: readonly string[];
}

/**
 * A two-step rollout whose second bake is held open; an alarm goes to ALARM. Measured from the
 * alarm event's delivery to the listener write restoring stable, in real milliseconds (no pause in
 * that path is time-compressed: none is taken).
 */
export async function alarmToRevert(workflow: SynthesizedWorkflow): Promise<AlarmRun> {
  const engine = await LocalEngine.start(workflow, { speed: FLOW_SPEED, rolloutDelayMs: 0, schedulerFiring: 'immediate' });
  const observer = new RolloutObserver(engine);
  try {
    const hold = engine.aws.scheduler.hold((schedule) => schedule.name.endsWith('-step-1'));
    const execution = engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 60 }, { weight: 50, bakeSeconds: 86_400 }] });
    await hold.reached;
    await engine.idle();
    const callsBefore = engine.aws.calls.length;
    const invocationsBefore = engine.invocations.length;
    const alarm = workflow.target.alarmNames[0]!;
    await engine.aws.cloudwatch.setState(alarm, 'ALARM', 'Threshold Crossed: bench');
    const outcome = await execution.outcome;
    await engine.idle();
    if (outcome.status !== 'FAILED') throw new Error(`the alarm run ended ${outcome.status}`);
    const alarmAt = engine.alarmEvents.at(-1)?.at;
    if (alarmAt === undefined) throw new Error('the alarm event never reached on-alarm');
    const revertAt = observer.weights.find((w) => w.at >= alarmAt && w.source === 'api' && w.canary === 0)?.at;
    if (revertAt === undefined) throw new Error('no listener write restored stable');
    const after = engine.aws.calls.slice(callsBefore);
    const write = after.findIndex((c) => /^Modify(Listener|Rule)$/.test(c.command) && JSON.stringify(c.input).includes('"Weight":100'));
    const invocations = engine.invocations.slice(invocationsBefore).filter((i) => i.startedAt <= revertAt);
    hold.release();
    return {
      alarmToRevertMs: revertAt - alarmAt,
      invocations: invocations.length,
      handlers: invocations.map((i) => i.handler),
      callsBeforeWrite: after.slice(0, write + 1).map((c) => `${c.service}:${c.command}`),
    };
  } finally {
    observer.close();
    await engine.close();
  }
}
