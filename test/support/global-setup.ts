/**
 * Once per jest run: a fresh directory where the synthesized sample workflow is kept for every test
 * file of the run (local/sample-workflow.ts). Fresh each run, so an edit to lib/ is always seen.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WORKFLOW_CACHE_ENV } from '../../local/sample-workflow';

export default function globalSetup(): void {
  // Workers start after this runs and inherit the environment.
  process.env[WORKFLOW_CACHE_ENV] = mkdtempSync(path.join(tmpdir(), 'serinus-workflows-'));
}
