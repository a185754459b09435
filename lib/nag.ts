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

/** Acknowledges one AwsSolutions rule (`L1`, `SQS3`, …) on `scope` and everything below it. */
export function acknowledgeRule(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${rule}`, reason });
}

/** The id cdk-nag gives an IAM5 finding for a resource pattern (`'*'`, `arn:…/*`, a token). */
export function wildcardResourceFindingId(scope: IConstruct, resource: string): string {
  const flattened = flattenCfnReference(Stack.of(scope).resolve(resource));
  return `AwsSolutions-IAM5[Resource::${flattened}]`;
}

/** Acknowledges IAM5 for exactly these resource patterns on `scope`'s policies. */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  for (const resource of resources) {
    Validations.of(scope).acknowledge({ id: wildcardResourceFindingId(scope, resource), reason });
  }
}

/** Acknowledges IAM5 for a wildcard action (`xray:*`) on `scope`'s policies. */
export function acknowledgeWildcardAction(scope: IConstruct, action: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
}

/** Acknowledges IAM4 for one managed policy attached below `scope`. */
export function acknowledgeManagedPolicy(scope: IConstruct, policy: IManagedPolicy, reason: string): void {
  const flattened = flattenCfnReference(Stack.of(scope).resolve(policy.managedPolicyArn));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM4[Policy::${flattened}]`, reason });
}
