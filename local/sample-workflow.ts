import { App } from 'aws-cdk-lib';
import { buildSampleStack, cdkJsonContext } from '../bin/serinus';
import { extractWorkflow, type SynthesizedWorkflow } from './synthesized-workflow';

/**
 * The sample app's rollout (cdk.json's `serinus` context), synthesized in-process on the prebuilt
 * Lambda bundles: the same definition `npx cdk synth` produces. CDK's
 * CloudFormation validation of the template (test/infra's concern, about five seconds) is skipped
 * unless the context asks for it.
 */
export function synthesizeSampleWorkflow(context: Record<string, unknown> = {}): SynthesizedWorkflow {
  const app = new App({
    context: { ...cdkJsonContext(), '@aws-cdk/core:validateAgainstDefaultRules': false, ...context, 'aws:cdk:disable-asset-staging': true },
  });
  const stack = buildSampleStack(app);
  return extractWorkflow(stack.rollout.stateMachine, stack.rollout.engine._functions);
}
