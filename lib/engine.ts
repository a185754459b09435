/**
 * The shared part of serinus in a stack: the handler functions, the rollout table, the bake
 * scheduler and the event rules. Every CanaryRollout registers with it; the registration widens
 * IAM to exactly the listener/rule, cluster and state machine that rollout names.
 */
import { createHash } from 'node:crypto';
import { ArnFormat, Duration, RemovalPolicy, Stack, Token, Lazy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import {
  ENV,
  EVENT_HANDLERS,
  EXECUTION_INDEX,
  HANDLER_NEEDS,
  WORKFLOW_HANDLERS,
  type HandlerName,
  type HandlerNeeds,
} from '../lambda/handler-names';
import { acknowledgeManagedPolicy, acknowledgeRule, acknowledgeWildcardResources } from './acknowledgements';
import { BUNDLE_HANDLER, handlerCode } from './lambda-code';
import type { BoundRouting } from './routing';

/** Where the Kubernetes-calling functions run, and how all the engine's functions are deployed. */
export interface EnginePlacement {
  /**
   * The VPC of the Kubernetes-calling functions, for clusters with a private API endpoint.
   * @default - outside any VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of those functions in `vpc`.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of those functions in `vpc`; they must reach the cluster endpoint on 443.
   * @default - one created by Lambda's defaults
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Ship each function's source map and run it with `--enable-source-maps`, so stack traces in the
   * logs point into serinus's TypeScript. It costs about 70 ms of every cold start.
   * @default false
   */
  readonly sourceMaps?: boolean;
}

/** An EKS cluster as the engine needs it. */
export interface ClusterReference {
  readonly clusterName: string;
  readonly clusterArn: string;
  /**
   * A stable construct id for the cluster's access entry when `clusterName` is a token.
   * @default - derived from the cluster name
   */
  readonly stableId?: string;
}

/** What one rollout adds to the engine. */
export interface RolloutRegistration {
  readonly stateMachine: sfn.StateMachine;
  readonly routing: BoundRouting;
  /** Every alarm that judges this rollout's canary (at least one). */
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly cluster: ClusterReference;
  readonly namespace: string;
  /**
   * Where its approval requests are published.
   * @default - no approval topic is granted
   */
  readonly approvalTopic?: sns.ITopic;
  /**
   * The bus its rollout events go to.
   * @default - no bus is granted
   */
  readonly eventBus?: events.IEventBus;
}

/** The partition key of the rollout table, and its execution index. */
export const ROLLOUT_TABLE_KEY = 'targetKey';
export const EXECUTION_INDEX_NAME = EXECUTION_INDEX;
export const EXECUTION_INDEX_KEY = 'executionArn';
/** The EKS access policy granted to the Kubernetes role, scoped to each rollout's namespace. */
export const EKS_ACCESS_POLICY = 'AmazonEKSEditPolicy';

const ALL_HANDLERS: readonly HandlerName[] = [...WORKFLOW_HANDLERS, ...EVENT_HANDLERS];
/** Handlers that may wait on several Deployments or undo a whole rollout. */
const LONG_RUNNING: ReadonlySet<HandlerName> = new Set<HandlerName>(['validate', 'rollback', 'cleanup', 'sweeper']);
const LONG_TIMEOUT = Duration.minutes(5);
const SHORT_TIMEOUT = Duration.seconds(60);
/** Past a function's timeout, for the clock skew between Step Functions, Lambda and Scheduler. */
const FENCE_MARGIN = Duration.seconds(60);

/**
 * How long a handler of a stopped execution may still be running: the longest function timeout
 * plus a margin. Cleanup keeps the record ended that long, then the revert is asserted again.
 */
export const FENCE_SECONDS = Math.max(LONG_TIMEOUT.toSeconds(), SHORT_TIMEOUT.toSeconds()) + FENCE_MARGIN.toSeconds();

const ELB_READ_ACTIONS = [
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetHealth',
];
const ALARM_READ_ACTIONS = ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'];
const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Scan'];
const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
const SCHEDULE_ACTIONS = ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule'];
const TASK_CALLBACK_ACTIONS = ['states:SendTaskSuccess', 'states:SendTaskFailure'];

/** One IAM role and the union of the needs of the functions that share it. */
interface RoleGroup {
  readonly id: string;
  readonly role: iam.Role;
  readonly needs: HandlerNeeds;
  /** Statements that name registered resources. Kept out of the role's default policy: see `rolloutPolicy`. */
  policy?: iam.Policy;
}

interface AccessEntryState {
  readonly entry: eks.CfnAccessEntry;
  readonly namespaces: Set<string>;
  /** The Kubernetes groups the routings of the cluster's rollouts ask for (`BoundRouting.kubernetesGroups`). */
  readonly groups: Set<string>;
}

/**
 * One per stack and function placement; `SerinusEngine.of` finds or creates it.
 */
export class SerinusEngine extends Construct {
  /** Finds the stack's engine for this placement, or creates it. */
  static of(scope: IConstruct, placement: EnginePlacement = {}): SerinusEngine {
    const stack = Stack.of(scope);
    const id = engineId(placement);
    const existing = stack.node.tryFindChild(id);
    if (existing instanceof SerinusEngine) return existing;
    return new SerinusEngine(stack, id, placement);
  }

  /** One function per handler, by handler name (`validate`, `shift-weight`, …). */
  readonly functions: { [handler: string]: lambda.IFunction };
  /**
   * The same functions, typed by handler name.
   * @internal
   */
  readonly _functions: Record<HandlerName, lambda.IFunction>;
  /** The rollout table: one item per traffic target, the lock and the rollout record. */
  readonly table: dynamodb.Table;
  /** Holds the schedules that end bakes, and the safety and reassert sweeps of held targets. */
  readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Assumed by EventBridge Scheduler; may only send task success to registered state machines. */
  readonly schedulerRole: iam.Role;
  /** Shared by every Kubernetes-calling function, so one EKS access entry per cluster serves them all. */
  readonly kubernetesRole: iam.Role;
  /** Dead letters of the EventBridge targets (alarm events, execution-status events). */
  readonly deadLetterQueue: sqs.Queue;

  private readonly roleGroups: RoleGroup[] = [];
  /** Each traffic-reading role group's statement of ELBv2 Describe actions, which routings widen. */
  private readonly trafficReads = new Map<RoleGroup, iam.PolicyStatement>();
  private readonly accessEntries = new Map<string, AccessEntryState>();
  private alarmRule?: events.Rule;
  private executionEndRule?: events.Rule;

  private constructor(scope: Construct, id: string, private readonly placement: EnginePlacement) {
    super(scope, id);

    this.table = new dynamodb.Table(this, 'RolloutTable', {
      partitionKey: { name: ROLLOUT_TABLE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The table holds the locks and what a rollback must undo; losing it with the stack would
      // strand a rollout half-way.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: EXECUTION_INDEX_NAME,
      partitionKey: { name: EXECUTION_INDEX_KEY, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'BakeSchedules', {
      // Bake schedules are one-shot and delete themselves after firing: nothing to keep.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stack = Stack.of(this);
    this.schedulerRole = new iam.Role(this, 'BakeSchedulerRole', {
      description: 'serinus: EventBridge Scheduler ends canary bakes (Step Functions task success) and invokes the sweeper while a rollout holds a target',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });

    this.deadLetterQueue = new sqs.Queue(this, 'EventDeadLetterQueue', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeRule(
      this.deadLetterQueue,
      'SQS3',
      'This queue is itself the dead-letter queue of the EventBridge rule targets; it has no consumer to redrive from.',
    );

    this.kubernetesRole = this.newLambdaRole('KubernetesRole', 'serinus: the functions that call the Kubernetes API');
    const kubernetesHandlers = ALL_HANDLERS.filter((name) => HANDLER_NEEDS[name].kubernetes);
    this.roleGroups.push({
      id: 'Kubernetes',
      role: this.kubernetesRole,
      needs: unionOfNeeds(kubernetesHandlers.map((name) => HANDLER_NEEDS[name])),
    });
    if (placement.vpc) {
      // Lambda creates the function's network interfaces with the execution role's permissions;
      // this is the policy Lambda documents for that.
      const vpcAccess = iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole');
      this.kubernetesRole.addManagedPolicy(vpcAccess);
      acknowledgeManagedPolicy(
        this.kubernetesRole,
        vpcAccess,
        'Lambda manages the network interfaces of a function in a VPC with its execution role; AWSLambdaVPCAccessExecutionRole is the AWS-maintained policy for exactly that.',
      );
    }

    const functions: Partial<Record<HandlerName, lambda.Function>> = {};
    for (const name of ALL_HANDLERS) {
      functions[name] = this.newFunction(name);
    }
    this._functions = functions as Record<HandlerName, lambda.IFunction>;
    this.functions = this._functions;

    // No fixed-rate sweeper: a safety schedule created with each lock and deleted with it sweeps
    // that rollout, so nothing runs between rollouts. The schedules invoke the sweeper.
    const sweeper = functions.sweeper!;
    this.schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [sweeper.functionArn] }),
    );
    for (const name of ALL_HANDLERS) {
      // The sweeper learns its own ARN from its invocation: a function cannot reference itself.
      if (HANDLER_NEEDS[name].schedules && name !== 'sweeper') {
        functions[name]!.addEnvironment(ENV.sweeperFunctionArn, sweeper.functionArn);
      }
    }

    for (const group of this.roleGroups) {
      this.grantStatic(group);
    }
  }

  /**
   * Adds a rollout: its state machine, alarms, traffic target and cluster namespace. Rules and
   * grants are created with the first registration (EventBridge rejects an empty pattern list,
   * IAM an empty resource list) and widened by each later one.
   * @internal
   */
  _register(rollout: RolloutRegistration): void {
    const stateMachineArn = rollout.stateMachine.stateMachineArn;

    this.schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [stateMachineArn] }),
    );

    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${rollout.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    for (const group of this.roleGroups) {
      const { needs } = group;
      const reads = this.trafficReads.get(group);
      for (const action of rollout.routing.readActions ?? []) {
        if (reads && !reads.actions.includes(action)) reads.addActions(action);
      }
      if (needs.writesTraffic) {
        // Each routing names what it may change: an ALB rollout only the one action it steers.
        // A copy for each role's policy: a statement belongs to one document.
        // (Reads a routing adds are granted with the ELBv2 reads, below.)
        const statements = rollout.routing.writeStatements.map((statement) => iam.PolicyStatement.fromJson(statement.toStatementJson()));
        if (statements.length > 0) this.rolloutPolicy(group).addStatements(...statements);
      }
      if (needs.taskCallbacks) {
        this.rolloutPolicy(group).addStatements(
          new iam.PolicyStatement({ actions: TASK_CALLBACK_ACTIONS, resources: [stateMachineArn] }),
        );
      }
      if (needs.describesExecutions) {
        this.rolloutPolicy(group).addStatements(
          new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }),
        );
        acknowledgeWildcardResources(
          this.rolloutPolicy(group),
          [executions],
          'Execution names are chosen when an execution starts; the pattern admits only executions of a state machine registered with this engine.',
        );
      }
      if (needs.kubernetes) {
        this.rolloutPolicy(group).addStatements(
          new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [rollout.cluster.clusterArn] }),
        );
      }
      if (needs.publishesEvents && rollout.eventBus) {
        this.rolloutPolicy(group).addStatements(
          new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [rollout.eventBus.eventBusArn] }),
        );
      }
      if (needs.notifies && rollout.approvalTopic) {
        this.rolloutPolicy(group).addStatements(
          new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [rollout.approvalTopic.topicArn] }),
        );
      }
    }
    this.grantNamespace(rollout.cluster, rollout.namespace, rollout.routing.kubernetesGroups ?? []);

    const alarmArns = rollout.alarms.map((alarm) => alarm.alarmArn);
    if (this.alarmRule) {
      this.alarmRule.addEventPattern({ resources: alarmArns });
    } else {
      this.alarmRule = new events.Rule(this, 'AlarmRule', {
        description: 'serinus: an alarm that judges a canary went to ALARM; fail the bake at once',
        // Matching the alarm ARNs, not detail.alarmName: an ARN names the account and region as
        // well, so an alarm of the same name forwarded from another account cannot fail a bake.
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          resources: alarmArns,
          detail: { state: { value: ['ALARM'] } },
        },
        targets: [this.eventTarget(this._functions['on-alarm'])],
      });
    }

    if (this.executionEndRule) {
      this.executionEndRule.addEventPattern({ detail: { stateMachineArn: [stateMachineArn] } });
    } else {
      this.executionEndRule = new events.Rule(this, 'ExecutionEndRule', {
        description: 'serinus: a rollout execution ended badly (a console Stop runs no Catch); undo it',
        eventPattern: {
          source: ['aws.states'],
          detailType: ['Step Functions Execution Status Change'],
          detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'], stateMachineArn: [stateMachineArn] },
        },
        targets: [this.eventTarget(this._functions.cleanup)],
      });
    }
  }

  private newLambdaRole(id: string, description: string): iam.Role {
    return new iam.Role(this, id, { description, assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  }

  private newFunction(name: HandlerName): lambda.Function {
    const needs = HANDLER_NEEDS[name];
    const id = pascalCase(name);
    let role = this.kubernetesRole;
    if (!needs.kubernetes) {
      role = this.newLambdaRole(`${id}Role`, `serinus: the ${name} handler`);
      this.roleGroups.push({ id, role, needs });
    }
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.THREE_MONTHS });
    // Explicit, instead of AWSLambdaBasicExecutionRole: each function writes to its own group only.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const inVpc = needs.kubernetes && this.placement.vpc !== undefined;
    const fn = new lambda.Function(this, id, {
      description: `serinus: ${name}`,
      // Built with the package (scripts/bundle-lambdas.ts): nothing is bundled at the user's synth.
      code: handlerCode(name, this.placement.sourceMaps ?? false),
      handler: BUNDLE_HANDLER,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      // Kubernetes calls sign an EKS token and open a TLS connection to the cluster; more memory is more CPU.
      memorySize: needs.kubernetes ? 1024 : 512,
      timeout: LONG_RUNNING.has(name) ? LONG_TIMEOUT : SHORT_TIMEOUT,
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: this.environmentFor(needs),
      ...(inVpc
        ? { vpc: this.placement.vpc, vpcSubnets: this.placement.vpcSubnets, securityGroups: this.placement.securityGroups }
        : {}),
    });
    acknowledgeRule(
      fn,
      'L1',
      'Node.js 22 is the runtime serinus targets: the bundle is built for node22 and tested on it; the runtime moves with the bundling target, not alone.',
    );
    return fn;
  }

  private environmentFor(needs: HandlerNeeds): Record<string, string> {
    return {
      POWERTOOLS_SERVICE_NAME: 'serinus',
      POWERTOOLS_METRICS_NAMESPACE: 'Serinus',
      ...(this.placement.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      [ENV.fenceSeconds]: String(FENCE_SECONDS),
      ...(needs.table === 'none'
        ? {}
        : { [ENV.tableName]: this.table.tableName, [ENV.executionIndexName]: EXECUTION_INDEX_NAME }),
      ...(needs.schedules
        ? { [ENV.scheduleGroup]: this.scheduleGroup.scheduleGroupName, [ENV.schedulerRoleArn]: this.schedulerRole.roleArn }
        : {}),
    };
  }

  /** Grants that do not depend on any rollout. */
  private grantStatic(group: RoleGroup): void {
    const { role, needs } = group;
    const onEverything: string[] = ['xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing)'];
    if (needs.readsTraffic) {
      const reads = new iam.PolicyStatement({ actions: ELB_READ_ACTIONS, resources: ['*'] });
      this.trafficReads.set(group, reads);
      role.addToPrincipalPolicy(reads);
      onEverything.push('elasticloadbalancing:Describe* (ELBv2 Describe actions support no resource-level permissions)');
    }
    if (needs.readsAlarms) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ALARM_READ_ACTIONS, resources: ['*'] }));
      onEverything.push(
        'cloudwatch:DescribeAlarms and DescribeAlarmHistory (CloudWatch returns composite alarms only to a grant on *)',
      );
    }
    acknowledgeWildcardResources(role, ['*'], `Resource * only for read or telemetry actions that cannot be scoped: ${onEverything.join('; ')}.`);

    if (needs.table !== 'none') {
      const actions = needs.table === 'readWrite' ? [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS] : TABLE_READ_ACTIONS;
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [this.table.tableArn] }));
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${this.table.tableArn}/index/${EXECUTION_INDEX_NAME}`],
        }),
      );
    }
    if (needs.schedules) {
      const schedules = Stack.of(this).formatArn({
        service: 'scheduler',
        resource: 'schedule',
        resourceName: `${this.scheduleGroup.scheduleGroupName}/*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: SCHEDULE_ACTIONS, resources: [schedules] }));
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [this.schedulerRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
      acknowledgeWildcardResources(
        role,
        [schedules],
        "Bake schedules are named at run time (one per execution and step); the pattern admits only schedules in serinus's own schedule group.",
      );
    }
  }

  /**
   * A separate policy for statements that name a state machine. In the role's default policy they
   * would close a dependency cycle: a function waits for its role's default policy, the policy
   * would wait for the state machine, and the state machine waits for the function.
   */
  private rolloutPolicy(group: RoleGroup): iam.Policy {
    group.policy ??= new iam.Policy(this, `${group.id}RolloutPolicy`, { roles: [group.role] });
    return group.policy;
  }

  /** One access entry per cluster for the Kubernetes role; each rollout adds its namespace. */
  private grantNamespace(cluster: ClusterReference, namespace: string, groups: readonly string[]): void {
    const key = clusterKey(cluster);
    let state = this.accessEntries.get(key);
    if (!state) {
      const namespaces = new Set<string>();
      const kubernetesGroups = new Set<string>();
      const stack = Stack.of(this);
      const entry = new eks.CfnAccessEntry(this, `ClusterAccess${key}`, {
        clusterName: cluster.clusterName,
        principalArn: this.kubernetesRole.roleArn,
        type: 'STANDARD',
        // For RBAC beyond the access policy (Istio's VirtualServices); absent while no routing asks.
        kubernetesGroups: Lazy.list({ produce: () => [...kubernetesGroups].sort() }, { omitEmpty: true }),
        accessPolicies: [
          {
            policyArn: `arn:${stack.partition}:eks::aws:cluster-access-policy/${EKS_ACCESS_POLICY}`,
            accessScope: { type: 'namespace', namespaces: Lazy.list({ produce: () => [...namespaces].sort() }) },
          },
        ],
      });
      state = { entry, namespaces, groups: kubernetesGroups };
      this.accessEntries.set(key, state);
    }
    state.namespaces.add(namespace);
    for (const group of groups) state.groups.add(group);
  }

  private eventTarget(fn: lambda.IFunction): targets.LambdaFunction {
    return new targets.LambdaFunction(fn, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
    });
  }
}

/** The union of several handlers' needs: what one shared role must allow. */
function unionOfNeeds(all: readonly HandlerNeeds[]): HandlerNeeds {
  const tableLevel = (n: HandlerNeeds) => ({ none: 0, read: 1, readWrite: 2 })[n.table];
  const table = all.reduce((best, n) => (tableLevel(n) > tableLevel(best) ? n : best), all[0]).table;
  const any = (key: Exclude<keyof HandlerNeeds, 'table'>) => all.some((n) => n[key]);
  return {
    kubernetes: any('kubernetes'),
    writesTraffic: any('writesTraffic'),
    readsTraffic: any('readsTraffic'),
    readsAlarms: any('readsAlarms'),
    table,
    schedules: any('schedules'),
    taskCallbacks: any('taskCallbacks'),
    describesExecutions: any('describesExecutions'),
    publishesEvents: any('publishesEvents'),
    notifies: any('notifies'),
  };
}

function engineId(placement: EnginePlacement): string {
  if (!placement.vpc && !placement.sourceMaps) return 'SerinusEngine';
  const described = JSON.stringify(
    {
      vpc: placement.vpc ?? null,
      subnets: placement.vpcSubnets ?? null,
      securityGroups: placement.securityGroups ?? [],
      ...(placement.sourceMaps ? { sourceMaps: true } : {}),
    },
    (_key, value: unknown) => (Construct.isConstruct(value) ? value.node.path : value),
  );
  return `SerinusEngine${createHash('sha256').update(described).digest('hex').slice(0, 8)}`;
}

function clusterKey(cluster: ClusterReference): string {
  if (!Token.isUnresolved(cluster.clusterName)) return cluster.clusterName;
  return cluster.stableId ?? createHash('sha256').update(cluster.clusterName).digest('hex').slice(0, 8);
}

function pascalCase(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
