/**
 * A rollout as a CodePipeline action: the native Step Functions invoke action, wired to the
 * rollout's state machine with the input taken from a file of an artifact.
 */
import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ValidationFailedError } from '../lambda/errors';
import { acknowledgeRule, acknowledgeWildcardResources } from './acknowledgements';

/** What an Amazon ECR source action writes into its output artifact. */
export const ECR_IMAGE_DETAIL_FILE = 'imageDetail.json';
/** The execution-name prefix when none is given. */
export const DEFAULT_EXECUTION_NAME_PREFIX = 'codepipeline';
/**
 * An execution name is at most 80 characters; CodePipeline names it `<prefix>-<action execution
 * id>`, and the id is a 36-character UUID.
 */
const EXECUTION_NAME_PREFIX = /^[A-Za-z0-9_-]{1,43}$/;

export interface RolloutPipelineActionOptions {
  /** The action's name in its stage. */
  readonly actionName: string;
  /**
   * The artifact whose file is the execution input: the output of an Amazon ECR source action
   * (`imageDetail.json`), or of a build that writes a `rollout.json`.
   */
  readonly input: codepipeline.Artifact;
  /**
   * The file in `input` that holds the execution input.
   * @default 'imageDetail.json' (what an Amazon ECR source action writes)
   */
  readonly inputFile?: string;
  /**
   * Executions are named `<prefix>-<action execution id>`, so a start CodePipeline repeats for one
   * action execution names the same execution instead of starting a second. 1–43 letters, digits,
   * `-` or `_`. The pipeline role may describe only executions with this prefix.
   * @default 'codepipeline'
   */
  readonly executionNamePrefix?: string;
  /**
   * The action's run order in its stage.
   * @default 1
   */
  readonly runOrder?: number;
  /**
   * The namespace of the action's output variables.
   * @default - none
   */
  readonly variablesNamespace?: string;
  /**
   * The role the action runs with.
   * @default - a role CodePipeline creates for the action
   */
  readonly role?: iam.IRole;
}

/**
 * The Step Functions invoke action for `stateMachine`. CodePipeline polls the execution and fails the
 * action when it ends FAILED, TIMED_OUT or ABORTED; the execution's error and cause say why.
 */
export function rolloutPipelineAction(stateMachine: sfn.IStateMachine, options: RolloutPipelineActionOptions): actions.StepFunctionInvokeAction {
  const prefix = options.executionNamePrefix ?? DEFAULT_EXECUTION_NAME_PREFIX;
  const inputFile = options.inputFile ?? ECR_IMAGE_DETAIL_FILE;
  const problems: string[] = [];
  if (!Token.isUnresolved(prefix) && !EXECUTION_NAME_PREFIX.test(prefix)) {
    problems.push(`executionNamePrefix must be 1–43 letters, digits, "-" or "_" (an execution name is at most 80 characters), got ${JSON.stringify(prefix)}`);
  }
  if (!Token.isUnresolved(inputFile) && (inputFile.length === 0 || inputFile.startsWith('/'))) {
    problems.push(`inputFile must be a path inside the input artifact, such as "rollout.json", got ${JSON.stringify(inputFile)}`);
  }
  if (problems.length > 0) throw new ValidationFailedError(problems.map((p) => `pipelineAction ${options.actionName}: ${p}`));

  return new RolloutInvokeAction(
    {
      actionName: options.actionName,
      stateMachine,
      stateMachineInput: actions.StateMachineInput.filePath(options.input.atPath(inputFile)),
      executionNamePrefix: prefix,
      runOrder: options.runOrder,
      variablesNamespace: options.variablesNamespace,
      role: options.role,
    },
    stateMachine,
    prefix,
  );
}

/** The native action, plus the cdk-nag acknowledgments of the grants it makes when bound to its role. */
class RolloutInvokeAction extends actions.StepFunctionInvokeAction {
  constructor(
    props: actions.StepFunctionsInvokeActionProps,
    private readonly rolloutStateMachine: sfn.IStateMachine,
    private readonly namePrefix: string,
  ) {
    super(props);
  }

  protected override bound(scope: Construct, stage: codepipeline.IStage, options: codepipeline.ActionBindOptions): codepipeline.ActionConfig {
    const config = super.bound(scope, stage, options);
    acknowledgeWildcardResources(
      options.role,
      [executionsOf(this.rolloutStateMachine, this.namePrefix)],
      "CodePipeline polls the execution it started with DescribeExecution; execution names are chosen at run time (<prefix>-<action execution id>), so the grant names this state machine's executions with the action's prefix.",
    );
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) {
      acknowledgeRule(
        options.role,
        `IAM5[Action::${action}]`,
        "The action reads its input file from the pipeline's artifact bucket; CodePipeline's own grant (Bucket.grantRead) uses these action patterns on that one bucket.",
      );
    }
    acknowledgeWildcardResources(
      options.role,
      [options.bucket.arnForObjects('*')],
      'Artifact object keys are chosen by CodePipeline per pipeline execution; the grant covers the objects of the pipeline artifact bucket only.',
    );
    return config;
  }
}

/** The execution ARNs the native action lets the pipeline role describe: exactly as it builds them. */
function executionsOf(stateMachine: sfn.IStateMachine, prefix: string): string {
  const stack = Stack.of(stateMachine);
  const { account, region, partition, resourceName } = stack.splitArn(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME);
  return stack.formatArn({
    account,
    region,
    partition,
    service: 'states',
    resource: 'execution',
    resourceName: `${resourceName}:${prefix}*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
