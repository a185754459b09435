/**
 * Takes the rollout state machine out of a synthesized CDK stack, resolving the CloudFormation
 * intrinsics in its definition to the values a deployed stack would have, so the real definition
 * runs locally.
 */
import { Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { TargetConfig } from '../lambda/domain/types';
import type { HandlerName } from '../lambda/handler-names';

/** An Amazon States Language document, as far as the local runner reads it. */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSecondsPath?: string;
  [key: string]: unknown;
}

export interface SynthesizedWorkflow {
  readonly definition: AslDefinition;
  /** Function ARN (as resolved in the definition) → the handler it runs. */
  readonly handlers: Record<string, HandlerName>;
  /** The target configuration the construct embedded in the Validate state. */
  readonly target: TargetConfig;
  readonly stateMachineArn: string;
  readonly region: string;
  readonly account: string;
  /** Alarms the stack itself defines (the managed canary alarms), by the name the target uses. */
  readonly definedAlarms: Record<string, { logicalId: string; properties: Record<string, unknown> }>;
  /** The longest `Timeout` of the stack's Lambda functions: how long a handler can still run after a stop. */
  readonly longestFunctionTimeoutSeconds: number;
}

type Template_ = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

export function extractWorkflow(
  stateMachine: sfn.StateMachine,
  functions: Record<HandlerName, lambda.IFunction>,
): SynthesizedWorkflow {
  const stack = Stack.of(stateMachine);
  const region = Token.isUnresolved(stack.region) ? 'eu-west-1' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '123456789012' : stack.account;
  const template = Template.fromStack(stack).toJSON() as Template_;
  const resolver = new IntrinsicResolver(template, region, account);

  const machineId = stack.getLogicalId(stateMachine.node.defaultChild as never);
  const raw = template.Resources[machineId]?.Properties?.DefinitionString;
  if (raw === undefined) throw new Error(`state machine ${machineId} has no DefinitionString`);
  const definition = JSON.parse(String(resolver.resolve(raw))) as AslDefinition;

  const handlers: Record<string, HandlerName> = {};
  for (const [name, fn] of Object.entries(functions) as Array<[HandlerName, lambda.IFunction]>) {
    handlers[String(resolver.resolve(stack.resolve(fn.functionArn)))] = name;
  }

  const validate = Object.values(definition.States).find(
    (state) => state.Type === 'Task' && handlers[String(state.Resource)] === 'validate',
  );
  const target = validate?.Parameters?.target as TargetConfig | undefined;
  if (!target) throw new Error('the definition has no Validate task carrying the target configuration');

  const definedAlarms: SynthesizedWorkflow['definedAlarms'] = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::CloudWatch::Alarm') continue;
    definedAlarms[String(resolver.resolve({ Ref: logicalId }))] = {
      logicalId,
      properties: resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>,
    };
  }

  const timeouts = Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource) => Number(resource.Properties?.Timeout ?? 3));

  return {
    definition,
    handlers,
    longestFunctionTimeoutSeconds: Math.max(3, ...timeouts),
    target,
    stateMachineArn: String(resolver.resolve({ Ref: machineId })),
    region,
    account,
    definedAlarms,
  };
}

/** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Select and Fn::Split the way a deployment would. */
class IntrinsicResolver {
  constructor(
    private readonly template: Template_,
    private readonly region: string,
    private readonly account: string,
  ) {}

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      switch (key) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attribute] = arg as [string, string];
          return this.getAtt(id, attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number | string, unknown];
          return (this.resolve(list) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, unknown];
          return String(this.resolve(source)).split(separator);
        }
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  private ref(id: string): string {
    switch (id) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return 'local';
    }
    const resource = this.template.Resources[id];
    if (!resource) throw new Error(`Ref to unknown resource ${id}`);
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${this.region}:${this.account}:${String(props.TopicName ?? id)}`;
      case 'AWS::CloudWatch::Alarm':
        return String(props.AlarmName ?? id);
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${this.region}:${this.account}:stateMachine:${String(props.StateMachineName ?? id)}`;
      case 'AWS::Lambda::Function':
        return String(props.FunctionName ?? id);
      default:
        return id;
    }
  }

  private getAtt(id: string, attribute: string): string {
    const resource = this.template.Resources[id];
    if (!resource) throw new Error(`Fn::GetAtt on unknown resource ${id}`);
    if (resource.Type === 'AWS::Lambda::Function' && attribute === 'Arn') {
      return `arn:aws:lambda:${this.region}:${this.account}:function:${this.ref(id)}`;
    }
    if (resource.Type === 'AWS::CloudWatch::Alarm' && attribute === 'Arn') {
      return `arn:aws:cloudwatch:${this.region}:${this.account}:alarm:${this.ref(id)}`;
    }
    return `${id}.${attribute}`;
  }
}
