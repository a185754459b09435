/**
 * Once per jest run, before any test file runs:
 * - builds the Lambda bundles when lambda/ changed since the last build: the stacks the tests
 *   synthesize deploy the same prebuilt bundles the package ships (here, so the workers never
 *   build them concurrently);
 * - makes a fresh directory where the synthesized sample workflow is kept for every test file of
 *   the run (local/sample-workflow.ts). Fresh each run, so an edit to lib/ is always seen;
 * - in a whole run, synthesizes the sample into it, the sandbox smoke scenario's variant, and the
 *   variants the flows run (test/support/flow-workflows.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WORKFLOW_CACHE_ENV } from '../../local/run-cache';
import { synthesizeSampleWorkflow } from '../../local/sample-workflow';
import { smokeTestContext } from '../../sandbox/smoke-test';
import { ensureBundles } from '../../scripts/bundle-lambdas';
import { synthesizeFlowWorkflows } from './flow-workflows';

export default function globalSetup(): void {
  ensureBundles();
  // Workers start after this runs and inherit the environment.
  process.env[WORKFLOW_CACHE_ENV] = mkdtempSync(path.join(tmpdir(), 'serinus-workflows-'));
  // A whole run (`npm test` sets this) synthesizes the sample here, once: the files that start first
  // (the fault matrix shards, the flows) would otherwise each synthesize it at the same moment, and
  // each load aws-cdk-lib for it. A run of a few files synthesizes only if one of them needs it.
  // The sandbox's smoke scenario (its beforeTraffic hook) too: the only synthesis left in that file,
  // which would load aws-cdk-lib in its worker for it alone. And the flows' variants, for the same reason.
  if (process.env[PRESYNTHESIZE_ENV] === '1') {
    synthesizeSampleWorkflow();
    synthesizeSampleWorkflow(smokeTestContext());
    synthesizeFlowWorkflows();
  }
}

/** Set by scripts/test.sh. */
const PRESYNTHESIZE_ENV = 'SERINUS_PRESYNTHESIZE';
