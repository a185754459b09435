/**
 * What the definition tells CheckHealth about the states it runs between a step's CheckHealth and
 * the next step's ShiftWeight (lambda/domain/next-shift.ts): only the states it really built.
 */
import type { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { CanaryRollout } from '../../lib/canary-rollout';
import { LifecycleHook } from '../../lib/hooks';
import { DeploymentWindow } from '../../lib/windows';
import type { AslState } from '../../local/synthesized-workflow';
import { emptyStack, validRolloutProps } from '../support/synth';

type Props = NonNullable<Parameters<typeof validRolloutProps>[1]>;
const smokeTest = (stack: Stack) => lambda.Function.fromFunctionName(stack, 'SmokeTest', 'checkout-smoke-test');

describe("CheckHealth's input", () => {
  it.each<[string, (stack: Stack) => Props, { windowGate: boolean; afterStepHook: boolean }]>([
    ['no window gate and no afterStep hook', () => ({}), { windowGate: false, afterStepHook: false }],
    ['a deployment calendar: the AwaitStepWindow gate', () => ({ windows: [DeploymentWindow.of('MON-FRI 09:00-17:00 Europe/Berlin')] }), { windowGate: true, afterStepHook: false }],
    ['an afterStep hook', (stack) => ({ hooks: { afterStep: LifecycleHook.invoke(smokeTest(stack)) } }), { windowGate: false, afterStepHook: true }],
    [
      'hooks at other points only',
      (stack) => {
        const fn = smokeTest(stack);
        return { hooks: { beforeTraffic: LifecycleHook.invoke(fn), beforePromote: LifecycleHook.invoke(fn), afterPromote: LifecycleHook.invoke(fn) } };
      },
      { windowGate: false, afterStepHook: false },
    ],
  ])('names what runs between steps: %s', (_label, props, betweenSteps) => {
    // Prepare
    const { stack } = emptyStack();
    const construct = new CanaryRollout(stack, 'Rollout', validRolloutProps(stack, props(stack)));

    // Act
    const state = stack.resolve((construct.node.findChild('CheckHealth') as sfn.State).toStateJson()) as AslState;

    // Assess
    // payloadResponseOnly: the state's Parameters are the payload.
    expect(state.Parameters).toEqual({ 'rollout.$': '$.rollout', 'step.$': '$.cursor.step', betweenSteps });
    expect(construct.node.tryFindChild('AwaitStepWindow') !== undefined).toBe(betweenSteps.windowGate);
    expect(construct.node.tryFindChild('AfterStepHook') !== undefined).toBe(betweenSteps.afterStepHook);
  });
});
