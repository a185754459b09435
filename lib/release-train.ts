/**
 * Release trains: a recurring EventBridge Scheduler schedule that starts a rollout, with the image
 * given literally or read from an SSM parameter when the train leaves.
 */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { MAX_REASON_LENGTH, imageReferenceProblem } from '../lambda/domain/input-schema';
import { tryParseStrategy } from '../lambda/domain/strategy';
import { ValidationFailedError } from '../lambda/errors';
import { acknowledgeRule } from './acknowledgements';

/** The image a release train rolls out. */
export class ReleaseImage {
  /** Always this image, e.g. `ReleaseImage.of('123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2')`. */
  static of(image: string): ReleaseImage {
    return new ReleaseImage({ image });
  }

  /**
   * Whatever image this SSM String parameter holds when the train leaves. Validate reads it (the
   * rollout's functions may read exactly this parameter) and records the version; when stable
   * already runs it, the execution succeeds at once with a message instead of rolling out.
   */
  static fromParameter(parameter: ssm.IStringParameter): ReleaseImage {
    return new ReleaseImage({ parameter });
  }

  /** The literal image, for `ReleaseImage.of`. */
  readonly image?: string;
  /** The parameter, for `ReleaseImage.fromParameter`. */
  readonly parameter?: ssm.IStringParameter;

  private constructor(source: { readonly image?: string; readonly parameter?: ssm.IStringParameter }) {
    this.image = source.image;
    this.parameter = source.parameter;
  }
}

export interface ReleaseTrainOptions {
  /**
   * When the train leaves: a recurring `cron` or `rate` expression and its time zone, e.g.
   * `ScheduleExpression.cron({ weekDay: 'TUE', hour: '10', minute: '0', timeZone: TimeZone.EUROPE_BERLIN })`.
   */
  readonly schedule: scheduler.ScheduleExpression;
  /** The image to roll out: `ReleaseImage.of(…)` or `ReleaseImage.fromParameter(…)`. */
  readonly image: ReleaseImage;
  /**
   * Lets Scheduler start the rollout up to this long after the scheduled time (1 minute to 24 hours),
   * spreading trains that share a time.
   * @default - off: the rollout starts at the scheduled time
   */
  readonly flexibleTimeWindow?: Duration;
  /**
   * The strategy the train's rollouts use.
   * @default - the construct's strategy
   */
  readonly strategy?: string;
  /**
   * The `reason` the execution input carries; printable text of at most 256 characters.
   * @default 'release train'
   */
  readonly reason?: string;
  /**
   * How often Scheduler retries a start that failed (throttled, Step Functions unavailable), 0–185.
   * A start refused by the workflow itself (a running rollout holds the lock) is an execution that
   * failed, not a failed start, and is not retried.
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * How long Scheduler keeps retrying a start, 1 minute to 24 hours.
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
  /**
   * Where starts that failed every retry go.
   * @default - a queue encrypted with SQS-managed keys that only accepts TLS, keeping messages 14 days
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Whether the schedule is enabled.
   * @default true
   */
  readonly enabled?: boolean;
}

export interface ReleaseTrainProps extends ReleaseTrainOptions {
  /** The rollout's state machine. */
  readonly stateMachine: sfn.IStateMachine;
  /** The principal that reads the image parameter (the rollout's Validate function). */
  readonly parameterReader: iam.IGrantable;
}

export const RELEASE_TRAIN_DEFAULTS = {
  reason: 'release train',
  retryAttempts: 3,
  maxEventAge: Duration.hours(1),
} as const;

/**
 * A recurring schedule that starts a rollout (CanaryRollout creates it from its `releaseTrain` prop,
 * which also lets Validate read the image parameter). Its role may only start executions of this one state
 * machine (and send failed starts to the dead-letter queue). An overlap with a running rollout is
 * refused by the rollout's lock: the execution fails with LockHeld, naming the holder.
 */
export class ReleaseTrain extends Construct {
  readonly schedule: scheduler.Schedule;
  /** Assumed by EventBridge Scheduler. */
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.IQueue;

  constructor(scope: Construct, id: string, props: ReleaseTrainProps) {
    super(scope, id);
    // CanaryRollout reports these with its other props; checked again for a train built on its own.
    const problems = releaseTrainProblems(props);
    if (problems.length > 0) {
      throw new ValidationFailedError(problems.map((problem) => `ReleaseTrain ${this.node.path}: ${problem}`));
    }

    if (props.deadLetterQueue) {
      this.deadLetterQueue = props.deadLetterQueue;
    } else {
      const queue = new sqs.Queue(this, 'DeadLetterQueue', {
        enforceSSL: true,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        retentionPeriod: Duration.days(14),
      });
      acknowledgeRule(queue, 'SQS3', 'This queue is itself the dead-letter queue of the release train schedule; it has no consumer to redrive from.');
      this.deadLetterQueue = queue;
    }

    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      description: 'serinus: EventBridge Scheduler starts a release train rollout',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });

    const { image, parameter } = props.image;
    if (parameter) {
      props.parameterReader.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameter.parameterArn] }),
      );
    }
    const input = {
      ...(parameter ? { imageParameter: parameter.parameterName } : { image }),
      ...(props.strategy !== undefined && { strategy: props.strategy }),
      reason: props.reason ?? RELEASE_TRAIN_DEFAULTS.reason,
    };

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'serinus: a release train, a recurring rollout',
      schedule: props.schedule,
      enabled: props.enabled ?? true,
      timeWindow: props.flexibleTimeWindow ? scheduler.TimeWindow.flexible(props.flexibleTimeWindow) : scheduler.TimeWindow.off(),
      target: new targets.StepFunctionsStartExecution(props.stateMachine, {
        role: this.role,
        input: scheduler.ScheduleTargetInput.fromObject(input),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: props.retryAttempts ?? RELEASE_TRAIN_DEFAULTS.retryAttempts,
        maxEventAge: props.maxEventAge ?? RELEASE_TRAIN_DEFAULTS.maxEventAge,
      }),
    });
  }
}

/** Every problem with the options, each a sentence. */
export function releaseTrainProblems(options: ReleaseTrainOptions): string[] {
  const problems: string[] = [];
  const literal = (value: string | undefined): value is string => value !== undefined && !Token.isUnresolved(value);
  const expression = options.schedule.expressionString;
  if (literal(expression) && !/^(cron|rate)\(/.test(expression)) {
    problems.push(`schedule must recur (a cron or rate expression), got ${JSON.stringify(expression)}`);
  }
  const image = options.image.image;
  if (literal(image)) {
    const problem = imageReferenceProblem(image);
    if (problem !== undefined) problems.push(`image ${problem}`);
  }
  if (literal(options.strategy)) {
    const parsed = tryParseStrategy(options.strategy);
    if (!parsed.ok) problems.push(`strategy ${parsed.problem}`);
  }
  const reason = options.reason;
  // eslint-disable-next-line no-control-regex
  if (literal(reason) && (reason.length > MAX_REASON_LENGTH || /[\u0000-\u001f\u007f-\u009f]/.test(reason))) {
    problems.push(`reason must be printable text of at most ${MAX_REASON_LENGTH} characters`);
  }
  const window = options.flexibleTimeWindow?.toMinutes({ integral: false });
  if (window !== undefined && !(Number.isInteger(window) && window >= 1 && window <= 1440)) {
    problems.push(`flexibleTimeWindow must be whole minutes from 1 to 1440, got ${window} minutes`);
  }
  const retries = options.retryAttempts;
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 185)) {
    problems.push(`retryAttempts must be an integer from 0 to 185, got ${retries}`);
  }
  const age = options.maxEventAge?.toSeconds({ integral: false });
  if (age !== undefined && !(Number.isInteger(age) && age >= 60 && age <= 86_400)) {
    problems.push(`maxEventAge must be whole seconds from 1 minute to 24 hours, got ${age} s`);
  }
  return problems;
}
