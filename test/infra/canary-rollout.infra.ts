import { Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { discoveryParameterName, type DiscoveryValue } from '../../lambda/domain/discovery';
import { CanaryRollout } from '../../lib/canary-rollout';
import { EksCluster } from '../../lib/cluster';
import { SAMPLE, emptyStack, sharedSample, validRolloutProps } from '../support/synth';

type Json = Record<string, unknown>;

/** A template value with `<Ref>` and `<Ref.Attribute>` for the references: what Fn::Join would produce. */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref !== undefined) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(joined).join(v['Fn::Join'][0]);
  throw new Error(`cannot join ${JSON.stringify(value)}`);
}

function logicalId(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
}

describe('CanaryRollout', () => {
  let sample: ReturnType<typeof sharedSample>;
  beforeAll(() => {
    sample = sharedSample();
  });

  it('builds the target configuration from the props and the defaults', () => {
    // Prepare
    const { stack } = sample;

    // Act
    const target = stack.resolve(stack.rollout._targetConfig) as Json;

    // Assess
    expect(target).toEqual({
      service: SAMPLE.serviceName,
      traffic: {
        kind: 'alb',
        key: SAMPLE.listenerArn,
        listenerArn: SAMPLE.listenerArn,
        stableTargetGroupArn: SAMPLE.stableTargetGroupArn,
        canaryTargetGroupArn: SAMPLE.canaryTargetGroupArn,
      },
      workload: {
        clusterName: SAMPLE.clusterName,
        namespace: SAMPLE.namespace,
        stableDeployment: SAMPLE.stableDeployment,
        canaryDeployment: SAMPLE.canaryDeployment,
        containers: SAMPLE.containers,
        canaryReplicas: 1,
      },
      alarmNames: [SAMPLE.alarmNames[0], expect.anything(), expect.anything(), expect.anything()],
      defaults: {
        strategy: 'Canary10Percent5Minutes',
        approval: 'none',
        insufficientData: 'unhealthy',
        afterPromotion: 'scaleCanaryToZero',
      },
      timing: {
        settleSeconds: 15,
        readyTimeoutSeconds: 600,
        pollSeconds: 10,
        approvalTimeoutSeconds: 86400,
        maxRolloutSeconds: 604800,
      },
      onDrift: 'revert',
    });
  });

  it('keeps the rule in the traffic target when one is steered', () => {
    // Prepare
    const { stack } = emptyStack();
    const ruleArn =
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';

    // Act
    const rollout = new CanaryRollout(stack, 'Rollout', validRolloutProps(stack, { listenerRuleArn: ruleArn }));

    // Assess
    expect(rollout._targetConfig.traffic).toEqual({
      kind: 'alb',
      key: ruleArn,
      listenerArn: SAMPLE.listenerArn,
      ruleArn,
      stableTargetGroupArn: SAMPLE.stableTargetGroupArn,
      canaryTargetGroupArn: SAMPLE.canaryTargetGroupArn,
    });
    expect(rollout.trafficKey).toBe(ruleArn);
  });

  it('runs a Standard, traced state machine that logs every event without execution data', () => {
    // Prepare
    const { template, stack } = sample;

    // Act
    const machine = template.toJSON().Resources[logicalId(stack.rollout.stateMachine)] as { Properties: Json };

    // Assess
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.stringMatching(/^RolloutExecutionLogs/), 'Arn'] } } }],
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/serinus-'),
      RetentionInDays: 90,
    });
  });

  it('times the state machine out at maxRolloutDuration', () => {
    // Prepare
    const { stack } = emptyStack();

    // Act
    const rollout = new CanaryRollout(stack, 'Rollout', validRolloutProps(stack, { maxRolloutDuration: Duration.days(2) }));
    const machine = Template.fromStack(stack).toJSON().Resources[logicalId(rollout.stateMachine)] as { Properties: Json };

    // Assess
    expect(JSON.stringify(machine.Properties.DefinitionString)).toContain('\\"TimeoutSeconds\\":172800');
  });

  it('creates an approval topic encrypted with the AWS-managed SNS key that accepts only TLS', () => {
    // Prepare
    const { template, stack } = sample;

    // Act
    const topic = template.toJSON().Resources[logicalId(stack.rollout.approvalTopic)] as { Properties: Json };

    // Assess
    expect(topic.Properties.KmsMasterKeyId).toBe(`arn:aws:kms:${SAMPLE.region}:${SAMPLE.account}:alias/aws/sns`);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Effect: 'Deny',
            Principal: '*',
            Resource: { Ref: logicalId(stack.rollout.approvalTopic) },
            Sid: 'AllowPublishThroughSSLOnly',
          },
        ],
      },
    });
  });

  it('uses a given approval topic instead of creating one', () => {
    // Prepare
    const { stack } = emptyStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Approvals', `arn:aws:sns:${SAMPLE.region}:${SAMPLE.account}:approvals`);

    // Act
    const rollout = new CanaryRollout(stack, 'Rollout', validRolloutProps(stack, { approvalTopic: topic }));

    // Assess
    expect(rollout.approvalTopic).toBe(topic);
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('takes the cluster name and ARN from an ICluster', () => {
    // Prepare
    const { stack } = emptyStack();
    const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'shop' });

    // Act
    const rollout = new CanaryRollout(stack, 'Rollout', validRolloutProps(stack, { cluster: EksCluster.fromCluster(cluster) }));
    const template = Template.fromStack(stack);

    // Assess
    expect(rollout._targetConfig.workload.clusterName).toBe('shop');
    template.hasResourceProperties('AWS::EKS::AccessEntry', { ClusterName: 'shop' });
  });
});

describe('what a deployed rollout gives its operators', () => {
  let sample: ReturnType<typeof sharedSample>;
  /** Every option of this section set, in one stack synthesized once. */
  let full: { stack: Stack; rollout: CanaryRollout; template: Template };
  beforeAll(() => {
    sample = sharedSample();
    const { stack } = emptyStack();
    const rollout = new CanaryRollout(
      stack,
      'Rollout',
      validRolloutProps(stack, {
        stateMachineName: 'checkout-releases',
        eventBus: events.EventBus.fromEventBusName(stack, 'Bus', 'platform'),
        notificationTopic: sns.Topic.fromTopicArn(stack, 'People', `arn:aws:sns:${SAMPLE.region}:${SAMPLE.account}:checkout-people`),
        dashboard: true,
        outputs: false,
      }),
    );
    full = { stack, rollout, template: Template.fromStack(stack) };
  });

  it('names the state machine serinus-<service> by default, and as stateMachineName says', () => {
    // Assess
    sample.template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: `serinus-${SAMPLE.serviceName}` });
    full.template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'checkout-releases' });
  });

  it('outputs the state machine ARN and name, the approval topic and the discovery parameter', () => {
    // Prepare
    const { template, stack } = sample;
    const machine = logicalId(stack.rollout.stateMachine);

    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;

    // Assess
    const values = Object.values(outputs).map((o) => o.Value);
    expect(values).toEqual(
      expect.arrayContaining([
        { Ref: machine },
        { 'Fn::GetAtt': [machine, 'Name'] },
        { Ref: logicalId(stack.rollout.approvalTopic) },
        { Ref: logicalId(stack.rollout.discoveryParameter) },
      ]),
    );
    expect(Object.keys(outputs)).toHaveLength(4);
    expect(full.template.toJSON().Outputs).toBeUndefined();
  });

  it('writes the discovery parameter /serinus/services/<service> with the JSON the CLI reads', () => {
    // Prepare
    const { stack, template } = sample;
    const rollout = stack.rollout;
    const [parameter] = Object.values(template.findResources('AWS::SSM::Parameter')) as Array<{ Properties: { Name: string; Type: string; Value: unknown } }>;

    // Act
    const value = JSON.parse(joined(parameter!.Properties.Value)) as DiscoveryValue;

    // Assess
    expect(parameter!.Properties).toMatchObject({ Name: discoveryParameterName(SAMPLE.serviceName), Type: 'String' });
    expect(value).toEqual({
      schemaVersion: 1,
      service: SAMPLE.serviceName,
      stateMachineArn: `<${logicalId(rollout.stateMachine)}>`,
      stateMachineName: `<${logicalId(rollout.stateMachine)}.Name>`,
      tableName: `<${logicalId(rollout.engine.table)}>`,
      approvalTopicArn: `<${logicalId(rollout.approvalTopic)}>`,
      eventBusName: 'default',
      target: expect.objectContaining({ service: SAMPLE.serviceName, traffic: expect.objectContaining({ listenerArn: SAMPLE.listenerArn }) }),
    });
  });

  it('sends rollout events to the bus the props name, and each one as a sentence to the notification topic', () => {
    // Prepare
    const { template, rollout, stack } = full;

    // Act
    const target = stack.resolve(rollout._targetConfig) as Json;

    // Assess
    expect(target.eventBusName).toBe('platform');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'platform',
      EventPattern: { source: ['serinus'], detail: { service: [SAMPLE.serviceName] } },
      Targets: [
        Match.objectLike({
          Arn: `arn:aws:sns:${SAMPLE.region}:${SAMPLE.account}:checkout-people`,
          InputTransformer: { InputPathsMap: { 'detail-summary': '$.detail.summary' }, InputTemplate: '"<detail-summary>"' },
        }),
      ],
    });
    expect(sample.template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['serinus'] } } })).toEqual({});
  });

  it('creates a dashboard only when asked: weight, 5xx and p99 side by side, alarms, rollouts by result', () => {
    // Prepare
    const { template, rollout, stack } = full;
    sample.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);

    // Act
    const body = JSON.stringify(stack.resolve(template.toJSON().Resources[logicalId(rollout.dashboard!.dashboard)].Properties.DashboardBody));

    // Assess
    for (const expected of [
      '\\"Serinus\\",\\"CanaryWeight\\",\\"Service\\",\\"checkout\\"',
      'HTTPCode_Target_5XX_Count',
      'TargetResponseTime',
      'targetgroup/checkout-canary/',
      'targetgroup/checkout/',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsAborted',
      'ExecutionsTimedOut',
      '\\"alarms\\":[',
    ]) {
      expect(body).toContain(expected);
    }
  });
});
