/**
 * The stacks a test file synthesizes once and shares among the tests that only read them
 * (test/support/synth.ts `once`).
 */
import { CfnResource } from 'aws-cdk-lib';
import { emptyStack, once } from '../support/synth';

describe('a stack shared by the tests of a file', () => {
  it('is made on the first call only, and refuses additions, so no test changes what the others read', () => {
    // Prepare
    const make = jest.fn(() => emptyStack());
    const shared = once(make);

    // Act
    const first = shared();
    const second = shared();

    // Assess
    expect(second).toBe(first);
    expect(make).toHaveBeenCalledTimes(1);
    expect(() => new CfnResource(first.stack, 'Added', { type: 'AWS::SQS::Queue' })).toThrow(/Cannot add children to "Test" during synthesis/);
  });
});
