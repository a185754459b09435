import { App } from 'aws-cdk-lib';
import { buildSampleStack } from '../bin/serinus';
import { fixtureContext } from './sample-config';
import { extractWorkflow, type SynthesizedWorkflow } from './synthesized-workflow';

/**
 * The sample app's rollout with the test fixture's configuration (local/sample-config.ts, not cdk.json), synthesized in-process with bundling
 * skipped: the same definition `npx cdk synth` produces, without esbuild's time. CDK's
 * CloudFormation validation of the template (test/infra's concern, about five seconds) is skipped
 * unless the context asks for it.
 */
export function synthesizeSampleWorkflow(context: Record<string, unknown> = {}): SynthesizedWorkflow {
  const app = new App({
    context: { ...fixtureContext(), '@aws-cdk/core:validateAgainstDefaultRules': false, ...context, 'aws:cdk:bundling-stacks': [] },
  });
  const stack = buildSampleStack(app);
  return extractWorkflow(stack.rollout.stateMachine, stack.rollout.engine.functions);
}
