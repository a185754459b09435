/**
 * cdk-nag for the sample app and the tests: the AwsSolutions pack on every stack of the app. The
 * construct itself needs no cdk-nag: it records its acknowledgments as CDK `Validations` metadata
 * (lib/acknowledgements.ts), which cdk-nag reads when a user adds the pack.
 */
import { Validations, type Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/** Adds the AwsSolutions pack to every stack of the app, those of its nested stages included. */
export function addNagChecks(stage: Stage): void {
  Validations.of(stage).addPlugins(new AwsSolutionsChecks(stage));
}
