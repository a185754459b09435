/**
 * How the CLI words things: results, origins, durations, events.
 */
import type { ExecutionStatus, HistoryEvent } from '@aws-sdk/client-sfn';
import { formatDuration } from '../lambda/domain/strategy';
import { ExitCode, type ExitCodeValue } from './context';

/** A rollout's result in words, from its execution's status. */
export function resultOf(status: ExecutionStatus | string | undefined): string {
  switch (status) {
    case 'RUNNING':
      return 'running';
    case 'SUCCEEDED':
      return 'promoted';
    case 'FAILED':
      return 'rolled back';
    case 'ABORTED':
      return 'aborted';
    case 'TIMED_OUT':
      return 'timed out';
    case 'PENDING_REDRIVE':
      return 'pending redrive';
    default:
      return String(status ?? 'unknown').toLowerCase();
  }
}

/** The exit code a finished execution ends `watch` with. */
export function exitCodeOf(status: ExecutionStatus | string | undefined): ExitCodeValue {
  switch (status) {
    case 'SUCCEEDED':
      return ExitCode.Ok;
    case 'ABORTED':
    case 'TIMED_OUT':
      return ExitCode.AbortedOrTimedOut;
    default:
      return ExitCode.RolloutFailed;
  }
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const CLI_NAME = /^cli-(?:(.+)-)?(\d{8}T\d{6})-[0-9a-f]+$/;

/** The execution name prefix the CLI uses. */
export const CLI_PREFIX = 'cli-';

export interface Origin {
  readonly kind: 'cli' | 'pipeline' | 'schedule' | 'console' | 'other';
  /** A sentence: "serinus CLI (user alice)". */
  readonly description: string;
}

/**
 * Who started an execution, from its name: the CLI names it `cli-<user>-<time>-<id>`; CodePipeline
 * `<prefix>-<actionExecutionId>` (a UUID); the console and a bare API call leave a UUID; a schedule
 * names itself.
 */
export function originOf(name: string): Origin {
  const cli = CLI_NAME.exec(name);
  if (cli) return { kind: 'cli', description: cli[1] ? `serinus CLI (user ${cli[1]})` : 'serinus CLI' };
  if (new RegExp(`^${UUID}$`, 'i').test(name)) return { kind: 'console', description: 'console or API (unnamed execution)' };
  if (/schedul/i.test(name)) return { kind: 'schedule', description: `schedule (${name})` };
  const pipeline = new RegExp(`^(.+)-${UUID}$`, 'i').exec(name);
  if (pipeline) return { kind: 'pipeline', description: `CodePipeline (prefix "${pipeline[1]}")` };
  return { kind: 'other', description: `named "${name}"` };
}

/** Seconds between two instants, whole. */
export function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
}

export function duration(seconds: number): string {
  return formatDuration(seconds);
}

/** `2026-12-02T04:40:00.000Z` → `04:40:00` (UTC), for event lines. */
export function clockTime(date: Date | undefined): string {
  return date ? date.toISOString().slice(11, 19) : '--:--:--';
}

/** `2026-12-02 04:40Z`, for list lines. */
export function shortDate(date: Date | undefined): string {
  return date ? `${date.toISOString().slice(0, 16).replace('T', ' ')}Z` : '-';
}

export interface EventView {
  readonly id: number;
  readonly at: string;
  readonly type: string;
  readonly summary: string;
}

/** The events worth a line, with a summary; `undefined` for the ones that only add noise. */
export function summarizeEvent(event: HistoryEvent): EventView | undefined {
  const type = event.type ?? 'Unknown';
  const at = event.timestamp?.toISOString() ?? '';
  const view = (summary: string): EventView => ({ id: event.id ?? 0, at, type, summary });
  if (type.endsWith('StateEntered')) return view(`entered ${event.stateEnteredEventDetails?.name ?? '?'}`);
  switch (type) {
    case 'ExecutionStarted':
      return view('execution started');
    case 'ExecutionSucceeded':
      return view('execution succeeded');
    case 'ExecutionFailed':
      return view(`execution failed: ${event.executionFailedEventDetails?.error ?? 'no error'}`);
    case 'ExecutionAborted':
      return view(`execution aborted${event.executionAbortedEventDetails?.cause ? `: ${event.executionAbortedEventDetails.cause}` : ''}`);
    case 'ExecutionTimedOut':
      return view('execution timed out');
    case 'TaskFailed':
      return view(`task failed: ${event.taskFailedEventDetails?.error ?? '?'}`);
    case 'TaskTimedOut':
      return view(`task timed out`);
    case 'LambdaFunctionFailed':
      return view(`function failed: ${event.lambdaFunctionFailedEventDetails?.error ?? '?'}`);
    default:
      return undefined;
  }
}

/** `app=registry/app:1.2.3, sidecar=…` */
export function formatImages(images: Record<string, string> | undefined): string {
  if (!images || Object.keys(images).length === 0) return '-';
  return Object.entries(images)
    .map(([container, image]) => `${container}=${image}`)
    .join(', ');
}
