import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildSampleStack } from '../bin/serinus';
import { extractWorkflow, type SynthesizedWorkflow } from './synthesized-workflow';

/**
 * The sample app's rollout (cdk.json's `serinus` context), synthesized in-process with bundling
 * skipped: the same definition `npx cdk synth` produces, without esbuild's time.
 */
export function synthesizeSampleWorkflow(context: Record<string, unknown> = {}): SynthesizedWorkflow {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context, ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = buildSampleStack(app);
  return extractWorkflow(stack.rollout.stateMachine, stack.rollout.engine.functions);
}
