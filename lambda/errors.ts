/**
 * Error names AWS APIs answer when the account's request rate is exceeded (ELBv2, a Query API,
 * answers `Throttling`). A handler that still fails with one after the SDK's retries was only
 * unlucky with a busy account: the workflow retries it longer than other errors.
 */
export const THROTTLING_ERROR_NAMES: readonly string[] = ['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException'];

/**
 * Errors that Step Functions matches with `ErrorEquals`. The names are defined here once and
 * imported by both the handlers (which throw them) and the workflow definition (which catches them).
 */
export const ErrorNames = {
  /** The execution input or the target configuration is not usable; nothing was changed. */
  ValidationFailed: 'ValidationFailed',
  /** Another execution holds the traffic target. */
  LockHeld: 'LockHeld',
  /** A CloudWatch alarm says the canary is not healthy. */
  CanaryUnhealthy: 'CanaryUnhealthy',
  /** The listener weights differ from the weights serinus last wrote. */
  DriftDetected: 'DriftDetected',
  /** A written weight did not read back as written. */
  WeightNotApplied: 'WeightNotApplied',
  /** A Deployment did not complete its rollout in time, or reported ProgressDeadlineExceeded. */
  RolloutStuck: 'RolloutStuck',
  /** The canary has no healthy targets, so it must not receive traffic. */
  NoHealthyTargets: 'NoHealthyTargets',
  /** An approval was rejected. */
  ApprovalRejected: 'ApprovalRejected',
  /** The rollout record is missing or belongs to another execution. */
  RecordMismatch: 'RecordMismatch',
  /** A bake got no callback before its task timeout (the schedule never fired, or its Lambda failed). */
  BakeTimedOut: 'BakeTimedOut',
  /** An approval gate got no answer before the construct's approvalTimeout. */
  ApprovalTimedOut: 'ApprovalTimedOut',
  /** Another state ran past its timeout. */
  StateTimedOut: 'StateTimedOut',
  /** The execution ran past the state machine's timeout (maxRolloutDuration). */
  RolloutTimedOut: 'RolloutTimedOut',
  /**
   * Step Functions itself failed a state (a `States.*` error other than a timeout: a missing path,
   * a permission, a payload over the size limit), or the failure carried no usable error name.
   */
  RolloutFailed: 'RolloutFailed',
  /** Rollback could not finish; traffic was the first thing it moved. */
  RollbackFailed: 'RollbackFailed',
  /** No deployment window opens before the rollout's timeout (windows and freezes, lambda/domain/windows.ts). */
  NoDeploymentWindow: 'NoDeploymentWindow',
  /** A lifecycle hook answered fail (or not pass), or its function failed. */
  HookFailed: 'HookFailed',
  /** A lifecycle hook did not answer within its timeout. */
  HookTimedOut: 'HookTimedOut',
} as const;

export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

/** Base class: `name` is what Step Functions sees as the error; `cause` is kept. */
export abstract class SerinusError extends Error {
  abstract override readonly name: ErrorName;
}

export class ValidationFailedError extends SerinusError {
  override readonly name = ErrorNames.ValidationFailed;
  /** Every problem found, each a sentence a person can act on. */
  readonly problems: string[];
  constructor(problems: string[] | string, options?: ErrorOptions) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.join('; '), options);
    this.problems = list;
  }
}

export class LockHeldError extends SerinusError {
  override readonly name = ErrorNames.LockHeld;
}

export class CanaryUnhealthyError extends SerinusError {
  override readonly name = ErrorNames.CanaryUnhealthy;
}

export class DriftDetectedError extends SerinusError {
  override readonly name = ErrorNames.DriftDetected;
}

export class WeightNotAppliedError extends SerinusError {
  override readonly name = ErrorNames.WeightNotApplied;
}

export class RolloutStuckError extends SerinusError {
  override readonly name = ErrorNames.RolloutStuck;
}

export class NoHealthyTargetsError extends SerinusError {
  override readonly name = ErrorNames.NoHealthyTargets;
}

export class ApprovalRejectedError extends SerinusError {
  override readonly name = ErrorNames.ApprovalRejected;
}

export class RecordMismatchError extends SerinusError {
  override readonly name = ErrorNames.RecordMismatch;
}

export class NoDeploymentWindowError extends SerinusError {
  override readonly name = ErrorNames.NoDeploymentWindow;
}
