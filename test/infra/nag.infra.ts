import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { CfnResource, Stack, Validations, type App } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
// Not re-exported from cdk-nag's root, but the function cdk-nag names findings with.
import { flattenCfnReference as nagFlatten } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';
import { flattenCfnReference } from '../../lib/acknowledgements';
import { CanaryRollout } from '../../lib/canary-rollout';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LifecycleHook } from '../../lib/hooks';
import { DeploymentWindow } from '../../lib/windows';
import { OTHER, SAMPLE, newTestApp, sampleStack, sharedSample, validRolloutProps } from '../support/synth';

interface Finding {
  readonly rule: string;
  readonly path: string;
}

function findings(app: App): Finding[] {
  return new AwsSolutionsChecks()
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })));
}

/** The sample stack plus a rollout on a rule whose Kubernetes functions run in a VPC. */
function sampleWithVpcRollout(): { app: App; stack: Stack } {
  const { app, stack } = sampleStack({ nag: true });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, restrictDefaultSecurityGroup: false });
  // With a deployment window and lifecycle hooks: their grants are acknowledged like the engine's.
  const smokeTest = lambda.Function.fromFunctionName(stack, 'SmokeTest', 'payments-smoke-test');
  new CanaryRollout(
    stack,
    'Payments',
    validRolloutProps(stack, {
      serviceName: 'payments',
      listenerRuleArn: OTHER.ruleArn,
      // Its rule pattern (AddTags, DeleteRule) is acknowledged like the engine's patterns.
      testerRoute: { headerName: 'x-canary', headerValue: 'always' },
      vpc,
      windows: [DeploymentWindow.of('MON-FRI 09:00-17:00 Europe/Berlin')],
      hooks: { beforeTraffic: LifecycleHook.invoke(smokeTest), beforePromote: LifecycleHook.withTaskToken(smokeTest) },
    }),
  );
  return { app, stack };
}

describe('cdk-nag AwsSolutions', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('finds nothing unacknowledged in the sample app', () => {
    // Prepare: the sample the other tests of the file read; the checks walk its construct tree.
    const { app } = sharedSample();

    // Act
    const unacknowledged = findings(app);

    // Assess
    expect(unacknowledged).toEqual([]);
  });

  it('lets the sample app synthesize with the checks and CloudFormation validation on, with no error or warning annotation', () => {
    // Prepare
    const { app, stack } = sampleStack({ nag: true, cfnValidation: true });

    // Act
    app.synth();

    // Assess
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('finds nothing unacknowledged with a rule rollout whose functions run in a VPC', () => {
    // Prepare
    const { app } = sampleWithVpcRollout();

    // Act
    const unacknowledged = findings(app).filter((f) => !f.path.includes('/Vpc/'));

    // Assess
    expect(unacknowledged).toEqual([]);
  });

  it('acknowledges exactly what it finds, each with a reason, on the finding resource or an ancestor', () => {
    // Prepare: record every acknowledgment instead of applying it, so the checks report them all.
    const acknowledged: { path: string; id: string; reason: string }[] = [];
    jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (this: Validations, ...rules) {
      // `scope` is the construct Validations.of() was called on.
      const scope = (this as unknown as { scope: IConstruct }).scope;
      const ours = rules.filter((rule) => rule.id.startsWith('AwsSolutions-'));
      acknowledged.push(...ours.map((rule) => ({ path: scope.node.path, id: rule.id, reason: rule.reason })));
    });
    const { app } = sampleWithVpcRollout();

    // Act
    const all = findings(app).filter((f) => !f.path.includes('/Vpc/'));

    // Assess
    expect(acknowledged.length).toBeGreaterThan(0);
    const covers = (ack: { path: string; id: string }, finding: Finding) =>
      ack.id === finding.rule && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`));
    expect(all.filter((finding) => !acknowledged.some((ack) => covers(ack, finding)))).toEqual([]);
    expect(acknowledged.filter((ack) => !all.some((finding) => covers(ack, finding)))).toEqual([]);
    for (const ack of acknowledged) {
      expect(ack.reason.length).toBeGreaterThan(60);
    }
  });

  it('names a resource in an acknowledgment as cdk-nag names it in a finding, without loading cdk-nag', () => {
    // Prepare
    const references: unknown[] = [
      '*',
      'arn:${AWS::Partition}:states:*',
      { Ref: 'Table' },
      { 'Fn::GetAtt': ['Role', 'Arn'] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:eu-west-1:123456789012:schedule/', { Ref: 'Group' }, '/*']] },
      { 'Fn::Sub': '${Fn.Arn}:*' },
      { 'Fn::ImportValue': 'Shared' },
      { 'Fn::Select': [0, ['a']] },
    ];

    // Act & Assess
    expect(references.map(flattenCfnReference)).toEqual(references.map(nagFlatten));
  });
});

/**
 * After the sample's synth with the validation on (above): aws-cdk-lib builds the validation engine
 * once per process (about 3.5 s of CPU), and builds it again only for a template with a resource
 * type it was not built for. This stack's one type is among the sample's.
 */
describe('CloudFormation template validation', () => {
  it('fails synthesis on a malformed resource, as cdk.json turns its findings into errors', () => {
    // Prepare: an app with cdk.json's context, as the sample's; the malformed resource is its stack's only one.
    const app = newTestApp({ cfnValidation: true });
    const stack = new Stack(app, 'Malformed', { env: { account: SAMPLE.account, region: SAMPLE.region } });
    new CfnResource(stack, 'Malformed', { type: 'AWS::SQS::Queue', properties: { MessageRetentionPeriod: 'two weeks' } });

    // Act
    const act = () => app.synth();

    // Assess
    expect(act).toThrow(/ERROR MessageRetentionPeriod: 'two weeks' is not of type 'integer' \(CloudFormation Validate\)/);
  });
});
