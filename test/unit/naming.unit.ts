import { createHash } from 'node:crypto';
import { ValidationFailedError } from '../../lambda/errors';
import { SCHEDULE_NAME_PATTERN, bakeScheduleName } from '../../lambda/domain/naming';

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:checkout-rollout:release-1-4-2';

describe('bakeScheduleName', () => {
  it('is serinus-, the first 16 hex of the ARN hash, and the step', () => {
    // Prepare
    const hash = createHash('sha256').update(EXECUTION).digest('hex').slice(0, 16);

    // Act
    const name = bakeScheduleName(EXECUTION, 3);

    // Assess
    expect(name).toBe(`serinus-${hash}-step-3`);
  });

  it('gives a retry the same name', () => {
    // Act
    const first = bakeScheduleName(EXECUTION, 1);
    const retry = bakeScheduleName(EXECUTION, 1);

    // Assess
    expect(retry).toBe(first);
  });

  it('differs per step and per execution', () => {
    // Prepare
    const other = `${EXECUTION}-b`;

    // Act
    const names = [bakeScheduleName(EXECUTION, 0), bakeScheduleName(EXECUTION, 1), bakeScheduleName(other, 0), bakeScheduleName(other, 1)];

    // Assess
    expect(new Set(names).size).toBe(4);
  });

  it.each([
    [EXECUTION, 0],
    [`arn:aws:states:eu-west-1:123456789012:execution:${'x'.repeat(80)}:${'🐤'.repeat(40)}`, Number.MAX_SAFE_INTEGER],
    ['arn:aws-cn:states:cn-north-1:123456789012:execution:a/b c:1', 19],
  ])('fits EventBridge Scheduler naming rules for %s step %d', (arn, step) => {
    // Act
    const name = bakeScheduleName(arn, step);

    // Assess
    expect(name).toMatch(SCHEDULE_NAME_PATTERN);
    expect(name).toMatch(/^[0-9a-zA-Z\-_.]{1,64}$/);
  });

  it.each<[string, number, RegExp]>([
    [EXECUTION, -1, /step index must be a non-negative integer, got -1/],
    [EXECUTION, 1.5, /got 1\.5/],
    [EXECUTION, Number.NaN, /got NaN/],
    ['', 0, /execution ARN must not be empty/],
  ])('rejects %j step %d', (arn, step, message) => {
    // Act
    const act = () => bakeScheduleName(arn, step);

    // Assess
    expect(act).toThrow(ValidationFailedError);
    expect(act).toThrow(message);
  });
});
