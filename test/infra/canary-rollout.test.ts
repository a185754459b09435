import { Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { CanaryRollout } from '../../lib/canary-rollout';
import { EksCluster } from '../../lib/cluster';
import { SAMPLE, emptyStack, synthSample, validRolloutProps } from '../support/synth';

type Json = Record<string, unknown>;

function logicalId(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
}

describe('CanaryRollout', () => {
  let sample: ReturnType<typeof synthSample>;
  beforeAll(() => {
    sample = synthSample();
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
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.stringMatching(/^CheckoutExecutionLogs/), 'Arn'] } } }],
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
