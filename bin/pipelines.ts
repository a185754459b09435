/**
 * Entry points of the sample app: two CodePipeline pipelines that roll out through serinus
 * (`SerinusPipelines`) and a weekly release train (`SerinusReleaseTrain`). Like the checkout sample,
 * they name existing resources (listener, target groups, cluster, alarms, repository, connection,
 * parameter) by ARN and name only, so they synthesize without an AWS account.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { CanaryRollout, type CanaryRolloutProps } from '../lib/canary-rollout';
import { EksCluster } from '../lib/cluster';
import { TrafficRouting } from '../lib/routing';
import { acknowledgeRule, acknowledgeWildcardResources } from '../lib/acknowledgements';
import { ReleaseImage } from '../lib/release-train';

/** Where the example services run: the sample's account, region, listener and cluster. */
export interface ShopProps extends StackProps {
  /** The ALB listener; each example service is steered on a rule of it. */
  readonly listenerArn: string;
  readonly clusterName: string;
}

/** One example service on its own listener rule, target groups and namespace. */
interface ExampleService {
  readonly name: string;
  /** The last part of the listener rule ARN. */
  readonly ruleId: string;
  readonly stableTargetGroupId: string;
  readonly canaryTargetGroupId: string;
  readonly namespace: string;
}

function exampleRollout(stack: Stack, props: ShopProps, service: ExampleService, extra: Partial<CanaryRolloutProps> = {}): CanaryRollout {
  const targetGroup = (id: string, name: string, hex: string) =>
    elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, id, {
      targetGroupArn: `arn:aws:elasticloadbalancing:${stack.region}:${stack.account}:targetgroup/${name}/${hex}`,
    });
  const pascal = service.name.replace(/(^|-)(\w)/g, (_, _dash: string, c: string) => c.toUpperCase());
  return new CanaryRollout(stack, pascal, {
    serviceName: service.name,
    routing: TrafficRouting.albRuleArn(props.listenerArn, `${props.listenerArn.replace(':listener/', ':listener-rule/')}/${service.ruleId}`, {
      stable: targetGroup(`${pascal}Stable`, service.name, service.stableTargetGroupId),
      canary: targetGroup(`${pascal}Canary`, `${service.name}-canary`, service.canaryTargetGroupId),
    }),
    cluster: EksCluster.fromName(props.clusterName),
    namespace: service.namespace,
    stableDeployment: service.name,
    canaryDeployment: `${service.name}-canary`,
    containers: ['app'],
    alarms: [cloudwatch.Alarm.fromAlarmName(stack, `${pascal}Availability`, `${service.name}-availability`)],
    ...extra,
  });
}

/**
 * Two pipelines:
 * - `OrdersRelease`: an image pushed to the `orders` ECR repository → canary rollout of `orders`
 *   → manual approval → rollout of `orders-admin` (the same image). The ECR source action's
 *   `imageDetail.json` is the execution input, with no build step in between.
 * - `PaymentsBuild`: a GitHub source → CodeBuild builds and pushes the image and writes
 *   `rollout.json` → rollout of `payments`.
 */
export class SerinusPipelinesStack extends Stack {
  readonly orders: CanaryRollout;
  readonly ordersAdmin: CanaryRollout;
  readonly payments: CanaryRollout;
  readonly ordersRelease: codepipeline.Pipeline;
  readonly paymentsBuild: codepipeline.Pipeline;

  constructor(scope: Construct, id: string, props: ShopProps) {
    super(scope, id, props);
    this.orders = exampleRollout(this, props, {
      name: 'orders', ruleId: '1f0e2d3c4b5a6978', stableTargetGroupId: '3c9d2e1f0a4b5c6d', canaryTargetGroupId: '7a8b9c0d1e2f3a4b', namespace: 'orders',
    });
    this.ordersAdmin = exampleRollout(this, props, {
      name: 'orders-admin', ruleId: '2a1b0c9d8e7f6a5b', stableTargetGroupId: '4d5e6f708192a3b4', canaryTargetGroupId: '5e6f708192a3b4c5', namespace: 'orders',
    });
    this.payments = exampleRollout(this, props, {
      name: 'payments', ruleId: '3b2c1d0e9f8a7b6c', stableTargetGroupId: '8a1f4b2c3d4e5f60', canaryTargetGroupId: '0f1e2d3c4b5a6978', namespace: 'payments',
    });

    const artifactBucket = this.artifactBucket();

    // ECR source → orders (canary) → approval → orders-admin.
    const image = new codepipeline.Artifact('OrdersImage');
    this.ordersRelease = new codepipeline.Pipeline(this, 'OrdersRelease', {
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket,
      stages: [
        {
          stageName: 'Source',
          actions: [
            new actions.EcrSourceAction({
              actionName: 'Image',
              repository: ecr.Repository.fromRepositoryName(this, 'OrdersRepository', 'orders'),
              imageTag: 'release',
              output: image,
            }),
          ],
        },
        // The input is the imageDetail.json the source action wrote: {"ImageURI": "…@sha256:…"}.
        { stageName: 'Orders', actions: [this.orders.pipelineAction({ actionName: 'CanaryRollout', input: image })] },
        // Optional: leave this stage out to go on to orders-admin once orders is promoted.
        { stageName: 'Approve', actions: [new actions.ManualApprovalAction({ actionName: 'PromoteToAdmin' })] },
        { stageName: 'OrdersAdmin', actions: [this.ordersAdmin.pipelineAction({ actionName: 'CanaryRollout', input: image })] },
      ],
    });

    // GitHub source → CodeBuild (image + rollout.json) → payments.
    const source = new codepipeline.Artifact('PaymentsSource');
    const built = new codepipeline.Artifact('PaymentsRollout');
    this.paymentsBuild = new codepipeline.Pipeline(this, 'PaymentsBuild', {
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket,
      stages: [
        {
          stageName: 'Source',
          actions: [
            new actions.CodeStarConnectionsSourceAction({
              actionName: 'GitHub',
              connectionArn: `arn:aws:codeconnections:${this.region}:${this.account}:connection/5f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`,
              owner: 'example-shop',
              repo: 'payments',
              branch: 'main',
              output: source,
            }),
          ],
        },
        { stageName: 'Build', actions: [new actions.CodeBuildAction({ actionName: 'Image', project: this.imageBuild('payments', artifactBucket), input: source, outputs: [built] })] },
        // The build wrote rollout.json: the normal execution input, e.g. {"image": "…@sha256:…", "reason": "commit …"}.
        { stageName: 'Payments', actions: [this.payments.pipelineAction({ actionName: 'CanaryRollout', input: built, inputFile: 'rollout.json' })] },
      ],
    });
    for (const pipeline of [this.ordersRelease, this.paymentsBuild]) acknowledgeArtifactGrants(pipeline, artifactBucket);
  }

  /** One artifact bucket for both pipelines, with its access logged to a second bucket. */
  private artifactBucket(): s3.Bucket {
    const secure = {
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    const accessLogs = new s3.Bucket(this, 'ArtifactAccessLogs', { ...secure, objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED });
    acknowledgeRule(accessLogs, 'S1', 'This bucket receives the server access logs of the artifact bucket; logging it into itself would log its own log writes.');
    return new s3.Bucket(this, 'Artifacts', { ...secure, serverAccessLogsBucket: accessLogs, serverAccessLogsPrefix: 'artifacts/' });
  }

  /** Builds the service's image, pushes it to its ECR repository and writes rollout.json with its digest. */
  private imageBuild(service: string, artifactBucket: s3.IBucket): codebuild.PipelineProject {
    const repository = ecr.Repository.fromRepositoryName(this, `${service}Repository`, service);
    const project = new codebuild.PipelineProject(this, `${service}ImageBuild`, {
      description: `Builds the ${service} image and writes the serinus rollout input`,
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, privileged: true },
      // CodeBuild encrypts its artifacts with the AWS-managed S3 key instead of a key of its own.
      encryptionKey: kms.Alias.fromAliasName(this, `${service}BuildKey`, 'alias/aws/s3'),
      timeout: Duration.minutes(30),
      environmentVariables: { REPOSITORY_URI: { value: repository.repositoryUri } },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          pre_build: { commands: ['aws ecr get-login-password | docker login --username AWS --password-stdin "${REPOSITORY_URI%%/*}"'] },
          build: {
            commands: [
              'docker build -t "$REPOSITORY_URI:$CODEBUILD_RESOLVED_SOURCE_VERSION" .',
              'docker push "$REPOSITORY_URI:$CODEBUILD_RESOLVED_SOURCE_VERSION"',
              'DIGEST=$(docker inspect --format "{{index .RepoDigests 0}}" "$REPOSITORY_URI:$CODEBUILD_RESOLVED_SOURCE_VERSION")',
              'printf \'{"image": "%s", "reason": "commit %s"}\' "$DIGEST" "$CODEBUILD_RESOLVED_SOURCE_VERSION" > rollout.json',
            ],
          },
        },
        artifacts: { files: ['rollout.json'] },
      }),
    });
    repository.grantPullPush(project);
    acknowledgeRule(project, 'CB3', 'The build runs docker build and docker push, which need privileged mode in CodeBuild.');
    acknowledgeArtifactGrants(project, artifactBucket);
    acknowledgeRule(project, 'IAM5[Resource::*]', 'ecr:GetAuthorizationToken has no resource-level permissions; push and pull are granted on the one repository.');
    acknowledgeWildcardResources(
      project,
      [
        this.formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws/codebuild/${project.projectName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        this.formatArn({ service: 'codebuild', resource: 'report-group', resourceName: `${project.projectName}-*` }),
      ],
      "CodeBuild's own grants: the project's log streams and report groups are named at run time under the project's name.",
    );
    const managedKey = 'The AWS-managed S3 key is named by its alias, whose key ID is unknown at synth, so CodeBuild grants its use on the keys of this account and region.';
    acknowledgeWildcardResources(project, [this.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })], managedKey);
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) acknowledgeRule(project, `IAM5[Action::${action}]`, managedKey);
    return project;
  }
}

/**
 * CodePipeline's and CodeBuild's grants on the artifact bucket use action patterns (Bucket.grantReadWrite)
 * and name the bucket's objects, whose keys CodePipeline chooses per execution.
 */
function acknowledgeArtifactGrants(scope: Construct, bucket: s3.IBucket): void {
  const reason = "CodePipeline and CodeBuild read and write pipeline artifacts with Bucket.grantReadWrite's action patterns, on the one artifact bucket.";
  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
    acknowledgeRule(scope, `IAM5[Action::${action}]`, reason);
  }
  acknowledgeWildcardResources(scope, [bucket.arnForObjects('*')], 'Artifact object keys are chosen by CodePipeline per pipeline execution; the grant names the objects of the one artifact bucket.');
}

/**
 * `search` ships on a weekly release train: every Tuesday at 10:00 Berlin time (a 15-minute window),
 * the image the SSM parameter `/serinus/releases/search` holds then. A parameter that still holds
 * the image stable runs ends the execution at once with a message; a train that meets a running
 * rollout fails with LockHeld.
 */
export class SerinusReleaseTrainStack extends Stack {
  readonly search: CanaryRollout;

  constructor(scope: Construct, id: string, props: ShopProps) {
    super(scope, id, props);
    const releaseImage = ssm.StringParameter.fromStringParameterName(this, 'SearchReleaseImage', '/serinus/releases/search');
    this.search = exampleRollout(
      this,
      props,
      { name: 'search', ruleId: '4c3d2e1f0a9b8c7d', stableTargetGroupId: '6f708192a3b4c5d6', canaryTargetGroupId: '708192a3b4c5d6e7', namespace: 'search' },
      {
        releaseTrain: {
          schedule: ScheduleExpression.cron({ weekDay: 'TUE', hour: '10', minute: '0', timeZone: TimeZone.EUROPE_BERLIN }),
          image: ReleaseImage.fromParameter(releaseImage),
          flexibleTimeWindow: Duration.minutes(15),
          reason: 'weekly release train',
        },
      },
    );
  }
}
