/**
 * Builds the Lambda bundles before any test file runs, when lambda/ changed since the last build:
 * the stacks the tests synthesize deploy the same prebuilt bundles the package ships. Once, here,
 * so the workers never build them concurrently.
 */
import { ensureBundles } from '../../scripts/bundle-lambdas';

export default function globalSetup(): void {
  ensureBundles();
}
