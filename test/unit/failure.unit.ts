import { readFailure, type Failure } from '../../lambda/domain/failure';
import { ErrorNames } from '../../lambda/errors';

describe('readFailure', () => {
  it.each<[string, unknown, Failure]>([
    [
      'a Lambda error with its JSON cause',
      { Error: 'CanaryUnhealthy', Cause: JSON.stringify({ errorType: 'CanaryUnhealthy', errorMessage: 'alarm checkout-5xx is in ALARM' }) },
      { error: 'CanaryUnhealthy', cause: 'CanaryUnhealthy: alarm checkout-5xx is in ALARM' },
    ],
    ['a bake timeout', { Error: 'States.Timeout', Cause: 'The task timed out', timedOut: 'bake' }, { error: ErrorNames.BakeTimedOut, cause: 'States.Timeout: The task timed out' }],
    ['an approval timeout', { Error: 'States.Timeout', timedOut: 'approval' }, { error: ErrorNames.ApprovalTimedOut, cause: 'States.Timeout: no cause given' }],
    ['a heartbeat timeout of another state', { Error: 'States.HeartbeatTimeout', Cause: 'x' }, { error: ErrorNames.StateTimedOut, cause: 'States.HeartbeatTimeout: x' }],
    ['a timeout marked with an unknown state', { Error: 'States.Timeout', Cause: 'x', timedOut: 'lunch' }, { error: ErrorNames.StateTimedOut, cause: 'States.Timeout: x' }],
    ['another States error', { Error: 'States.Runtime', Cause: 'path $.x not found' }, { error: ErrorNames.RolloutFailed, cause: 'States.Runtime: path $.x not found' }],
    ['Cause null', { Error: 'DriftDetected', Cause: null }, { error: 'DriftDetected', cause: 'DriftDetected: no cause given' }],
    ['a non-string Error', { Error: 42, Cause: 'odd' }, { error: ErrorNames.RolloutFailed, cause: 'unknown error: odd' }],
    ['an object Cause', { Error: 'Boom', Cause: { why: 'nested' } }, { error: 'Boom', cause: 'Boom: {"why":"nested"}' }],
    ['no error at all', undefined, { error: ErrorNames.RolloutFailed, cause: 'unknown error: no cause given' }],
    ['null', null, { error: ErrorNames.RolloutFailed, cause: 'unknown error: no cause given' }],
    ['a bare string', 'something broke', { error: ErrorNames.RolloutFailed, cause: 'unknown error: something broke' }],
    ['a list', [1, 2], { error: ErrorNames.RolloutFailed, cause: 'unknown error: no cause given' }],
    ['extra fields', { Error: 'LockHeld', Cause: 'held', extra: { deep: [1] } }, { error: 'LockHeld', cause: 'LockHeld: held' }],
    ['a name with a newline', { Error: 'Bad\nName', Cause: 'c' }, { error: ErrorNames.RolloutFailed, cause: 'Bad Name: c' }],
    ['a Lambda JSON cause without a message', { Error: 'Sandbox.Timedout', Cause: '{"errorType":"Sandbox.Timedout"}' }, { error: 'Sandbox.Timedout', cause: 'Sandbox.Timedout: {"errorType":"Sandbox.Timedout"}' }],
  ])('reads %s', (_label, raw, expected) => {
    // Act
    const failure = readFailure(raw);

    // Assess
    expect(failure).toEqual(expected);
  });

  it('never names a States.* error and keeps the cause bounded', () => {
    // Prepare
    const names = ['States.ALL', 'States.Timeout', 'States.TaskFailed', 'States.Permissions', 'States.DataLimitExceeded', 'States.'];

    // Act
    const failures = names.map((Error) => readFailure({ Error, Cause: 'c'.repeat(100_000) }));

    // Assess
    for (const failure of failures) {
      expect(failure.error.startsWith('States.')).toBe(false);
      expect(failure.cause.length).toBeLessThanOrEqual(4096);
    }
  });
});
