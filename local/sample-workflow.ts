import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { keptInRun } from './run-cache';
import type { SampleConfig } from '../bin/serinus';
import type { SynthesizedWorkflow } from './synthesized-workflow';

/**
 * The sample app's rollout with the tests' fixture (local/sample-config.ts, never cdk.json's
 * `serinus` context), synthesized in-process with asset staging skipped (the prebuilt bundles are
 * hashed where they are): the same definition `npx cdk synth` produces. CDK's
 * built-in CloudFormation validation of the template (test/infra's concern, about five seconds a
 * synth) is off. Kept for the rest of a test run (local/run-cache.ts): each variant is synthesized
 * once per run, and a file that finds it kept never loads aws-cdk-lib.
 */
export function synthesizeSampleWorkflow(context: Record<string, unknown> = {}): SynthesizedWorkflow {
  return keptInRun(`${digest(context)}.json`, () => synthesize(context));
}

/** The sample with `config` in place of the fixture (a variant a flow runs), kept for the run as the sample is. */
export function synthesizeSampleVariant(config: SampleConfig): SynthesizedWorkflow {
  return keptInRun(`variant-${digest(config)}.json`, () => synthesize({}, config));
}

/** What a kept workflow's file is named for: its context or configuration. */
function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

function synthesize(context: Record<string, unknown>, config?: SampleConfig): SynthesizedWorkflow {
  // Loaded here, not at the top: a process that finds the workflow cached never loads aws-cdk-lib.
  const { App } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { buildSampleStack } = require('../bin/serinus') as typeof import('../bin/serinus');
  const { fixtureContext } = require('./sample-config') as typeof import('./sample-config');
  const { extractWorkflow } = require('./synthesized-workflow') as typeof import('./synthesized-workflow');
  return withScratchAssembly((outdir) => {
    const app = new App({ outdir, context: { ...fixtureContext(config), ...context, 'aws:cdk:disable-asset-staging': true }, builtinCloudFormationValidation: false });
    const stack = buildSampleStack(app);
    return extractWorkflow(stack.rollout.stateMachine, stack.rollout.engine._functions);
  });
}

/**
 * Runs `build` with a cloud assembly directory of its own, removed afterwards. The workflow is read
 * from the construct tree, not from a synthesized assembly, but an App made without `outdir` makes
 * a directory in the system's temporary directory and leaves it there.
 */
export function withScratchAssembly<T>(build: (outdir: string) => T): T {
  const outdir = mkdtempSync(path.join(tmpdir(), 'serinus-sample-'));
  try {
    return build(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
