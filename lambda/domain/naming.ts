/**
 * Names of resources serinus creates at run time.
 */
import { createHash } from 'node:crypto';
import { ValidationFailedError } from '../errors';

/** EventBridge Scheduler: 1–64 characters of letters, digits, `-`, `_` and `.`. */
export const SCHEDULE_NAME_PATTERN = /^[0-9a-zA-Z\-_.]{1,64}$/;

/**
 * The name of a bake's end-of-bake schedule. Deterministic, so a retried Bake task finds the
 * schedule it already created instead of making a second one; a hash of the execution ARN,
 * because the ARN itself is too long and holds characters a schedule name may not.
 * @throws ValidationFailedError when the ARN is empty or `stepIndex` is not a non-negative integer.
 */
export function bakeScheduleName(executionArn: string, stepIndex: number): string {
  if (executionArn.length === 0) {
    throw new ValidationFailedError('the execution ARN must not be empty');
  }
  if (!Number.isSafeInteger(stepIndex) || stepIndex < 0) {
    throw new ValidationFailedError(`the step index must be a non-negative integer, got ${stepIndex}`);
  }
  const digest = createHash('sha256').update(executionArn).digest('hex').slice(0, 16);
  return `serinus-${digest}-step-${stepIndex}`;
}

/**
 * The schedule that ends a wait for a deployment window before step `stepIndex` (or, at the step
 * count, before the promotion). Deterministic for the same reason as `bakeScheduleName`.
 */
export function windowScheduleName(executionArn: string, stepIndex: number): string {
  return bakeScheduleName(executionArn, stepIndex).replace(/-step-(\d+)$/, '-window-$1');
}

/** The schedule that sweeps a rollout every few minutes while it holds its traffic target. */
export function safetyScheduleName(targetKey: string, executionArn: string): string {
  return `serinus-safety-${rolloutDigest(targetKey, executionArn)}`;
}

/** The one-time schedule that reverts an ended rollout again once its late handlers are done. */
export function reassertScheduleName(targetKey: string, executionArn: string): string {
  return `serinus-reassert-${rolloutDigest(targetKey, executionArn)}`;
}

function rolloutDigest(targetKey: string, executionArn: string): string {
  if (targetKey.length === 0 || executionArn.length === 0) {
    throw new ValidationFailedError('the traffic target and the execution ARN must not be empty');
  }
  return createHash('sha256').update(`${targetKey}\n${executionArn}`).digest('hex').slice(0, 24);
}
