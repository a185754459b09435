/**
 * cdk-nag 3 wiring. Acknowledgments are CDK `Validations` metadata; cdk-nag 3 matches each
 * finding by its exact id, with no prefix matching, so a wildcard-resource finding has to name
 * the flattened resource. The ids are derived here from the very ARNs that were granted, so an
 * acknowledgment cannot drift from the grant it covers.
 */
import { Stack, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
// Not re-exported from the package root, but it is the function cdk-nag itself uses to name
// findings; the infra nag test fails if its output and ours ever stop matching.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IManagedPolicy } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** Adds the AwsSolutions pack to every stack of the app. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** Acknowledges one AwsSolutions finding (`L1`, `SQS3`, `IAM5[Resource::…]`, …) on `scope` and everything below it. */
export function acknowledgeRule(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${rule}`, reason });
}

/** A resource or policy ARN as cdk-nag names it in a finding id (`'*'`, `arn:…/*`, a token). */
function flattened(scope: IConstruct, value: string): string {
  return flattenCfnReference(Stack.of(scope).resolve(value));
}

/** Acknowledges IAM5 for exactly these resource patterns on `scope`'s policies. */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  for (const resource of resources) {
    acknowledgeRule(scope, `IAM5[Resource::${flattened(scope, resource)}]`, reason);
  }
}

/** Acknowledges IAM4 for one managed policy attached below `scope`. */
export function acknowledgeManagedPolicy(scope: IConstruct, policy: IManagedPolicy, reason: string): void {
  acknowledgeRule(scope, `IAM4[Policy::${flattened(scope, policy.managedPolicyArn)}]`, reason);
}
