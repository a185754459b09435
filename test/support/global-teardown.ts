import { rmSync } from 'node:fs';
import { WORKFLOW_CACHE_ENV } from '../../local/run-cache';

export default function globalTeardown(): void {
  const dir = process.env[WORKFLOW_CACHE_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
