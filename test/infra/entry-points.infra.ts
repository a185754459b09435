/**
 * The entry points, on the sample app's example stacks (bin/pipelines.ts), synthesized
 * once: the CodePipeline action (configuration, input path, the pipeline role's IAM), the release
 * train (schedule, role, dead-letter queue, the parameter grant), the definition's AlreadyRunning
 * path, and cdk-nag. Props that are refused are checked on small stacks of their own.
 */
import { Duration, TimeZone } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildEntryPointStacks } from '../../bin/serinus';
import type { SerinusPipelinesStack, SerinusReleaseTrainStack } from '../../bin/pipelines';
import { CanaryRollout } from '../../lib/canary-rollout';
import { rolloutPipelineAction } from '../../lib/pipeline-action';
import { ReleaseImage } from '../../lib/release-train';
import { emptyStack, newTestApp, validRolloutProps } from '../support/synth';

let pipelines: { stack: SerinusPipelinesStack; template: Template };
let train: { stack: SerinusReleaseTrainStack; template: Template };
let nagFindings: string[];

beforeAll(() => {
  const app = newTestApp({ nag: true });
  const stacks = buildEntryPointStacks(app);
  pipelines = { stack: stacks.pipelines, template: Template.fromStack(stacks.pipelines) };
  train = { stack: stacks.releaseTrain, template: Template.fromStack(stacks.releaseTrain) };
  nagFindings = new AwsSolutionsChecks()
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? ''}`));
}, 120_000);

const ref = (stack: SerinusPipelinesStack | SerinusReleaseTrainStack, construct: { node: { defaultChild?: unknown } }) =>
  ({ Ref: stack.getLogicalId(construct.node.defaultChild as never) });

/** The statements of the one policy attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(template: Template, rolePrefix: string): Array<Record<string, unknown>> {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref.startsWith(rolePrefix)),
  );
  expect(policies).toHaveLength(1);
  return policies[0]!.Properties.PolicyDocument.Statement;
}

describe('CanaryRollout.pipelineAction', () => {
  it('is the Step Functions invoke action on the rollout, its input a file of the artifact, with an execution-name prefix', () => {
    // Assess
    const { stack, template } = pipelines;
    const invoke = (stateMachine: unknown, input: string, artifact: string) => ({
      ActionTypeId: { Category: 'Invoke', Owner: 'AWS', Provider: 'StepFunctions', Version: '1' },
      Configuration: { StateMachineArn: stateMachine, InputType: 'FilePath', Input: `${artifact}::${input}`, ExecutionNamePrefix: 'codepipeline' },
      InputArtifacts: [{ Name: artifact }],
    });
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: [
        { Name: 'Source', Actions: [Match.objectLike({ ActionTypeId: Match.objectLike({ Provider: 'ECR' }), OutputArtifacts: [{ Name: 'OrdersImage' }] })] },
        { Name: 'Orders', Actions: [Match.objectLike(invoke(ref(stack, stack.orders.stateMachine), 'imageDetail.json', 'OrdersImage'))] },
        { Name: 'Approve', Actions: [Match.objectLike({ ActionTypeId: Match.objectLike({ Category: 'Approval' }) })] },
        { Name: 'OrdersAdmin', Actions: [Match.objectLike(invoke(ref(stack, stack.ordersAdmin.stateMachine), 'imageDetail.json', 'OrdersImage'))] },
      ],
    });
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([
        { Name: 'Payments', Actions: [Match.objectLike(invoke(ref(stack, stack.payments.stateMachine), 'rollout.json', 'PaymentsRollout'))] },
      ]),
    });
  });

  it("lets the action's role start only that state machine and describe only its executions with the prefix", () => {
    // Assess
    const { stack, template } = pipelines;
    const machine = ref(stack, stack.orders.stateMachine);
    const statements = statementsOf(template, 'OrdersReleaseOrdersCanaryRolloutCodePipelineActionRole');
    const states = statements.filter((s) => JSON.stringify(s.Action).includes('states:'));
    expect(states).toEqual([
      { Action: ['states:DescribeStateMachine', 'states:StartExecution'], Effect: 'Allow', Resource: machine },
      {
        Action: 'states:DescribeExecution',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { 'Fn::Select': [1, { 'Fn::Split': [':', machine] }] },
              ':states:',
              { 'Fn::Select': [3, { 'Fn::Split': [':', machine] }] },
              ':',
              { 'Fn::Select': [4, { 'Fn::Split': [':', machine] }] },
              ':execution:',
              { 'Fn::Select': [6, { 'Fn::Split': [':', machine] }] },
              ':codepipeline*',
            ],
          ],
        },
      },
    ]);
    // Besides, it only reads the input file from the artifact bucket.
    expect(statements.filter((s) => !states.includes(s))).toEqual([
      expect.objectContaining({ Action: ['s3:GetBucket*', 's3:GetObject*', 's3:List*'], Effect: 'Allow' }),
    ]);
  });

  it.each([
    [{ executionNamePrefix: 'x'.repeat(44) }, /executionNamePrefix must be 1–43 letters, digits, "-" or "_"/],
    [{ executionNamePrefix: 'release.1' }, /executionNamePrefix must be 1–43 letters/],
    [{ inputFile: '/rollout.json' }, /inputFile must be a path inside the input artifact/],
  ])('refuses %j', (options, message) => {
    // Prepare: the options are checked before anything is built, so any state machine will do.
    const { stack } = emptyStack();
    const stateMachine = sfn.StateMachine.fromStateMachineName(stack, 'Rollout', 'serinus-checkout');

    // Act
    const act = () => rolloutPipelineAction(stateMachine, { actionName: 'Deploy', input: new codepipeline.Artifact('Image'), ...options });

    // Assess
    expect(act).toThrow(message);
  });
});

describe('CanaryRollout releaseTrain', () => {
  it('creates a recurring schedule in its time zone, with a flexible window, retries and a dead-letter queue, sending the parameter input', () => {
    // Assess
    const { stack, template } = train;
    const queue = stack.getLogicalId(stack.search.releaseTrain!.deadLetterQueue.node.defaultChild as never);
    const role = stack.getLogicalId(stack.search.releaseTrain!.role.node.defaultChild as never);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 10 ? * TUE *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      State: 'ENABLED',
      Target: {
        Arn: ref(stack, stack.search.stateMachine),
        RoleArn: { 'Fn::GetAtt': [role, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        Input: JSON.stringify({ imageParameter: '/serinus/releases/search', reason: 'weekly release train' }),
      },
    });
  });

  it("gives the schedule's role states:StartExecution on that state machine only, plus sending to its dead-letter queue", () => {
    // Assess
    const { stack, template } = train;
    const queue = stack.getLogicalId(stack.search.releaseTrain!.deadLetterQueue.node.defaultChild as never);
    expect(statementsOf(template, 'SearchReleaseTrainRole')).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: ref(stack, stack.search.stateMachine) },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [queue, 'Arn'] } },
    ]);
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'serinus: EventBridge Scheduler starts a release train rollout',
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } },
        ],
      },
    });
  });

  it('keeps its dead letters in an encrypted queue that only accepts TLS', () => {
    // Assess
    const { stack, template } = train;
    const queue = stack.getLogicalId(stack.search.releaseTrain!.deadLetterQueue.node.defaultChild as never);
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: { AWS: '*' } }),
        ],
      },
    });
  });

  it('lets Validate read exactly that parameter, and names it in the target so no other can be read', () => {
    // Assess
    const { stack, template } = train;
    const ssm = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Action: unknown }>).filter((s) => JSON.stringify(s.Action).includes('ssm:')),
    );
    expect(ssm).toEqual([{ Action: 'ssm:GetParameter', Effect: 'Allow', Resource: 'arn:aws:ssm:eu-west-1:123456789012:parameter/serinus/releases/search' }]);
    expect(stack.search._targetConfig.imageParameters).toEqual(['/serinus/releases/search']);
  });

  it.each([
    [{ schedule: ScheduleExpression.at(new Date('2030-01-01T10:00:00Z')) }, /releaseTrain\.schedule must recur \(a cron or rate expression\)/],
    [{ image: ReleaseImage.of('registry.local/app:latest') }, /releaseTrain\.image "registry\.local\/app:latest" uses the tag "latest"/],
    [{ retryAttempts: 186 }, /releaseTrain\.retryAttempts must be an integer from 0 to 185, got 186/],
    [{ flexibleTimeWindow: Duration.hours(25) }, /releaseTrain\.flexibleTimeWindow must be whole minutes from 1 to 1440, got 1500 minutes/],
    [{ maxEventAge: Duration.seconds(30) }, /releaseTrain\.maxEventAge must be whole seconds from 1 minute to 24 hours, got 30 s/],
    [{ strategy: 'Canary0Percent5Minutes' }, /releaseTrain\.strategy /],
  ])('refuses %o', (override, message) => {
    // Prepare
    const { stack } = emptyStack();
    const releaseTrain = {
      schedule: ScheduleExpression.cron({ weekDay: 'TUE', hour: '10', minute: '0', timeZone: TimeZone.EUROPE_BERLIN }),
      image: ReleaseImage.of('registry.local/app:1.2.3'),
      ...override,
    };

    // Act
    const act = () => new CanaryRollout(stack, 'Rollout', validRolloutProps(stack, { releaseTrain }));

    // Assess
    expect(act).toThrow(message);
  });
});

describe('the definition', () => {
  const definitionOf = (template: Template) => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const body = machine!.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
    // Tokens (function ARNs) become placeholders; the states' shape is what is checked.
    const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '"TOKEN"')).join('');
    return JSON.parse(text.replace(/""TOKEN""/g, '"TOKEN"').replace(/"TOKEN"(?=[^,}\]])/g, 'TOKEN')) as { States: Record<string, Record<string, unknown>> };
  };

  it('ends a release that is already running in a success carrying the message, straight after Validate', () => {
    // Act
    const { States } = definitionOf(train.template);

    // Assess
    expect(States['AlreadyRunning']).toEqual({ Type: 'Succeed', OutputPath: '$.rollout.alreadyRunning' });
    expect((States['DryRun?']!.Choices as unknown[])[0]).toEqual({ Variable: '$.rollout.alreadyRunning', IsPresent: true, Next: 'AlreadyRunning' });
  });

  it('gives every Fail state a cause, which CodePipeline shows when it fails the action', () => {
    // Act
    const { States } = definitionOf(train.template);

    // Assess
    const fails = Object.entries(States).filter(([, state]) => state.Type === 'Fail');
    expect(fails.length).toBeGreaterThan(0);
    for (const [, state] of fails) {
      expect(state.Cause ?? state.CausePath).toEqual(expect.any(String));
      expect(state.Error ?? state.ErrorPath).toEqual(expect.any(String));
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the pipeline and release-train stacks', () => {
    // Assess
    expect(nagFindings).toEqual([]);
  });
});
