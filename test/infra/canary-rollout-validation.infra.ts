import { App, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SAMPLE_CONTEXT_KEY, SampleConfigError, buildSampleStack } from '../../bin/serinus';
import { FIXTURE_CONFIG, fixtureContext } from '../../local/sample-config';
import { CanaryRollout, type CanaryRolloutProps } from '../../lib/canary-rollout';
import { EksCluster } from '../../lib/cluster';
import { Approval, OnDrift } from '../../lib/policies';
import { ValidationFailedError } from '../../lambda/errors';
import { type AlbOverrides, OTHER, OUTDIR, SAMPLE, emptyStack, newTestApp, validRolloutProps } from '../support/synth';

/** Builds a rollout from valid props with `overrides` applied. */
function build(overrides: (stack: Stack) => Partial<CanaryRolloutProps> & AlbOverrides, existing?: Stack): () => CanaryRollout {
  const stack = existing ?? emptyStack().stack;
  return () => new CanaryRollout(stack, `Rollout${stack.node.children.length}`, validRolloutProps(stack, overrides(stack)));
}

describe('CanaryRollout props validation', () => {
  it('accepts the sample configuration', () => {
    // Prepare
    const act = build(() => ({}));

    // Act / Assess
    expect(act).not.toThrow();
  });

  it('throws a ValidationFailedError that names the construct', () => {
    // Prepare
    const act = build(() => ({ serviceName: 'bad name' }));

    // Act / Assess
    expect(act).toThrow(ValidationFailedError);
    expect(act).toThrow(/^CanaryRollout Test\/Rollout\d+: serviceName/);
  });

  it('collects every problem and throws once', () => {
    // Prepare
    const act = build(() => ({ serviceName: 'bad name', containers: [], canaryReplicas: 0 }));

    // Act
    let caught: unknown;
    try {
      act();
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(ValidationFailedError);
    expect((caught as ValidationFailedError).problems).toEqual([
      expect.stringMatching(/serviceName must be/),
      expect.stringMatching(/containers must name at least one container/),
      expect.stringMatching(/canaryReplicas must be an integer of at least 1, got 0/),
    ]);
  });

  it('takes the listener from a listener construct as from its ARN', () => {
    // Prepare
    const fromConstruct = build((stack) => ({
      listener: elbv2.ApplicationListener.fromApplicationListenerAttributes(stack, 'Listener', {
        listenerArn: SAMPLE.listenerArn,
        securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'ListenerSg', 'sg-0123456789abcdef0'),
      }),
    }));

    // Act
    const rollout = fromConstruct();

    // Assess
    expect(rollout.trafficKey).toBe(SAMPLE.listenerArn);
  });

  it('requires an ALB listener ARN', () => {
    // Prepare
    const act = build(() => ({ listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/x/1/2' }));

    // Act & Assess
    expect(act).toThrow(/routing: the listener must be an Application Load Balancer listener ARN/);
  });

  it('requires a listener rule ARN for listenerRuleArn', () => {
    // Prepare
    const act = build(() => ({ listenerRuleArn: SAMPLE.listenerArn }));

    // Act & Assess
    expect(act).toThrow(/routing: the rule must be an ALB listener rule ARN/);
  });

  it("requires the rule to belong to the rollout's listener", () => {
    // Prepare
    const act = build(() => ({
      listenerRuleArn:
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/other/0000000000000001/0000000000000002/0000000000000003',
    }));

    // Act & Assess
    expect(act).toThrow(/routing: the rule must be a rule of the listener/);
  });

  it('requires different stable and canary target groups', () => {
    // Prepare
    const sameArn = build((stack) => ({
      canaryTargetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'SameAsStable', {
        targetGroupArn: SAMPLE.stableTargetGroupArn,
      }),
    }));

    // Act & Assess
    expect(sameArn).toThrow(/routing: canary and stable must be different target groups/);
  });

  it('refuses a second rollout on the same listener in one stack', () => {
    // Prepare
    const { stack } = emptyStack();
    build(() => ({}), stack)();

    // Act
    const second = build(() => ({ namespace: 'other' }), stack);

    // Assess
    expect(second).toThrow(/is already steered by CanaryRollout Test\/Rollout\d+; one rollout per traffic target/);
  });

  it('allows a second rollout on a rule of the same listener', () => {
    // Prepare
    const { stack } = emptyStack();
    build(() => ({}), stack)();

    // Act
    const onRule = build(
      (s) => ({
        serviceName: 'payments',
        listenerRuleArn: OTHER.ruleArn,
        stableTargetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(s, 'PaymentsStable', {
          targetGroupArn: OTHER.stableTargetGroupArn,
        }),
        canaryTargetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(s, 'PaymentsCanary', {
          targetGroupArn: OTHER.canaryTargetGroupArn,
        }),
      }),
      stack,
    );

    // Assess
    expect(onRule).not.toThrow();
  });

  it('requires a service name of letters, digits, "-" and "_"', () => {
    // Act & Assess
    expect(build(() => ({ serviceName: 'check out' }))).toThrow(/serviceName must be 1–63 letters, digits/);
    expect(build(() => ({ serviceName: 'x'.repeat(64) }))).toThrow(/serviceName must be 1–63 letters, digits/);
  });

  it('refuses a choice outside its enum, as a JavaScript caller may pass one', () => {
    // Act & Assess
    expect(build(() => ({ approval: 'always' as Approval }))).toThrow(
      /approval must be one of "none", "beforeTraffic", "beforePromote", "everyStep", got "always"/,
    );
    expect(build(() => ({ onDrift: 'ignore' as OnDrift }))).toThrow(/onDrift must be one of "revert", "adopt", got "ignore"/);
  });

  it('requires an EKS cluster name', () => {
    // Act & Assess
    expect(build(() => ({ cluster: EksCluster.fromName('-shop') }))).toThrow(/cluster must be an EKS cluster name/);
  });

  it('requires a namespace that is an RFC 1123 label (no dots, at most 63 characters)', () => {
    // Act & Assess
    expect(build(() => ({ namespace: 'Checkout' }))).toThrow(/namespace must be a Kubernetes namespace name \(RFC 1123 label/);
    expect(build(() => ({ namespace: 'shop.checkout' }))).toThrow(/namespace must be a Kubernetes namespace name/);
    expect(build(() => ({ namespace: 'n'.repeat(64) }))).toThrow(/namespace must be a Kubernetes namespace name/);
    expect(build(() => ({ namespace: 'n'.repeat(63) }))).not.toThrow();
  });

  it('requires Deployment names that are RFC 1123 subdomains (dot-separated labels)', () => {
    // Act & Assess
    expect(build(() => ({ stableDeployment: 'app_v1' }))).toThrow(/stableDeployment must be a Kubernetes Deployment name \(RFC 1123 subdomain/);
    expect(build(() => ({ canaryDeployment: 'app-' }))).toThrow(/canaryDeployment must be a Kubernetes Deployment name/);
    expect(build(() => ({ canaryDeployment: 'app.-canary' }))).toThrow(/canaryDeployment must be a Kubernetes Deployment name/);
    expect(build(() => ({ canaryDeployment: 'checkout.canary' }))).not.toThrow();
  });

  it('requires different stable and canary Deployments', () => {
    // Prepare
    const act = build(() => ({ canaryDeployment: SAMPLE.stableDeployment }));

    // Act & Assess
    expect(act).toThrow(/canaryDeployment and stableDeployment must be different Deployments/);
  });

  it('requires at least one container', () => {
    // Act & Assess
    expect(build(() => ({ containers: [] }))).toThrow(/containers must name at least one container/);
  });

  it('requires distinct, non-empty container names', () => {
    // Act & Assess
    expect(build(() => ({ containers: ['app', 'app'] }))).toThrow(/containers must be non-empty, distinct names/);
    expect(build(() => ({ containers: ['app', ''] }))).toThrow(/containers must be non-empty, distinct names/);
  });

  it('requires canaryReplicas to be an integer of at least 1', () => {
    // Act & Assess
    expect(build(() => ({ canaryReplicas: 0 }))).toThrow(/canaryReplicas must be an integer of at least 1, got 0/);
    expect(build(() => ({ canaryReplicas: 1.5 }))).toThrow(/canaryReplicas must be an integer of at least 1, got 1.5/);
  });

  it('refuses a rollout with no health signal', () => {
    // Prepare
    const act = build(() => ({ alarms: [], managedAlarms: undefined }));

    // Act & Assess
    expect(act).toThrow(/a rollout needs a health signal: give alarms, managedAlarms or both/);
  });

  it('accepts managed alarms as the only health signal', () => {
    // Act & Assess
    expect(build(() => ({ alarms: undefined, managedAlarms: {} }))).not.toThrow();
  });

  it('reports unusable managed alarm options', () => {
    // Prepare
    const act = build(() => ({ managedAlarms: { errorRateThresholdPercent: 0 } }));

    // Act & Assess
    expect(act).toThrow(/managedAlarms.errorRateThresholdPercent must be above 0 and below 100, got 0/);
  });

  it('requires durations in whole seconds', () => {
    // Prepare
    const act = build(() => ({ settleTime: Duration.millis(1500) }));

    // Act & Assess
    expect(act).toThrow(/durations must be whole seconds: settleTime is 1.5 s/);
  });

  it('requires readyTimeout, pollInterval and approvalTimeout of at least a second', () => {
    // Prepare
    const act = build(() => ({ pollInterval: Duration.seconds(0) }));

    // Act & Assess
    expect(act).toThrow(/readyTimeout, pollInterval and approvalTimeout must each be at least 1 second/);
  });

  it('requires pollInterval and settleTime shorter than readyTimeout', () => {
    // Prepare
    const act = build(() => ({ readyTimeout: Duration.seconds(30), settleTime: Duration.seconds(30) }));

    // Act & Assess
    expect(act).toThrow(/pollInterval \(10 s\) and settleTime \(30 s\) must each be shorter than readyTimeout \(30 s\)/);
  });

  it("requires maxRolloutDuration within a Standard execution's year and above approvalTimeout", () => {
    // Act & Assess
    expect(build(() => ({ maxRolloutDuration: Duration.days(366) }))).toThrow(
      /maxRolloutDuration \(31622400 s\) must be at most 365 days/,
    );
    expect(build(() => ({ maxRolloutDuration: Duration.hours(2), approvalTimeout: Duration.hours(2) }))).toThrow(
      /must be at most 365 days \(a Standard execution's limit\) and longer than approvalTimeout \(7200 s\)/,
    );
  });

  it('requires a strategy preset that parses', () => {
    // Prepare
    const act = build(() => ({ strategy: 'Canary10Percent' }));

    // Act & Assess
    expect(act).toThrow(/strategy "Canary10Percent" is not a known preset/);
  });

  it('requires maxRolloutDuration to cover the worst case of the default strategy', () => {
    // Prepare
    // 60 minutes of bakes alone exceed one hour.
    const act = build(() => ({ strategy: 'Linear10PercentEvery6Minutes', maxRolloutDuration: Duration.hours(1) }));

    // Act & Assess
    expect(act).toThrow(/maxRolloutDuration \(3600 s\) is shorter than the worst case of strategy Linear10PercentEvery6Minutes/);
  });

  it('counts approval timeouts in the worst case', () => {
    // Prepare
    // The plan's own bound is about 40 minutes; a gate before promotion may wait 2 hours more.
    const withoutGate = build(() => ({ maxRolloutDuration: Duration.minutes(150), approvalTimeout: Duration.hours(2) }));
    const withGate = build(() => ({
      maxRolloutDuration: Duration.minutes(150),
      approvalTimeout: Duration.hours(2),
      approval: Approval.BEFORE_PROMOTE,
    }));

    // Act & Assess
    expect(withoutGate).not.toThrow();
    expect(withGate).toThrow(/is shorter than the worst case of strategy Canary10Percent5Minutes/);
  });

  it('skips the literal checks for tokens', () => {
    // Prepare
    const act = build(() => ({
      serviceName: Fn.importValue('ServiceName'),
      listenerArn: Fn.importValue('ListenerArn'),
      namespace: Fn.importValue('Namespace'),
      cluster: EksCluster.fromName(Fn.importValue('ClusterName')),
    }));

    // Act & Assess
    expect(act).not.toThrow();
  });
});

describe('synth-time checks of ARNs, Kubernetes names and enums', () => {
  const elsewhere = (arn: string, region: string, account: string) => arn.replace(`:${SAMPLE.region}:`, `:${region}:`).replace(`:${SAMPLE.account}:`, `:${account}:`);

  it("refuses an ARN of another region than the stack's", () => {
    // Prepare
    const act = build(() => ({ listenerArn: elsewhere(SAMPLE.listenerArn, 'us-east-1', SAMPLE.account) }));

    // Act & Assess
    expect(act).toThrow(/routing.listener is in region "us-east-1", but the stack deploys to "eu-west-1"/);
  });

  it("refuses an ARN of another account than the stack's", () => {
    // Prepare
    const act = build((stack) => ({
      canaryTargetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'Foreign', {
        targetGroupArn: elsewhere(SAMPLE.canaryTargetGroupArn, SAMPLE.region, '210987654321'),
      }),
    }));

    // Act & Assess
    expect(act).toThrow(/routing.canary is in account "210987654321", but the stack deploys to "123456789012"/);
  });

  it('refuses an ARN of the wrong resource type', () => {
    // Prepare
    const act = build((stack) => ({
      stableTargetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'NotATargetGroup', { targetGroupArn: SAMPLE.listenerArn }),
      approvalTopic: sns.Topic.fromTopicArn(stack, 'NotATopic', `arn:aws:sqs:${SAMPLE.region}:${SAMPLE.account}:approvals`),
    }));

    // Act
    const problems = (() => {
      try {
        act();
        return [];
      } catch (error) {
        return (error as ValidationFailedError).problems;
      }
    })();

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(/routing.stable must be the ARN of a target group \(elasticloadbalancing:…:targetgroup\/…\)/),
      expect.stringMatching(/approvalTopic must be the ARN of an SNS topic/),
    ]);
  });

  it('judges no region or account in an environment-agnostic stack', () => {
    // Prepare
    const stack = new Stack(newTestApp(), 'Agnostic');
    const act = build(() => ({ listenerArn: elsewhere(SAMPLE.listenerArn, 'us-east-1', '210987654321') }), stack);

    // Act & Assess
    expect(act).not.toThrow();
  });

  it.each([
    ['approval', 'beforePromotion', /approval must be one of "none", "beforeTraffic", "beforePromote", "everyStep", got "beforePromotion" \(did you mean "beforePromote"\?\)/],
    ['insufficientData', 'Healthy!', /insufficientData must be one of "healthy", "unhealthy", got "Healthy!" \(did you mean "healthy"\?\)/],
    ['afterPromotion', 'keep', /afterPromotion must be one of "scaleCanaryToZero", "keepCanary", got "keep"$/m],
    ['onDrift', 'adopted', /onDrift must be one of "revert", "adopt", got "adopted" \(did you mean "adopt"\?\)/],
  ])('refuses an unknown %s value from a JavaScript caller, with a did-you-mean hint', (key, value, message) => {
    // Prepare
    const act = build(() => ({ [key]: value }) as Partial<CanaryRolloutProps>);

    // Act & Assess
    expect(act).toThrow(message);
  });

  it('refuses a state machine name Step Functions would refuse', () => {
    // Act & Assess
    expect(build(() => ({ stateMachineName: 'checkout releases' }))).toThrow(/stateMachineName must be 1–80 letters, digits, "-" or "_"/);
  });

  it('prints every problem on a line of its own', () => {
    // Prepare
    const act = build(() => ({ namespace: 'Shop', approval: 'always' as never }));

    // Act
    const message = (() => {
      try {
        act();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();

    // Assess
    expect(message.split('\n')).toEqual([
      expect.stringMatching(/^CanaryRollout Test\/Rollout\d+: namespace must be a Kubernetes namespace name/),
      expect.stringMatching(/^CanaryRollout Test\/Rollout\d+: approval must be one of/),
    ]);
  });
});

describe('the sample app reports its problems in cdk.json key names', () => {
  const appWith = (config: Record<string, unknown>) => () =>
    buildSampleStack(
      new App({
        outdir: OUTDIR,
        context: { ...fixtureContext(), 'aws:cdk:bundling-stacks': [], 'aws:cdk:disable-asset-staging': true, [SAMPLE_CONTEXT_KEY]: config },
      }),
    );

  it("is not the tests' fixture: the tests and the sandbox synthesize local/sample-config.ts, whatever cdk.json says", () => {
    // Act
    const context = fixtureContext();

    // Assess
    expect(context[SAMPLE_CONTEXT_KEY]).toBe(FIXTURE_CONFIG);
    expect(SAMPLE).toMatchObject(FIXTURE_CONFIG);
  });

  it('names its stack after the service', () => {
    // Act
    const stack = appWith({ ...FIXTURE_CONFIG, serviceName: 'payments' })();

    // Assess
    expect(stack.stackName).toBe('serinus-payments');
  });

  it('hints at the key meant for an unknown one, one problem a line', () => {
    // Act & Assess
    expect(appWith({ ...FIXTURE_CONFIG, clustername: 'shop', vpc: { vpcID: 'vpc-1' } })).toThrow(
      /^ {2}- clustername: unknown key \(did you mean "clusterName"\?\)$/m,
    );
    expect(appWith({ ...FIXTURE_CONFIG, vpc: { vpcID: 'vpc-1', availabilityZones: ['a'], privateSubnetIds: ['s'] } })).toThrow(
      /vpc\.vpcID: unknown key \(did you mean "vpcId"\?\)/,
    );
  });

  it("names the construct's problems with the key the user wrote, not the prop", () => {
    // Prepare
    const act = appWith({ ...FIXTURE_CONFIG, clusterName: '-shop', approval: 'beforePromotion', stableTargetGroupArn: SAMPLE.listenerArn });

    // Act & Assess
    expect(act).toThrow(SampleConfigError);
    expect(act).toThrow(/^ {2}- clusterName: must be an EKS cluster name/m);
    expect(act).toThrow(/^ {2}- stableTargetGroupArn: must be the ARN of a target group/m);
    expect(act).toThrow(/^ {2}- approval: must be one of .* \(did you mean "beforePromote"\?\)/m);
  });
});
