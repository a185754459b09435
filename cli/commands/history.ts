/**
 * `serinus list` and `serinus history`: the rollouts of one service or of all, from Step Functions.
 */
import type { ExecutionListItem, HistoryEvent } from '@aws-sdk/client-sfn';
import { describeExecution, fullHistory, listExecutions } from '../aws';
import { type CommandContext, ExitCode, type ExitCodeValue, printJson } from '../context';
import { duration, originOf, resultOf, secondsBetween, shortDate } from '../format';
import { listServiceParameters, resolveTarget } from '../resolve';

export interface ListedRollout {
  readonly service: string;
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly result: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  readonly durationSeconds: number;
}

export async function listCommand(ctx: CommandContext, ref: string | undefined, options: { readonly limit: number }): Promise<ExitCodeValue> {
  const machines: Array<{ service: string; stateMachineArn: string }> = [];
  if (ref) {
    const resolved = await resolveTarget(ctx, ref);
    machines.push({ service: resolved.service, stateMachineArn: resolved.stateMachineArn });
  } else {
    for (const parameter of await listServiceParameters(ctx)) {
      try {
        const value = JSON.parse(parameter.Value ?? '') as { service?: unknown; stateMachineArn?: unknown };
        if (typeof value.service === 'string' && typeof value.stateMachineArn === 'string') {
          machines.push({ service: value.service, stateMachineArn: value.stateMachineArn });
        }
      } catch {
        ctx.output.err(`serinus: skipping ${parameter.Name}: its value is not JSON`);
      }
    }
  }
  const now = ctx.clock.now();
  const rollouts: ListedRollout[] = [];
  for (const machine of machines) {
    const executions = await listExecutions(ctx.clients, machine.stateMachineArn, { maxResults: options.limit });
    rollouts.push(...executions.map((e) => listed(machine.service, e, now)));
  }
  // Running first, then newest first.
  rollouts.sort((a, b) => Number(b.status === 'RUNNING') - Number(a.status === 'RUNNING') || (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
  if (ctx.json) {
    printJson(ctx.output, { rollouts });
    return ExitCode.Ok;
  }
  if (rollouts.length === 0) {
    ctx.output.out(machines.length === 0 ? 'No serinus services are deployed here (nothing under /serinus/services/).' : 'No rollouts yet.');
    return ExitCode.Ok;
  }
  const rows = rollouts.map((r) => [r.service, r.result, shortDate(r.startedAt ? new Date(r.startedAt) : undefined), duration(r.durationSeconds), r.name]);
  ctx.output.out(table([['SERVICE', 'RESULT', 'STARTED', 'DURATION', 'EXECUTION'], ...rows]));
  return ExitCode.Ok;
}

function listed(service: string, e: ExecutionListItem, now: Date): ListedRollout {
  return {
    service,
    executionArn: e.executionArn ?? '',
    name: e.name ?? '',
    status: e.status ?? 'UNKNOWN',
    result: resultOf(e.status),
    ...(e.startDate ? { startedAt: e.startDate.toISOString() } : {}),
    ...(e.stopDate ? { stoppedAt: e.stopDate.toISOString() } : {}),
    durationSeconds: e.startDate ? secondsBetween(e.startDate, e.stopDate ?? now) : 0,
  };
}

export interface PastRollout extends ListedRollout {
  readonly startedBy: { readonly kind: string; readonly description: string };
  readonly reason?: string;
  readonly images?: Record<string, string> | string;
  /** The canary weights each step reached (its weight was written and verified), in order. */
  readonly stepsReached: number[];
  readonly stepCount?: number;
  readonly approvals: number;
  readonly error?: string;
  readonly cause?: string;
}

export async function historyCommand(ctx: CommandContext, ref: string, options: { readonly limit: number }): Promise<ExitCodeValue> {
  const resolved = await resolveTarget(ctx, ref);
  const now = ctx.clock.now();
  const executions = await listExecutions(ctx.clients, resolved.stateMachineArn, { maxResults: options.limit });
  const rollouts: PastRollout[] = [];
  for (const item of executions) {
    const executionArn = item.executionArn ?? '';
    const [execution, events] = await Promise.all([describeExecution(ctx.clients, executionArn), fullHistory(ctx.clients, executionArn)]);
    const input = parseObject(execution.input);
    const reached = stepsReached(events);
    rollouts.push({
      ...listed(resolved.service, item, now),
      startedBy: originOf(item.name ?? ''),
      ...(typeof input?.reason === 'string' ? { reason: input.reason } : {}),
      ...(input?.images && typeof input.images === 'object'
        ? { images: input.images as Record<string, string> }
        : typeof input?.image === 'string'
          ? { images: input.image }
          : {}),
      stepsReached: reached.weights,
      ...(reached.count !== undefined ? { stepCount: reached.count } : {}),
      approvals: reached.approvals,
      ...(execution.error ? { error: execution.error } : {}),
      ...(execution.cause ? { cause: execution.cause } : {}),
    });
  }
  if (ctx.json) {
    printJson(ctx.output, { service: resolved.service, rollouts });
    return ExitCode.Ok;
  }
  if (rollouts.length === 0) {
    ctx.output.out(`${resolved.service} has no rollouts yet.`);
    return ExitCode.Ok;
  }
  const blocks = rollouts.map((r) => {
    const images = typeof r.images === 'string' ? r.images : r.images ? Object.entries(r.images).map(([c, i]) => `${c}=${i}`).join(', ') : '-';
    const steps = r.stepsReached.length > 0 ? r.stepsReached.map((w) => `${w}%`).join(' → ') : 'no traffic shifted';
    const lines = [
      `${shortDate(r.startedAt ? new Date(r.startedAt) : undefined)}  ${r.result.toUpperCase()} after ${duration(r.durationSeconds)}  ${r.name}`,
      `  by       ${r.startedBy.description}${r.reason ? `: "${r.reason}"` : ''}`,
      `  image    ${images}`,
      `  steps    ${steps}${r.stepCount !== undefined ? ` (of ${r.stepCount})` : ''}${r.approvals > 0 ? `, ${r.approvals} approval${r.approvals > 1 ? 's' : ''}` : ''}`,
    ];
    if (r.error || r.cause) lines.push(`  why      ${[r.error, r.cause].filter(Boolean).join(': ')}`);
    return lines.join('\n');
  });
  ctx.output.out(`${resolved.service}: last ${rollouts.length} rollout${rollouts.length > 1 ? 's' : ''}\n${blocks.join('\n')}`);
  return ExitCode.Ok;
}

/**
 * Reads the workflow's own states: `Bake` is entered only after ShiftWeight wrote and verified a
 * step's weight (its schedule covers the settle time too); the approval gates are `ApproveStep` and `ApprovePromotion`, each exited once answered.
 */
function stepsReached(events: HistoryEvent[]): { weights: number[]; count?: number; approvals: number } {
  const weights: number[] = [];
  let count: number | undefined;
  let approvals = 0;
  for (const event of events) {
    const entered = event.stateEnteredEventDetails;
    if (entered?.name === 'Bake') {
      const state = parseObject(entered.input);
      const cursor = state?.cursor as { step?: { weight?: unknown } } | undefined;
      const rollout = state?.rollout as { stepCount?: unknown } | undefined;
      if (typeof cursor?.step?.weight === 'number') weights.push(cursor.step.weight);
      if (typeof rollout?.stepCount === 'number') count = rollout.stepCount;
    }
    const exited = event.stateExitedEventDetails?.name;
    if (exited === 'ApproveStep' || exited === 'ApprovePromotion') approvals++;
  }
  return { weights, ...(count !== undefined ? { count } : {}), approvals };
}

function parseObject(raw: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]))).join('  ')).join('\n');
}
