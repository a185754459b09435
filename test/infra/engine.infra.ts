import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import { ENV, EVENT_HANDLERS, HANDLER_NEEDS, WORKFLOW_HANDLERS, type HandlerName } from '../../lambda/handler-names';
import { CanaryRollout } from '../../lib/canary-rollout';
import { SerinusEngine } from '../../lib/engine';
import { OTHER, SAMPLE, emptyStack, sharedSample, validRolloutProps } from '../support/synth';

type Json = Record<string, unknown>;

function logicalId(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
}

function functionProps(template: Template, engine: SerinusEngine, name: HandlerName): Json {
  const resource = template.toJSON().Resources[logicalId(engine.functions[name])] as Json;
  return resource.Properties as Json;
}

/** Resource → the resources it needs first (Ref, Fn::GetAtt, DependsOn). */
function dependencyGraph(resources: Record<string, Json>): Map<string, Set<string>> {
  const collect = (value: unknown, into: Set<string>): void => {
    if (Array.isArray(value)) {
      value.forEach((item) => collect(item, into));
    } else if (value !== null && typeof value === 'object') {
      const object = value as Json;
      if (typeof object.Ref === 'string' && object.Ref in resources) into.add(object.Ref);
      const getAtt = object['Fn::GetAtt'] as string[] | undefined;
      if (Array.isArray(getAtt) && getAtt[0] in resources) into.add(getAtt[0]);
      Object.values(object).forEach((item) => collect(item, into));
    }
  };
  const graph = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(resources)) {
    const needs = new Set<string>();
    collect(resource.Properties, needs);
    const dependsOn = resource.DependsOn as string | string[] | undefined;
    for (const other of dependsOn === undefined ? [] : [dependsOn].flat()) needs.add(other);
    graph.set(id, needs);
  }
  return graph;
}

function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const done = new Set<string>();
  const visit = (node: string, path: string[]): string[] | undefined => {
    if (path.includes(node)) return [...path.slice(path.indexOf(node)), node];
    if (done.has(node)) return undefined;
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next, [...path, node]);
      if (cycle) return cycle;
    }
    done.add(node);
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('SerinusEngine', () => {
  let sample: ReturnType<typeof sharedSample>;
  beforeAll(() => {
    sample = sharedSample();
  });

  describe('rollout table', () => {
    it('is keyed by target, indexed by execution, on demand, recoverable, encrypted and retained', () => {
      // Prepare
      const { template } = sample;

      // Act
      const tables = template.findResources('AWS::DynamoDB::Table');

      // Assess
      expect(Object.values(tables)).toEqual([
        {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            AttributeDefinitions: [
              { AttributeName: 'targetKey', AttributeType: 'S' },
              { AttributeName: 'executionArn', AttributeType: 'S' },
            ],
            BillingMode: 'PAY_PER_REQUEST',
            GlobalSecondaryIndexes: [
              {
                IndexName: 'byExecution',
                KeySchema: [{ AttributeName: 'executionArn', KeyType: 'HASH' }],
                Projection: { ProjectionType: 'ALL' },
              },
            ],
            KeySchema: [{ AttributeName: 'targetKey', KeyType: 'HASH' }],
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            // SSEEnabled without a key: the AWS-managed key (aws/dynamodb).
            SSESpecification: { SSEEnabled: true },
          },
          UpdateReplacePolicy: 'Retain',
          DeletionPolicy: 'Retain',
        },
      ]);
    });
  });

  describe('event rules', () => {
    it('sends the ALARM transitions of exactly the registered alarms to on-alarm', () => {
      // Prepare
      const { template, stack } = sample;
      const managed = stack.rollout.managedAlarms!;

      // Act
      const rule = template.toJSON().Resources[logicalId(stack.node.findChild('SerinusEngine').node.findChild('AlarmRule'))] as Json;

      // Assess
      expect((rule.Properties as Json).EventPattern).toEqual({
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [
          `arn:aws:cloudwatch:${SAMPLE.region}:${SAMPLE.account}:alarm:${SAMPLE.alarmNames[0]}`,
          { 'Fn::GetAtt': [logicalId(managed.errorRateAlarm), 'Arn'] },
          { 'Fn::GetAtt': [logicalId(managed.comparisonAlarm!), 'Arn'] },
          { 'Fn::GetAtt': [logicalId(managed.latencyAlarm!), 'Arn'] },
        ],
        detail: { state: { value: ['ALARM'] } },
      });
      expect((rule.Properties as Json).Targets).toEqual([
        {
          Arn: { 'Fn::GetAtt': [logicalId(stack.rollout.engine.functions['on-alarm']), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.rollout.engine.deadLetterQueue), 'Arn'] } },
          Id: 'Target0',
          RetryPolicy: { MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 8 },
        },
      ]);
    });

    it('sends ABORTED, TIMED_OUT and FAILED executions of exactly the registered state machines to cleanup', () => {
      // Prepare
      const { template, stack } = sample;

      // Act
      const rule = template.toJSON().Resources[
        logicalId(stack.node.findChild('SerinusEngine').node.findChild('ExecutionEndRule'))
      ] as Json;

      // Assess
      expect((rule.Properties as Json).EventPattern).toEqual({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
          stateMachineArn: [{ Ref: logicalId(stack.rollout.stateMachine) }],
        },
      });
      expect((rule.Properties as Json).Targets).toEqual([
        {
          Arn: { 'Fn::GetAtt': [logicalId(stack.rollout.engine.functions.cleanup), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.rollout.engine.deadLetterQueue), 'Arn'] } },
          Id: 'Target0',
          RetryPolicy: { MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 8 },
        },
      ]);
    });

    it('widens both rules when a second rollout registers, instead of adding rules', () => {
      // Prepare
      const { stack } = emptyStack();
      const first = new CanaryRollout(stack, 'First', validRolloutProps(stack));

      // Act
      const second = new CanaryRollout(
        stack,
        'Second',
        validRolloutProps(stack, {
          serviceName: 'payments',
          listenerRuleArn: OTHER.ruleArn,
          alarms: undefined,
          managedAlarms: { compareWithStable: false },
        }),
      );
      const template = Template.fromStack(stack);

      // Assess
      template.resourceCountIs('AWS::Events::Rule', 2);
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({
          resources: [
            `arn:aws:cloudwatch:${SAMPLE.region}:${SAMPLE.account}:alarm:checkout-availability`,
            { 'Fn::GetAtt': [logicalId(second.managedAlarms!.errorRateAlarm), 'Arn'] },
          ],
        }),
      });
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({
          detail: {
            status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
            stateMachineArn: [{ Ref: logicalId(first.stateMachine) }, { Ref: logicalId(second.stateMachine) }],
          },
        }),
      });
    });

    it('creates no alarm or execution rule before a rollout registers (EventBridge rejects empty lists)', () => {
      // Prepare
      const { stack } = emptyStack();

      // Act
      SerinusEngine.of(stack);
      const template = Template.fromStack(stack);

      // Assess
      template.resourceCountIs('AWS::Events::Rule', 0);
    });

    it('runs nothing on a fixed schedule: the sweeper is invoked only by the schedules a held rollout creates', () => {
      // Prepare
      const { template } = sample;

      // Act
      const scheduled = Object.values(template.findResources('AWS::Events::Rule')).filter(
        (rule) => (rule as { Properties: Json }).Properties.ScheduleExpression !== undefined,
      );

      // Assess
      expect(scheduled).toEqual([]);
      template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    });

    it('keeps dead letters on an SSL-only, encrypted queue', () => {
      // Prepare
      const { template } = sample;

      // Act
      const queues = template.findResources('AWS::SQS::Queue');

      // Assess
      expect(Object.values(queues).map((q) => (q as Json).Properties)).toEqual([
        { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true },
      ]);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('functions', () => {
    it.each([...WORKFLOW_HANDLERS, ...EVENT_HANDLERS])('%s runs Node.js 22 on arm64, traced, with its own log group', (name) => {
      // Prepare
      const { template, stack } = sample;
      const engine = stack.rollout.engine;
      const needs = HANDLER_NEEDS[name];

      // Act
      const props = functionProps(template, engine, name);

      // Assess
      expect(props).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        MemorySize: needs.kubernetes ? 1024 : 512,
        Timeout: ['validate', 'rollback', 'cleanup', 'sweeper'].includes(name) ? 300 : 60,
        LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/Logs[0-9A-F]{8}$/) } },
      });
      expect(props).not.toHaveProperty('ReservedConcurrentExecutions');
      expect(props).not.toHaveProperty('VpcConfig');
      const variables = (props.Environment as { Variables: Json }).Variables;
      expect(variables).toEqual({
        POWERTOOLS_SERVICE_NAME: 'serinus',
        POWERTOOLS_METRICS_NAMESPACE: 'Serinus',
        // The longest function timeout (300 s) plus 60 s.
        [ENV.fenceSeconds]: '360',
        ...(needs.table === 'none'
          ? {}
          : { [ENV.tableName]: { Ref: logicalId(engine.table) }, [ENV.executionIndexName]: 'byExecution' }),
        ...(needs.schedules
          ? {
              [ENV.scheduleGroup]: stack.resolve(engine.scheduleGroup.scheduleGroupName),
              [ENV.schedulerRoleArn]: { 'Fn::GetAtt': [logicalId(engine.schedulerRole), 'Arn'] },
              // The sweeper learns its own ARN from its invocation: a function cannot reference itself.
              ...(name === 'sweeper' ? {} : { [ENV.sweeperFunctionArn]: { 'Fn::GetAtt': [logicalId(engine.functions.sweeper), 'Arn'] } }),
            }
          : {}),
      });
    });

    it('deploys the prebuilt bundles, with their source maps and --enable-source-maps only under lambdaSourceMaps', () => {
      // Prepare
      const { stack } = emptyStack();
      const plain = new CanaryRollout(stack, 'Plain', validRolloutProps(stack));
      const mapped = new CanaryRollout(
        stack,
        'Mapped',
        validRolloutProps(stack, { serviceName: 'payments', listenerRuleArn: OTHER.ruleArn, lambdaSourceMaps: true }),
      );

      // Act
      const template = Template.fromStack(stack);
      const validate = (rollout: CanaryRollout) => functionProps(template, rollout.engine, 'validate');

      // Assess
      expect(mapped.engine).not.toBe(plain.engine);
      expect((validate(plain).Environment as { Variables: Json }).Variables).not.toHaveProperty('NODE_OPTIONS');
      expect((validate(mapped).Environment as { Variables: Json }).Variables).toMatchObject({ NODE_OPTIONS: '--enable-source-maps' });
      // The map is part of the asset only with the prop: the two assets differ.
      const key = (props: Json) => (props.Code as { S3Key: string }).S3Key;
      expect(key(validate(plain))).toMatch(/^[0-9a-f]{64}\.zip$/);
      expect(key(validate(mapped))).not.toBe(key(validate(plain)));
    });

    it('keeps every log group for three months', () => {
      // Prepare
      const { template } = sample;

      // Act
      const groups = Object.values(template.findResources('AWS::Logs::LogGroup')) as Json[];

      // Assess
      expect(groups).toHaveLength(WORKFLOW_HANDLERS.length + EVENT_HANDLERS.length + 1);
      expect(groups.map((g) => (g.Properties as Json).RetentionInDays)).toEqual(groups.map(() => 90));
    });
  });

  describe('dependencies', () => {
    it('form no cycle, which CloudFormation would refuse at deploy time', () => {
      // Prepare
      const { stack } = emptyStack();
      new CanaryRollout(stack, 'First', validRolloutProps(stack, { managedAlarms: {} }));
      new CanaryRollout(stack, 'Second', validRolloutProps(stack, { serviceName: 'payments', listenerRuleArn: OTHER.ruleArn }));
      const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;

      // Act
      const cycle = findCycle(dependencyGraph(resources));

      // Assess
      expect(cycle).toBeUndefined();
    });
  });

  describe('placement', () => {
    it('puts only the Kubernetes functions in the VPC, in an engine of their own', () => {
      // Prepare
      const { stack } = emptyStack();
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
      const outside = new CanaryRollout(stack, 'Outside', validRolloutProps(stack));

      // Act
      const inside = new CanaryRollout(
        stack,
        'Inside',
        validRolloutProps(stack, { serviceName: 'payments', listenerRuleArn: OTHER.ruleArn, vpc }),
      );
      const template = Template.fromStack(stack);

      // Assess
      expect(inside.engine).not.toBe(outside.engine);
      expect(SerinusEngine.of(stack, { vpc })).toBe(inside.engine);
      for (const name of [...WORKFLOW_HANDLERS, ...EVENT_HANDLERS]) {
        const props = functionProps(template, inside.engine, name);
        if (HANDLER_NEEDS[name].kubernetes) {
          expect(props.VpcConfig).toEqual({
            SecurityGroupIds: [expect.anything()],
            SubnetIds: [expect.anything(), expect.anything()],
          });
        } else {
          expect(props).not.toHaveProperty('VpcConfig');
        }
        expect(functionProps(template, outside.engine, name)).not.toHaveProperty('VpcConfig');
      }
      template.hasResourceProperties('AWS::IAM::Role', {
        ManagedPolicyArns: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']] },
        ],
      });
    });
  });
});
