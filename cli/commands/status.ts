/**
 * `serinus status` and `serinus watch`: where a rollout stands, read from Step Functions, the
 * rollout record, the live listener weights and the alarms.
 */
import type { DescribeExecutionOutput } from '@aws-sdk/client-sfn';
import { formatWeights } from '../../lambda/domain/weights';
import {
  type AlarmView,
  type CliRecord,
  describeExecution,
  isActive,
  listExecutions,
  type LiveWeights,
  readAlarms,
  readLiveWeights,
  readRecord,
  recentEvents,
} from '../aws';
import { CliError, type CommandContext, ExitCode, type ExitCodeValue, printJson } from '../context';
import {
  clockTime,
  duration,
  type EventView,
  exitCodeOf,
  formatImages,
  originOf,
  resultOf,
  secondsBetween,
  summarizeEvent,
} from '../format';
import { resolveTarget, type Resolved } from '../resolve';

/** How many events `status` shows, newest first. */
export const EVENTS_SHOWN = 6;

export interface StatusView {
  readonly service: string;
  readonly stateMachineArn: string;
  readonly execution: {
    readonly arn: string;
    readonly name: string;
    readonly status: string;
    readonly result: string;
    readonly startedAt?: string;
    readonly stoppedAt?: string;
    readonly durationSeconds: number;
    readonly error?: string;
    readonly cause?: string;
  };
  readonly startedBy: string;
  readonly reason?: string;
  /** The state the execution entered last. */
  readonly state?: string;
  /** The rollout record's phase, while this execution holds the target. */
  readonly phase?: string;
  readonly step?: { readonly number: number; readonly count: number; readonly weight: number };
  readonly weights?: LiveWeights;
  readonly bake?: { readonly step: number; readonly startedAt: string; readonly endsAt: string; readonly remainingSeconds: number };
  readonly approval?: { readonly gate: string; readonly step?: number; readonly requestedAt: string };
  readonly alarms: AlarmView[];
  readonly images: {
    readonly canary?: Record<string, string>;
    readonly stable?: Record<string, string>;
    /** Stable's images before this rollout promoted it, once promotion began. */
    readonly stableBefore?: Record<string, string>;
  };
  readonly events: EventView[];
}

/** The execution a command about `ref` acts on, and the record if that execution holds the target. */
export interface Picked {
  readonly resolved: Resolved;
  readonly executionArn: string;
  readonly record?: CliRecord;
}

/**
 * The rollout `ref` means: the execution it names; else the one holding the service's traffic
 * target; else the newest running one; else (unless `running` is required) the newest one.
 */
export async function pickExecution(ctx: CommandContext, ref: string, options: { readonly running: boolean }): Promise<Picked> {
  const resolved = await resolveTarget(ctx, ref);
  const { discovery } = resolved;
  const record = await readRecord(ctx.clients, discovery.tableName, discovery.target.traffic);
  if (resolved.executionArn) {
    return { resolved, executionArn: resolved.executionArn, ...(record?.executionArn === resolved.executionArn ? { record } : {}) };
  }
  if (isActive(record)) return { resolved, executionArn: record.executionArn, record };
  const [running] = await listExecutions(ctx.clients, resolved.stateMachineArn, { maxResults: 1, running: true });
  if (running?.executionArn) return { resolved, executionArn: running.executionArn };
  const [latest] = await listExecutions(ctx.clients, resolved.stateMachineArn, { maxResults: 1 });
  if (options.running || !latest?.executionArn) {
    const last = latest
      ? ` The last one, ${latest.name}, ended ${resultOf(latest.status)}${latest.stopDate ? ` at ${latest.stopDate.toISOString()}` : ''}.`
      : ` ${resolved.service} has no rollouts yet.`;
    throw new CliError(`No running rollout of ${resolved.service}.${last} Start one with: serinus start ${resolved.service} --image <image>`, ExitCode.NotFound);
  }
  return {
    resolved,
    executionArn: latest.executionArn,
    ...(record?.executionArn === latest.executionArn ? { record } : {}),
  };
}

export async function readStatus(ctx: CommandContext, picked: Picked): Promise<StatusView> {
  const { resolved, executionArn } = picked;
  const { discovery } = resolved;
  const [execution, record, weights, alarms, events] = await Promise.all([
    describeExecution(ctx.clients, executionArn),
    picked.record ? Promise.resolve(picked.record) : readRecord(ctx.clients, discovery.tableName, discovery.target.traffic),
    readLiveWeights(ctx.clients, discovery.target.traffic),
    readAlarms(ctx.clients, discovery.target.alarmNames),
    recentEvents(ctx.clients, executionArn, 25),
  ]);
  const now = ctx.clock.now();
  const own = record?.executionArn === executionArn ? record : undefined;
  const input = parseInput(execution.input);
  const candidate = own?.request.images ?? imagesFromInput(input, discovery.target.workload.containers);
  const status = execution.status ?? 'UNKNOWN';
  const running = status === 'RUNNING';
  const promoting = own?.phase === 'promoting' || own?.phase === 'finishing';
  const steps = own?.request.steps ?? [];
  const stepIndex = own ? currentStep(own) : undefined;
  const latestState = events.find((e) => e.stateEnteredEventDetails?.name)?.stateEnteredEventDetails?.name;
  const bakeStep = own?.bake ? steps[own.bake.stepIndex] : undefined;
  const bakeEndsAt = own?.bake && bakeStep ? bakeEnd(new Date(own.bake.startedAt), bakeStep.bakeSeconds) : undefined;
  const reason = typeof input?.reason === 'string' ? input.reason : own?.request.reason;

  return {
    service: resolved.service,
    stateMachineArn: resolved.stateMachineArn,
    execution: {
      arn: executionArn,
      name: execution.name ?? executionArn.split(':').pop() ?? '',
      status,
      result: resultOf(status),
      ...(execution.startDate ? { startedAt: execution.startDate.toISOString() } : {}),
      ...(execution.stopDate ? { stoppedAt: execution.stopDate.toISOString() } : {}),
      durationSeconds: execution.startDate ? secondsBetween(execution.startDate, execution.stopDate ?? now) : 0,
      ...(execution.error ? { error: execution.error } : {}),
      ...(execution.cause ? { cause: execution.cause } : {}),
    },
    startedBy: originOf(execution.name ?? '').description,
    ...(reason !== undefined ? { reason } : {}),
    ...(latestState ? { state: latestState } : {}),
    ...(own ? { phase: own.phase } : {}),
    ...(stepIndex !== undefined && steps[stepIndex]
      ? { step: { number: stepIndex + 1, count: steps.length, weight: steps[stepIndex].weight } }
      : {}),
    weights,
    ...(own?.bake && bakeEndsAt
      ? {
          bake: {
            step: own.bake.stepIndex + 1,
            startedAt: own.bake.startedAt,
            endsAt: bakeEndsAt.toISOString(),
            remainingSeconds: Math.max(0, Math.ceil((bakeEndsAt.getTime() - now.getTime()) / 1000)),
          },
        }
      : {}),
    ...(own?.approval
      ? {
          approval: {
            gate: own.approval.gate,
            ...(own.approval.step !== undefined ? { step: own.approval.step + 1 } : {}),
            requestedAt: own.approval.requestedAt,
          },
        }
      : {}),
    alarms,
    images: {
      ...(running && candidate ? { canary: candidate } : {}),
      ...(status === 'SUCCEEDED' || promoting ? (candidate ? { stable: candidate } : {}) : {}),
      ...(own?.previousStable ? { stableBefore: own.previousStable.images } : {}),
    },
    events: events.flatMap((e) => summarizeEvent(e) ?? []).slice(0, EVENTS_SHOWN),
  };
}

/**
 * The plan step the rollout is at: the one baking, else the one an approval gate waits before, else
 * the one whose weight was written last (none before the first shift).
 */
function currentStep(record: CliRecord): number | undefined {
  if (record.bake) return record.bake.stepIndex;
  if (record.approval?.gate === 'step' && record.approval.step !== undefined) return record.approval.step;
  const index = record.request.steps.findIndex((step) => step.weight === record.lastWrittenWeights.canary);
  return index >= 0 ? index : undefined;
}

/** start-bake schedules the bake's end at the next whole minute, so a bake is never shorter than asked. */
function bakeEnd(startedAt: Date, bakeSeconds: number): Date {
  return new Date(Math.ceil((startedAt.getTime() + bakeSeconds * 1000) / 60_000) * 60_000);
}

type Input = Record<string, unknown>;

function parseInput(raw: DescribeExecutionOutput['input']): Input | undefined {
  try {
    const value: unknown = JSON.parse(raw ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Input) : undefined;
  } catch {
    return undefined;
  }
}

function imagesFromInput(input: Input | undefined, containers: readonly string[]): Record<string, string> | undefined {
  if (typeof input?.image === 'string' && containers[0]) return { [containers[0]]: input.image };
  if (input?.images && typeof input.images === 'object') return input.images as Record<string, string>;
  return undefined;
}

export function renderStatus(view: StatusView): string {
  const { execution } = view;
  const by = `started by ${view.startedBy}${view.reason ? `; reason "${view.reason}"` : ''}`;
  const headline =
    execution.status === 'RUNNING'
      ? `running for ${duration(execution.durationSeconds)}`
      : `${execution.result} after ${duration(execution.durationSeconds)}${execution.error ? ` (${execution.error})` : ''}`;
  const lines = [`${view.service} · ${execution.name} · ${headline} (${by})`];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(9)} ${text}`);
  if (execution.cause) row('cause', execution.cause);
  if (view.state) {
    const step = view.step ? ` (step ${view.step.number} of ${view.step.count}, canary ${view.step.weight}%)` : '';
    row('state', `${view.state}${step}`);
  }
  if (view.weights) {
    const others = view.weights.others.map((g) => `, ${g.targetGroupArn} ${g.weight}`).join('');
    row('weights', `${formatWeights(view.weights)}${others} (live)`);
  }
  if (view.bake) row('bake', `step ${view.bake.step}: ${duration(view.bake.remainingSeconds)} left (ends ${view.bake.endsAt})`);
  if (view.approval) {
    const what = view.approval.gate === 'promotion' ? 'promotion' : `step ${view.approval.step ?? '?'}`;
    row('approval', `waiting for approval of ${what} since ${view.approval.requestedAt}: serinus approve ${view.service} | serinus reject ${view.service} --reason "…"`);
  }
  row('alarms', view.alarms.length > 0 ? view.alarms.map((a) => `${a.name} ${a.state}`).join(', ') : 'none configured');
  const stable = view.images.stable
    ? `${formatImages(view.images.stable)}${view.images.stableBefore ? ` (was ${formatImages(view.images.stableBefore)})` : ''}`
    : execution.status === 'RUNNING'
      ? 'unchanged until promotion'
      : 'unchanged';
  row('images', `${view.images.canary ? `canary ${formatImages(view.images.canary)}; ` : ''}stable ${stable}`);
  view.events.forEach((event, i) => row(i === 0 ? 'events' : '', `${clockTime(new Date(event.at))} ${event.summary}`));
  return lines.join('\n');
}

export async function statusCommand(ctx: CommandContext, ref: string): Promise<ExitCodeValue> {
  const picked = await pickExecution(ctx, ref, { running: false });
  const view = await readStatus(ctx, picked);
  if (ctx.json) printJson(ctx.output, view);
  else ctx.output.out(renderStatus(view));
  return ExitCode.Ok;
}

export interface WatchOptions {
  /** Seconds between two polls. */
  readonly intervalSeconds: number;
}

/** Follows one execution until it ends, printing a line (or a JSON line) whenever something changes. */
export async function watchExecution(ctx: CommandContext, picked: Picked, options: WatchOptions): Promise<ExitCodeValue> {
  let last = '';
  let current = picked;
  for (;;) {
    const view = await readStatus(ctx, current);
    const key = JSON.stringify([view.execution.status, view.state, view.phase, view.step, view.weights, view.approval, view.alarms.map((a) => a.state)]);
    const ended = view.execution.status !== 'RUNNING';
    if (key !== last) {
      last = key;
      if (ctx.json) printJson(ctx.output, { type: 'status', at: ctx.clock.now().toISOString(), ...view }, false);
      else if (!ended) ctx.output.out(watchLine(view, ctx.clock.now()));
    }
    if (ended) {
      const exitCode = exitCodeOf(view.execution.status);
      if (ctx.json) {
        printJson(ctx.output, { type: 'result', result: view.execution.result, status: view.execution.status, exitCode, error: view.execution.error, cause: view.execution.cause }, false);
      } else {
        ctx.output.out(renderStatus(view));
        ctx.output.out(`Result: ${view.execution.result} (exit ${exitCode})`);
      }
      return exitCode;
    }
    await ctx.clock.sleep(options.intervalSeconds * 1000);
    // The record is read afresh on every poll.
    current = { resolved: current.resolved, executionArn: current.executionArn };
  }
}

function watchLine(view: StatusView, now: Date): string {
  const parts = [clockTime(now), view.state ?? 'starting'];
  if (view.step) parts.push(`step ${view.step.number}/${view.step.count} (${view.step.weight}%)`);
  if (view.weights) parts.push(formatWeights(view.weights));
  if (view.bake) parts.push(`bake ${duration(view.bake.remainingSeconds)} left`);
  if (view.approval) parts.push(`awaiting approval: serinus approve ${view.service}`);
  const alarming = view.alarms.filter((a) => a.state !== 'OK');
  if (view.alarms.length > 0) parts.push(alarming.length === 0 ? 'alarms OK' : `alarms ${alarming.map((a) => `${a.name} ${a.state}`).join(', ')}`);
  return parts.join(' · ');
}

export async function watchCommand(ctx: CommandContext, ref: string, options: WatchOptions): Promise<ExitCodeValue> {
  const picked = await pickExecution(ctx, ref, { running: true });
  return watchExecution(ctx, picked, options);
}
