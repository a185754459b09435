/**
 * cdk-nag for the sample app and the tests: the AwsSolutions pack on every stack of the app. The
 * construct itself needs no cdk-nag: it records its acknowledgments as CDK `Validations` metadata
 * (lib/acknowledgements.ts), which cdk-nag reads when a user adds the pack.
 */
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/** Adds the AwsSolutions pack to every stack of the app. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
