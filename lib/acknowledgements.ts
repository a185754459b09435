/**
 * Acknowledgments of cdk-nag AwsSolutions findings, recorded as CDK `Validations` metadata so the
 * construct needs no cdk-nag at runtime; a user who adds the pack sees them applied. cdk-nag 3
 * matches each finding by its exact id, with no prefix matching, so a wildcard-resource finding has
 * to name the flattened resource. The ids are derived here from the very ARNs that were granted, so
 * an acknowledgment cannot drift from the grant it covers.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IManagedPolicy } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** Acknowledges one AwsSolutions finding (`L1`, `SQS3`, `IAM5[Resource::…]`, …) on `scope` and everything below it. */
export function acknowledgeRule(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${rule}`, reason });
}

/**
 * A resource or policy as cdk-nag names it in a finding id (`'*'`, `arn:…/*`, `<Role.Arn>`): the
 * same function as cdk-nag's `flattenCfnReference` (Apache-2.0), which test/infra/nag.infra.ts
 * compares it with.
 */
export function flattenCfnReference(reference: unknown): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
    const fn = node as Record<string, unknown>;
    if (fn['Fn::Join']) {
      const [delimiter, items] = fn['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (fn['Fn::Sub']) return visit(fn['Fn::Sub']);
    if (fn['Fn::GetAtt']) {
      const [resource, attribute] = fn['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (fn['Fn::ImportValue']) return visit(fn['Fn::ImportValue']);
    if (fn.Ref) return `<${visit(fn.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(reference);
}

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
