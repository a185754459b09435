import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SynthesizedWorkflow } from './synthesized-workflow';

/**
 * A directory where synthesized workflows are kept for the rest of a test run: a jest run sets it
 * (test/support/global-setup.ts) so each variant is synthesized once per run, not once per file,
 * and a file that finds it there never loads aws-cdk-lib.
 */
export const WORKFLOW_CACHE_ENV = 'SERINUS_WORKFLOW_CACHE';

/**
 * The sample app's rollout with the tests' fixture (local/sample-config.ts, never cdk.json's
 * `serinus` context), synthesized in-process with asset staging skipped (the prebuilt bundles are
 * hashed where they are): the same definition `npx cdk synth` produces. CDK's
 * built-in CloudFormation validation of the template (test/infra's concern, about five seconds a
 * synth) is off.
 */
export function synthesizeSampleWorkflow(context: Record<string, unknown> = {}): SynthesizedWorkflow {
  const cacheDir = process.env[WORKFLOW_CACHE_ENV];
  if (!cacheDir) return synthesize(context);
  const file = path.join(cacheDir, `${createHash('sha256').update(JSON.stringify(context)).digest('hex').slice(0, 16)}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SynthesizedWorkflow;
  } catch {
    const workflow = synthesize(context);
    mkdirSync(cacheDir, { recursive: true });
    // Written whole, then renamed: a reader in another worker never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, JSON.stringify(workflow));
    renameSync(partial, file);
    return workflow;
  }
}

function synthesize(context: Record<string, unknown>): SynthesizedWorkflow {
  // Loaded here, not at the top: a process that finds the workflow cached never loads aws-cdk-lib.
  const { App } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { buildSampleStack } = require('../bin/serinus') as typeof import('../bin/serinus');
  const { fixtureContext } = require('./sample-config') as typeof import('./sample-config');
  const { extractWorkflow } = require('./synthesized-workflow') as typeof import('./synthesized-workflow');
  const app = new App({ context: { ...fixtureContext(), ...context, 'aws:cdk:disable-asset-staging': true }, builtinCloudFormationValidation: false });
  const stack = buildSampleStack(app);
  return extractWorkflow(stack.rollout.stateMachine, stack.rollout.engine._functions);
}
