/**
 * The synthesized state machine definition against the Amazon States Language schema.
 *
 * NOTE for the workflow author: this test checks lib/workflow.ts's output, not the CDK wiring.
 * It is expected to fail until that definition is complete and valid.
 */
import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { SAMPLE, synthSample } from '../support/synth';

/** asl-validator ships no type declarations; this is the part of its API the test uses. */
type AslValidator = (
  definition: unknown,
  options?: { readonly checkPaths: boolean; readonly checkArn: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = require('asl-validator') as AslValidator;

type Intrinsic = { Ref: string } | { 'Fn::GetAtt': [string, string] };

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': SAMPLE.region,
  'AWS::AccountId': SAMPLE.account,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Stands in for what CloudFormation would substitute: a Lambda ARN for a function's Arn, a name otherwise. */
function placeholder(part: Intrinsic): string {
  if ('Ref' in part) return PSEUDO[part.Ref] ?? part.Ref;
  const [resource, attribute] = part['Fn::GetAtt'];
  return attribute === 'Arn' ? `arn:aws:lambda:${SAMPLE.region}:${SAMPLE.account}:function:${resource}` : resource;
}

/** The definition as the deployed state machine would hold it. */
function renderDefinition(definitionString: unknown): unknown {
  if (typeof definitionString === 'string') return JSON.parse(definitionString);
  const [separator, parts] = (definitionString as { 'Fn::Join': [string, (string | Intrinsic)[]] })['Fn::Join'];
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : placeholder(part))).join(separator));
}

function logicalId(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
}

describe('the synthesized rollout definition', () => {
  it('is valid Amazon States Language', () => {
    // Prepare
    const { template, stack } = synthSample();
    const machine = template.toJSON().Resources[logicalId(stack.rollout.stateMachine)] as {
      Properties: { DefinitionString: unknown };
    };
    const definition = renderDefinition(machine.Properties.DefinitionString);

    // Act
    const result = aslValidator(definition, { checkPaths: true, checkArn: true });

    // Assess
    expect({ isValid: result.isValid, errors: result.errorsText('\n') }).toEqual({ isValid: true, errors: '' });
  });
});
