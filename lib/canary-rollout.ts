/**
 * One service's canary rollouts: the state machine, its alarms and approval topic, wired to the
 * stack's shared engine. The construct fixes where a rollout acts; an execution says what to roll
 * out and how.
 */
import { CfnOutput, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as codepipeline_actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEFAULT_OPTIONS, DEFAULT_STRATEGY } from '../lambda/domain/input-schema';
import { DISCOVERY_SCHEMA_VERSION, defaultStateMachineName, discoveryParameterName, type DiscoveryValue } from '../lambda/domain/discovery';
import { DEFAULT_EVENT_BUS, EVENT_SOURCE } from '../lambda/domain/rollout-events';
import { planRollout } from '../lambda/domain/planner';
import { tryParseStrategy } from '../lambda/domain/strategy';
import { targetConfigSchema } from '../lambda/domain/target-schema';
import {
  DEFAULT_MAX_ROLLOUT_SECONDS,
  targetKey,
  type StepSpec,
  type TargetConfig,
} from '../lambda/domain/types';
import { ValidationFailedError } from '../lambda/errors';
import { WORKFLOW_HANDLERS } from '../lambda/handler-names';
import { acknowledgeWildcardResources } from './acknowledgements';
import type { EksCluster } from './cluster';
import { SerinusEngine } from './engine';
import {
  CanaryHealthAlarms,
  managedAlarmProblems,
  type ManagedAlarmOptions,
} from './managed-alarms';
import { rolloutPipelineAction, type RolloutPipelineActionOptions } from './pipeline-action';
import { ReleaseTrain, releaseTrainProblems, type ReleaseTrainOptions } from './release-train';
import { AfterPromotion, Approval, InsufficientData, OnDrift } from './policies';
import { hookFunctions, type LifecycleHooks } from './hooks';
import { deploymentCalendar, type DeploymentWindow, type FreezePeriod } from './windows';
import { propProblems } from './prop-checks';
import { RolloutDashboard } from './rollout-dashboard';
import { type BoundRouting, gradualRollbackProblems, type GradualRollbackOptions, rollbackPaceOf, type TrafficRouting } from './routing';
import { buildRolloutDefinition } from './workflow';

export interface CanaryRolloutProps {
  /**
   * The service's name: 1–63 letters, digits, `-` or `_`. Used in logs, metrics and descriptions.
   */
  readonly serviceName: string;
  /**
   * How traffic is steered between stable and canary: `TrafficRouting.albListener(listener, {
   * stable, canary })`, `albRule`, `ingress`, `istio` or `replicaRatio`.
   */
  readonly routing: TrafficRouting;
  /**
   * Walk the canary's weight down in a few short steps when a rollout rolls back, for a stable side
   * that was scaled down or needs warm-up. A rollback for the canary's health still reverts at once
   * unless `evenOnAlarm`; a stop or a timeout always does.
   * @default - every rollback takes the canary's weight to 0 in one write
   */
  readonly gradualRollback?: GradualRollbackOptions;
  /**
   * The EKS cluster: `EksCluster.fromCluster(cluster)` or `EksCluster.fromName('shop')`. Its
   * authentication mode must allow access entries (API or API_AND_CONFIG_MAP).
   */
  readonly cluster: EksCluster;
  /** The Kubernetes namespace of both Deployments. */
  readonly namespace: string;
  /** The Deployment that serves the stable target group. */
  readonly stableDeployment: string;
  /** The Deployment that serves the canary target group. */
  readonly canaryDeployment: string;
  /** Containers whose image a rollout sets; `image` in the execution input names the first. */
  readonly containers: string[];
  /**
   * Replicas of the canary Deployment while a rollout runs.
   * @default 1
   */
  readonly canaryReplicas?: number;
  /**
   * CloudWatch alarms (metric or composite) that judge the canary.
   * @default - none; then `managedAlarms` is required, since a rollout needs a health signal
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * Alarms the construct creates on the canary target group (5xx rate, optional p99 latency,
   * canary versus stable).
   * @default - no managed alarms; then `alarms` is required
   */
  readonly managedAlarms?: ManagedAlarmOptions;
  /**
   * The strategy an execution uses when its input names none.
   * @default 'Canary10Percent5Minutes'
   */
  readonly strategy?: string;
  /**
   * Where an execution waits for a person's approval. A floor: an execution input may add gates
   * (`everyStep` adds to any mode), never drop one; a looser input is refused at Validate.
   * @default Approval.NONE
   */
  readonly approval?: Approval;
  /**
   * How an alarm in INSUFFICIENT_DATA at the end of a bake counts. A floor: under `unhealthy` an
   * execution input of `healthy` is refused at Validate.
   * @default InsufficientData.UNHEALTHY
   */
  readonly insufficientData?: InsufficientData;
  /**
   * What happens to the canary Deployment after a promotion.
   * @default AfterPromotion.SCALE_CANARY_TO_ZERO
   */
  readonly afterPromotion?: AfterPromotion;
  /**
   * What a rollout does when the live weights differ from the last weights it wrote: `revert` fails
   * with DriftDetected and rolls back; `adopt` carries on from them (a step whose share the canary
   * already has is baked without a write; a higher step is written as planned).
   * @default OnDrift.REVERT
   */
  readonly onDrift?: OnDrift;
  /**
   * Pause after each weight write before bake time counts.
   * @default Duration.seconds(15)
   */
  readonly settleTime?: Duration;
  /**
   * How long a Deployment (canary or stable) may take to become ready.
   * @default Duration.minutes(10)
   */
  readonly readyTimeout?: Duration;
  /**
   * Interval between readiness polls.
   * @default Duration.seconds(10)
   */
  readonly pollInterval?: Duration;
  /**
   * How long an approval gate waits before the rollout rolls back.
   * @default Duration.hours(24)
   */
  readonly approvalTimeout?: Duration;
  /**
   * The state machine's timeout: no rollout runs longer.
   * @default Duration.days(7)
   */
  readonly maxRolloutDuration?: Duration;
  /**
   * The VPC of the Kubernetes-calling functions, for a cluster with a private API endpoint.
   * @default - the functions run outside any VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of the Kubernetes-calling functions in `vpc`.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of the Kubernetes-calling functions in `vpc`.
   * @default - Lambda's default security group for the functions
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Where approval requests, with their task token, are published.
   * @default - a topic encrypted with the AWS-managed SNS key that only accepts TLS
   */
  readonly approvalTopic?: sns.ITopic;
  /**
   * A release train: a recurring EventBridge Scheduler schedule that starts a rollout, with the
   * image given or read from an SSM parameter when the train leaves.
   * @default - no schedule
   */
  readonly releaseTrain?: ReleaseTrainOptions;
  /**
   * Ship the functions' source maps and run them with `--enable-source-maps`: stack traces in the
   * logs point into serinus's TypeScript, at about 70 ms more per cold start. Rollouts of a stack
   * that differ in this (or in `vpc`) get separate engines.
   * @default false
   */
  readonly lambdaSourceMaps?: boolean;
  /**
   * Weekly windows in which a rollout may raise the canary's weight and promote
   * (`DeploymentWindow.of('MON-FRI 09:00-17:00 Europe/Berlin')`). Outside them it holds its weight,
   * bakes and alarms going on, until the next window opens. An execution input's `windows` only
   * narrow these (a moment must be in both).
   * @default - any time (unless `freezes` are set)
   */
  readonly windows?: DeploymentWindow[];
  /**
   * Periods in which no rollout raises the canary's weight or promotes. An execution input's
   * `freezes` add to these.
   * @default - none
   */
  readonly freezes?: FreezePeriod[];
  /**
   * User Lambda functions run at named points of a rollout (`LifecycleHook.invoke(fn)`); a failure
   * or a timeout rolls back with the hook's reason.
   * @default - none
   */
  readonly hooks?: LifecycleHooks;
  /**
   * The state machine's name; the CLI and the discovery parameter find it by service.
   * @default 'serinus-<serviceName>'
   */
  readonly stateMachineName?: string;
  /**
   * The EventBridge bus the rollout's events (`source: "serinus"`) go to.
   * @default - the account's default bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * A topic for people (email, chat): every rollout event of this service is sent to it as one
   * sentence. EventBridge publishes to it, so a KMS-encrypted topic needs a key that allows
   * `events.amazonaws.com`.
   * @default - no topic; the events still go to EventBridge
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * Whether to create a CloudWatch dashboard for the service (canary weight, canary vs stable 5xx
   * rate and p99, alarm states, rollouts by result). A dashboard costs about $3 a month.
   * @default false
   */
  readonly dashboard?: boolean;
  /**
   * Whether to add stack outputs: the state machine's ARN and name, the approval topic and the
   * discovery parameter.
   * @default true
   */
  readonly outputs?: boolean;
}

export const ROLLOUT_DEFAULTS = {
  strategy: DEFAULT_STRATEGY,
  ...DEFAULT_OPTIONS,
  onDrift: 'revert',
  canaryReplicas: 1,
  settleTime: Duration.seconds(15),
  readyTimeout: Duration.minutes(10),
  pollInterval: Duration.seconds(10),
  approvalTimeout: Duration.hours(24),
  maxRolloutDuration: Duration.seconds(DEFAULT_MAX_ROLLOUT_SECONDS),
} as const;

/** Step Functions Standard: an execution lasts at most a year. */
const MAX_EXECUTION_SECONDS = 365 * 24 * 3600;
// The construct accepts exactly the names the runtime's target schema accepts.
const { service: SERVICE_NAME, workload: WORKLOAD } = targetConfigSchema.shape;

/**
 * Canary rollouts of one service on EKS behind an ALB.
 */
export class CanaryRollout extends Construct {
  /** Runs one rollout per execution: input `{"image": "…"}`. */
  readonly stateMachine: sfn.StateMachine;
  /** Every alarm that judges the canary: the user's, then the managed ones. */
  readonly alarms: cloudwatch.IAlarm[];
  /** Approval requests are published here. */
  readonly approvalTopic: sns.ITopic;
  /**
   * What the state machine acts on; embedded in its definition.
   * @internal
   */
  readonly _targetConfig: TargetConfig;
  /** The managed alarms, when `managedAlarms` is set. */
  readonly managedAlarms?: CanaryHealthAlarms;
  /** The stack's shared engine this rollout registered with. */
  readonly engine: SerinusEngine;
  /** `/serinus/services/<service>`: how a tool finds this rollout by service name (JSON, see DiscoveryValue). */
  readonly discoveryParameter: ssm.StringParameter;
  /** The service's dashboard, when `dashboard` is set. */
  readonly dashboard?: RolloutDashboard;
  /**
   * The traffic target this rollout steers (the rule when one is set, else the listener). Set last:
   * a construct whose props were refused stays in the tree but steers nothing.
   */
  readonly trafficKey: string;
  /** The release train's schedule, role and dead-letter queue, when `releaseTrain` is set. */
  readonly releaseTrain?: ReleaseTrain;

  constructor(scope: Construct, id: string, props: CanaryRolloutProps) {
    super(scope, id);
    const routing = props.routing._bind(this, {
      clusterName: props.cluster.clusterName,
      namespace: props.namespace,
      stableDeployment: props.stableDeployment,
      canaryDeployment: props.canaryDeployment,
    });
    const traffic = routing.target;
    const key = targetKey(traffic);
    const timing = resolvedTiming(props);
    const problems = this.problemsWith(props, routing, timing);
    if (problems.length > 0) {
      const error = new ValidationFailedError(problems.map((problem) => `CanaryRollout ${this.node.path}: ${problem}`));
      // One problem a line: a list a person reads top to bottom.
      error.message = error.problems.join('\n');
      throw error;
    }

    const calendar = deploymentCalendar(props.windows, props.freezes);
    const cluster = props.cluster._reference(this);
    this.engine = SerinusEngine.of(this, {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      sourceMaps: props.lambdaSourceMaps,
    });
    this.approvalTopic = props.approvalTopic ?? this.newApprovalTopic();

    if (props.managedAlarms) {
      this.managedAlarms = new CanaryHealthAlarms(this, 'ManagedAlarms', {
        serviceName: props.serviceName,
        // Checked above: managed alarms need a routing with ALB metrics.
        loadBalancerFullName: props.managedAlarms.loadBalancerFullName ?? routing.albMetrics!.loadBalancerFullName,
        canaryTargetGroupFullName: routing.albMetrics!.canaryTargetGroupFullName,
        stableTargetGroupFullName: routing.albMetrics!.stableTargetGroupFullName,
        options: props.managedAlarms,
      });
    }
    this.alarms = [...(props.alarms ?? []), ...(this.managedAlarms?.alarms ?? [])];

    this._targetConfig = {
      service: props.serviceName,
      traffic,
      workload: {
        clusterName: cluster.clusterName,
        namespace: props.namespace,
        stableDeployment: props.stableDeployment,
        canaryDeployment: props.canaryDeployment,
        containers: [...props.containers],
        canaryReplicas: props.canaryReplicas ?? ROLLOUT_DEFAULTS.canaryReplicas,
      },
      alarmNames: this.alarms.map((alarm) => alarm.alarmName),
      defaults: {
        strategy: props.strategy ?? ROLLOUT_DEFAULTS.strategy,
        approval: props.approval ?? ROLLOUT_DEFAULTS.approval,
        insufficientData: props.insufficientData ?? ROLLOUT_DEFAULTS.insufficientData,
        afterPromotion: props.afterPromotion ?? ROLLOUT_DEFAULTS.afterPromotion,
      },
      timing: {
        settleSeconds: timing.settleTime.toSeconds(),
        readyTimeoutSeconds: timing.readyTimeout.toSeconds(),
        pollSeconds: timing.pollInterval.toSeconds(),
        approvalTimeoutSeconds: timing.approvalTimeout.toSeconds(),
        maxRolloutSeconds: timing.maxRolloutDuration.toSeconds(),
      },
      onDrift: props.onDrift ?? ROLLOUT_DEFAULTS.onDrift,
      ...(props.releaseTrain?.image.parameter && { imageParameters: [props.releaseTrain.image.parameter.parameterName] }),
      ...(calendar && { calendar }),
      ...(props.eventBus && { eventBusName: props.eventBus.eventBusName }),
      ...(props.gradualRollback && { rollbackPace: rollbackPaceOf(props.gradualRollback) }),
    };
    const eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultEventBus', DEFAULT_EVENT_BUS);

    const definition = buildRolloutDefinition(this, {
      functions: this.engine._functions,
      target: this._targetConfig,
      approvalTopic: this.approvalTopic,
      approvalTimeout: timing.approvalTimeout,
      windowGates: calendar !== undefined,
      hooks: props.hooks,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName ?? defaultStateMachineName(props.serviceName),
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: `serinus: canary rollouts of ${props.serviceName}`,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: timing.maxRolloutDuration,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'ExecutionLogs', {
          // Step Functions writes through CloudWatch vended logs; under this prefix they share one
          // resource policy instead of growing it by one entry per state machine.
          logGroupName: `/aws/vendedlogs/states/serinus-${Names.uniqueResourceName(this, { maxLength: 200 })}`,
          retention: logs.RetentionDays.THREE_MONTHS,
        }),
        level: sfn.LogLevel.ALL,
        // Execution data holds task tokens, which would let anyone who reads the logs approve or
        // end a bake; the state names, timings and errors that ALL logs are enough to follow a run.
        includeExecutionData: false,
      },
    });
    acknowledgeWildcardResources(
      this.stateMachine.role,
      ['*'],
      'Resource * only where the action has no resource-level permissions: X-Ray trace segments and sampling (tracing), and the CloudWatch Logs delivery actions Step Functions logging requires.',
    );
    acknowledgeWildcardResources(
      this.stateMachine.role,
      // Only the functions the definition invokes: the window gate's exists only with a calendar.
      WORKFLOW_HANDLERS.filter((name) => calendar !== undefined || name !== 'await-window').map((name) => `${this.engine._functions[name].functionArn}:*`),
      "LambdaInvoke grants the engine's own functions together with their versions and aliases (the ':*' suffix); no other function is named.",
    );
    acknowledgeWildcardResources(
      this.stateMachine.role,
      hookFunctions(props.hooks).map((fn) => `${fn.functionArn}:*`),
      "LambdaInvoke grants the construct's lifecycle hook functions together with their versions and aliases (the ':*' suffix); no other function is named.",
    );

    this.engine._register({
      stateMachine: this.stateMachine,
      routing,
      alarms: this.alarms,
      cluster,
      namespace: props.namespace,
      approvalTopic: this.approvalTopic,
      eventBus,
    });
    if (props.releaseTrain) {
      this.releaseTrain = new ReleaseTrain(this, 'ReleaseTrain', {
        ...props.releaseTrain,
        stateMachine: this.stateMachine,
        parameterReader: this.engine._functions.validate,
      });
    }

    const stack = Stack.of(this);
    const discovery: DiscoveryValue = {
      schemaVersion: DISCOVERY_SCHEMA_VERSION,
      service: props.serviceName,
      stateMachineArn: this.stateMachine.stateMachineArn,
      stateMachineName: this.stateMachine.stateMachineName,
      tableName: this.engine.table.tableName,
      approvalTopicArn: this.approvalTopic.topicArn,
      eventBusName: eventBus.eventBusName,
      target: this._targetConfig,
    };
    this.discoveryParameter = new ssm.StringParameter(this, 'Discovery', {
      parameterName: discoveryParameterName(props.serviceName),
      // The name starts with "/" also when the service is a token.
      simpleName: false,
      description: `serinus: how to find the canary rollouts of ${props.serviceName}`,
      stringValue: stack.toJsonString(discovery),
    });

    if (props.notificationTopic) {
      new events.Rule(this, 'NotificationRule', {
        description: `serinus: rollout events of ${props.serviceName}, as sentences for people`,
        eventBus,
        eventPattern: { source: [EVENT_SOURCE], detail: { service: [props.serviceName] } },
        targets: [
          new eventTargets.SnsTopic(props.notificationTopic, {
            message: events.RuleTargetInput.fromText(events.EventField.fromPath('$.detail.summary')),
            deadLetterQueue: this.engine.deadLetterQueue,
          }),
        ],
      });
    }
    if (props.dashboard) {
      this.dashboard = new RolloutDashboard(this, 'Dashboard', {
        serviceName: props.serviceName,
        stateMachine: this.stateMachine,
        ...(routing.albMetrics && {
          albMetrics: {
            ...routing.albMetrics,
            loadBalancerFullName: props.managedAlarms?.loadBalancerFullName ?? routing.albMetrics.loadBalancerFullName,
          },
        }),
        alarms: this.alarms,
      });
    }
    if (props.outputs ?? true) {
      const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
      output('StateMachineArn', this.stateMachine.stateMachineArn, `serinus ${props.serviceName}: start a rollout here`);
      output('StateMachineName', this.stateMachine.stateMachineName, `serinus ${props.serviceName}: the state machine's name`);
      output('ApprovalTopicArn', this.approvalTopic.topicArn, `serinus ${props.serviceName}: approval requests are published here`);
      output('DiscoveryParameterName', this.discoveryParameter.parameterName, `serinus ${props.serviceName}: SSM parameter the CLI reads`);
    }
    this.trafficKey = key;
  }

  /**
   * A CodePipeline action that runs one rollout: the Step Functions invoke action with the execution
   * input read from a file of `input` (by default the `imageDetail.json` an Amazon ECR source
   * action writes; a build may write a `rollout.json`). A rollout that fails, rolls back, times out
   * or is stopped fails the action with the execution's error and cause.
   */
  pipelineAction(options: RolloutPipelineActionOptions): codepipeline_actions.StepFunctionInvokeAction {
    return rolloutPipelineAction(this.stateMachine, options);
  }

  private newApprovalTopic(): sns.Topic {
    return new sns.Topic(this, 'ApprovalTopic', {
      displayName: 'serinus approvals',
      masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
  }

  /** Every problem with the props, each a sentence; empty when they are usable. */
  private problemsWith(props: CanaryRolloutProps, routing: BoundRouting, timing: Timing): string[] {
    const trafficKey = routing.target.key;
    const problems: string[] = [];
    const literal = (value: string | undefined): value is string => value !== undefined && !Token.isUnresolved(value);

    if (literal(props.serviceName) && !SERVICE_NAME.safeParse(props.serviceName).success) {
      problems.push(`serviceName must be 1–63 letters, digits, "-" or "_" starting with a letter or digit, got ${JSON.stringify(props.serviceName)}`);
    }

    // Traffic.
    problems.push(...routing.problems);
    if (literal(trafficKey)) {
      const other = Stack.of(this)
        .node.findAll()
        .find((c): c is CanaryRollout => c instanceof CanaryRollout && c !== this && c.trafficKey === trafficKey);
      if (other) {
        problems.push(`${routing.description} is already steered by CanaryRollout ${other.node.path}; one rollout per traffic target`);
      }
    }

    // Workload.
    const clusterName = props.cluster.clusterName;
    if (literal(clusterName) && !WORKLOAD.shape.clusterName.safeParse(clusterName).success) {
      problems.push(`cluster must be an EKS cluster name, got ${JSON.stringify(clusterName)}`);
    }
    if (literal(props.stableDeployment) && props.stableDeployment === props.canaryDeployment) {
      problems.push('canaryDeployment and stableDeployment must be different Deployments');
    }
    if (props.containers.length === 0) {
      problems.push('containers must name at least one container');
    }
    const literalContainers = props.containers.filter(literal);
    if (literalContainers.some((name) => name.length === 0) || new Set(literalContainers).size !== literalContainers.length) {
      problems.push(`containers must be non-empty, distinct names, got ${JSON.stringify(props.containers)}`);
    }
    const replicas = props.canaryReplicas ?? ROLLOUT_DEFAULTS.canaryReplicas;
    if (!Token.isUnresolved(replicas) && (!Number.isInteger(replicas) || replicas < 1)) {
      problems.push(`canaryReplicas must be an integer of at least 1, got ${replicas}`);
    }

    if (props.releaseTrain) {
      problems.push(...releaseTrainProblems(props.releaseTrain).map((problem) => `releaseTrain.${problem}`));
    }

    // Health.
    if ((props.alarms ?? []).length === 0 && props.managedAlarms === undefined) {
      problems.push('a rollout needs a health signal: give alarms, managedAlarms or both');
    }
    if (props.managedAlarms) {
      problems.push(...managedAlarmProblems(props.managedAlarms));
      if (!routing.albMetrics) {
        problems.push(`managedAlarms need ALB target group metrics, and ${routing.description} has none: give alarms (your own, or Container Insights) instead`);
      }
    }
    if (props.gradualRollback) problems.push(...gradualRollbackProblems(props.gradualRollback));

    // Timing and the default strategy.
    const seconds = Object.fromEntries(
      Object.entries(timing).map(([key, duration]) => [key, duration.toSeconds({ integral: false })]),
    ) as Record<keyof typeof timing, number>;
    const fractional = Object.entries(seconds).filter(([, value]) => !Number.isInteger(value));
    if (fractional.length > 0) {
      problems.push(`durations must be whole seconds: ${fractional.map(([key, value]) => `${key} is ${value} s`).join(', ')}`);
    }
    if (seconds.readyTimeout < 1 || seconds.pollInterval < 1 || seconds.approvalTimeout < 1) {
      problems.push('readyTimeout, pollInterval and approvalTimeout must each be at least 1 second');
    }
    if (seconds.pollInterval >= seconds.readyTimeout || seconds.settleTime >= seconds.readyTimeout) {
      problems.push(
        `pollInterval (${seconds.pollInterval} s) and settleTime (${seconds.settleTime} s) must each be shorter than readyTimeout (${seconds.readyTimeout} s)`,
      );
    }
    if (seconds.maxRolloutDuration > MAX_EXECUTION_SECONDS || seconds.approvalTimeout >= seconds.maxRolloutDuration) {
      problems.push(
        `maxRolloutDuration (${seconds.maxRolloutDuration} s) must be at most 365 days (a Standard execution's limit) and longer than approvalTimeout (${seconds.approvalTimeout} s)`,
      );
    }
    const strategy = props.strategy ?? ROLLOUT_DEFAULTS.strategy;
    if (literal(strategy)) {
      const parsed = tryParseStrategy(strategy);
      if (!parsed.ok) problems.push(`strategy ${parsed.problem}`);
      const worstCase = parsed.ok && fractional.length === 0 ? worstCaseSeconds(parsed.steps, props, seconds) : undefined;
      if (worstCase !== undefined && worstCase > seconds.maxRolloutDuration) {
        problems.push(
          `maxRolloutDuration (${seconds.maxRolloutDuration} s) is shorter than the worst case of strategy ${strategy} ` +
            `(${worstCase} s: bakes, readiness waits, settle times and approval timeouts)`,
        );
      }
    }
    problems.push(
      ...propProblems(this, {
        ...(routing.arns && { routingArns: routing.arns }),
        ...(props.cluster._clusterArn !== undefined && { clusterArn: props.cluster._clusterArn }),
        namespace: props.namespace,
        stableDeployment: props.stableDeployment,
        canaryDeployment: props.canaryDeployment,
        alarmArns: (props.alarms ?? []).map((alarm) => alarm.alarmArn),
        ...(props.approvalTopic && { approvalTopicArn: props.approvalTopic.topicArn }),
        ...(props.notificationTopic && { notificationTopicArn: props.notificationTopic.topicArn }),
        ...(props.eventBus && { eventBusArn: props.eventBus.eventBusArn }),
        ...(props.stateMachineName !== undefined && { stateMachineName: props.stateMachineName }),
        approval: props.approval,
        insufficientData: props.insufficientData,
        afterPromotion: props.afterPromotion,
        onDrift: props.onDrift,
      }),
    );
    return problems;
  }
}

/** The durations of the props, defaults applied. */
type Timing = Required<Pick<CanaryRolloutProps, 'settleTime' | 'readyTimeout' | 'pollInterval' | 'approvalTimeout' | 'maxRolloutDuration'>>;

function resolvedTiming(props: CanaryRolloutProps): Timing {
  return {
    settleTime: props.settleTime ?? ROLLOUT_DEFAULTS.settleTime,
    readyTimeout: props.readyTimeout ?? ROLLOUT_DEFAULTS.readyTimeout,
    pollInterval: props.pollInterval ?? ROLLOUT_DEFAULTS.pollInterval,
    approvalTimeout: props.approvalTimeout ?? ROLLOUT_DEFAULTS.approvalTimeout,
    maxRolloutDuration: props.maxRolloutDuration ?? ROLLOUT_DEFAULTS.maxRolloutDuration,
  };
}

/** The planner's bound for the default strategy, plus every approval gate waiting its full timeout. */
function worstCaseSeconds(steps: StepSpec[], props: CanaryRolloutProps, seconds: Record<keyof Timing, number>): number {
  const approval = props.approval ?? ROLLOUT_DEFAULTS.approval;
  const plan = planRollout(
    {
      images: {},
      steps,
      strategyName: props.strategy ?? ROLLOUT_DEFAULTS.strategy,
      approval,
      insufficientData: props.insufficientData ?? ROLLOUT_DEFAULTS.insufficientData,
      afterPromotion: props.afterPromotion ?? ROLLOUT_DEFAULTS.afterPromotion,
      dryRun: false,
    },
    // The planner reads only the timing of the target; the rest is not built yet when props are checked.
    {
      timing: { settleSeconds: seconds.settleTime, readyTimeoutSeconds: seconds.readyTimeout, pollSeconds: seconds.pollInterval },
    } as Pick<TargetConfig, 'timing'> as TargetConfig,
  );
  const gates = plan.steps.filter((step) => step.approvalBefore).length + (plan.approvalBeforePromote ? 1 : 0);
  return plan.maxDurationSeconds + gates * seconds.approvalTimeout;
}
