/**
 * What a failed state handed to Rollback, read leniently: whatever shape the caught error has
 * (a Lambda error, a `States.*` error, `Cause: null`, a number, nothing at all), the result is a
 * named error the execution may fail with and a cause a person can read. Pure: no I/O.
 */
import { ErrorNames } from '../errors';

/** The states whose timeout the definition marks on the caught error (`$.error.timedOut`). */
export const TIMED_OUT_STATES = ['bake', 'approval'] as const;
export type TimedOutState = (typeof TIMED_OUT_STATES)[number];

export interface Failure {
  /** The error the execution fails with: never a `States.*` name (Step Functions reserves the prefix). */
  readonly error: string;
  /** `<original error>: <message>`, for the execution's cause. */
  readonly cause: string;
}

/** The prefix Step Functions reserves for its own errors; a Fail state may not raise it. */
export const RESERVED_ERROR_PREFIX = 'States.';
/** An error name the execution can carry as it is: what Lambda runtimes and SDKs produce. */
const USABLE_NAME = /^[A-Za-z][\w.:-]{0,127}$/;
const MAX_CAUSE_LENGTH = 4096;
const TIMEOUTS = new Set(['States.Timeout', 'States.HeartbeatTimeout']);

export function readFailure(raw: unknown): Failure {
  const fields = isObject(raw) ? raw : {};
  if (fields.Error === ErrorNames.HookFailed && isObject(fields.Cause) && typeof fields.Cause.hook === 'string') {
    return hookFailure(fields.Cause.hook, fields.Cause.answer);
  }
  const original = typeof fields.Error === 'string' ? fields.Error.trim() : '';
  const message = causeText(fields.Cause) ?? (typeof raw === 'string' ? raw : undefined);
  const error = namedError(original, fields.timedOut);
  const shown = original === '' ? 'unknown error' : printable(original, 128);
  return { error, cause: truncate(`${shown}: ${message ? printable(message, MAX_CAUSE_LENGTH) : 'no cause given'}`) };
}

/**
 * A lifecycle hook that did not pass: the definition hands over `{hook, answer}`, where the answer
 * is what the hook returned (`{status: 'fail', reason}` or anything not a pass) or the error its
 * task was caught with (its function failed, or its timeout passed).
 */
function hookFailure(hook: string, answer: unknown): Failure {
  const name = `lifecycle hook ${printable(hook, 64)}`;
  if (isObject(answer) && typeof answer.Error === 'string') {
    if (TIMEOUTS.has(answer.Error)) {
      return { error: ErrorNames.HookTimedOut, cause: `${ErrorNames.HookTimedOut}: ${name} did not answer within its timeout` };
    }
    const why = causeText(answer.Cause);
    return { error: ErrorNames.HookFailed, cause: truncate(`${ErrorNames.HookFailed}: ${name} failed: ${printable(answer.Error, 128)}${why ? `: ${printable(why, MAX_CAUSE_LENGTH)}` : ''}`) };
  }
  if (isObject(answer) && answer.status === 'fail') {
    const reason = typeof answer.reason === 'string' && answer.reason.trim() !== '' ? printable(answer.reason, MAX_CAUSE_LENGTH) : 'no reason given';
    return { error: ErrorNames.HookFailed, cause: truncate(`${ErrorNames.HookFailed}: ${name} failed: ${reason}`) };
  }
  const shown = causeText(answer) ?? String(answer);
  return { error: ErrorNames.HookFailed, cause: truncate(`${ErrorNames.HookFailed}: ${name} answered ${printable(shown, 512)}, not {"status": "pass"}`) };
}

/** The named error for what was caught; a timeout is named after the state that timed out. */
function namedError(original: string, timedOut: unknown): string {
  if (TIMEOUTS.has(original)) {
    if (timedOut === 'bake') return ErrorNames.BakeTimedOut;
    if (timedOut === 'approval') return ErrorNames.ApprovalTimedOut;
    return ErrorNames.StateTimedOut;
  }
  if (original.startsWith(RESERVED_ERROR_PREFIX) || !USABLE_NAME.test(original)) return ErrorNames.RolloutFailed;
  return original;
}

/** Lambda errors arrive as a JSON Cause with errorType and errorMessage; Step Functions' own as plain text. */
function causeText(cause: unknown): string | undefined {
  if (typeof cause === 'string') {
    if (cause.trim() === '') return undefined;
    try {
      const parsed = JSON.parse(cause) as unknown;
      if (isObject(parsed) && typeof parsed.errorMessage === 'string' && parsed.errorMessage !== '') return parsed.errorMessage;
    } catch {
      // Not JSON: plain text, as Step Functions' own errors carry it.
    }
    return cause;
  }
  if (cause === null || cause === undefined) return undefined;
  try {
    return JSON.stringify(cause);
  } catch {
    return String(cause);
  }
}

/** Control characters become spaces so a cause reads on one line in the console and CodePipeline. */
function printable(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return truncate(text.replace(/[\u0000-\u001f\u007f]+/g, ' '), max);
}

function truncate(text: string, max = MAX_CAUSE_LENGTH): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
