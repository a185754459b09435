/**
 * Installs every AWS fake at once behind the real SDK clients and keeps one ordered log of every
 * request across services. The fakes answer from inside each client's middleware stack
 * (`sdk-intercept.ts`), so the SDK's own retry middleware runs: an injected throttle or 5xx is
 * retried by the client's standard/adaptive strategy, and each attempt is one entry in `calls`.
 *
 * Tests steer the traffic with `injectFault` (throttled, 5xx, timeout, access denied, or
 * succeeded-but-the-reply-was-lost; once, n times or always; optionally only for matching inputs)
 * and `hold` (a call stops mid-flight until the test releases it).
 */
import { CloudWatchClient, CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { EKSServiceException } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client, ElasticLoadBalancingV2ServiceException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient, EventBridgeServiceException } from '@aws-sdk/client-eventbridge';
import { SchedulerClient, SchedulerServiceException } from '@aws-sdk/client-scheduler';
import { SFNClient, SFNServiceException } from '@aws-sdk/client-sfn';
import { SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { currentOrigin, originMatches } from '../call-origin';
import { FakeCloudWatch } from './cloudwatch';
import { FakeDynamoDb, type TableSpec } from './dynamodb';
import { FakeElbv2, type FakeElbv2Options } from './elbv2';
import { FakeEventBridge, FakeSns } from './notifications';
import { FakeScheduler, type SchedulerFiring } from './scheduler';
import { routeTable, serveFromFake, setRetryTimeScale, type ClientClass, type FakeRoute, type Interception, type SdkClient } from './sdk-intercept';
import { FakeStepFunctions } from './sfn';
import { FakeSsm } from './ssm';
import { registerFault, registerHold, type ActiveFault, type ActiveHold } from '../fault-registry';
import { copyData } from '../copy-data';

export interface AwsCall {
  /** Position in the log, across services. */
  readonly seq: number;
  /** `elbv2`, `cloudwatch`, `dynamodb`, `scheduler`, `sfn`, `ssm`, a served extra client, or what `record` was given. */
  readonly service: string;
  /**
   * The API operation (`ModifyListener`); for the document client the lib-dynamodb class name
   * (`PutCommand`), which is not an API operation of its own.
   */
  readonly command: string;
  readonly input: unknown;
  readonly at: Date;
  readonly mutating: boolean;
  /** Which try of the SDK's retry loop this request is (1 = first). */
  readonly attempt: number;
  /** The error's name (or network code), once the request has failed. */
  error?: string;
  /** The injected fault that shaped this request's answer. */
  fault?: FaultKind;
  /** The handler whose invocation sent it (see `call-origin.ts`); absent for calls from outside a handler. */
  readonly handler?: string;
  /** The workflow state that invoked that handler, for a task state's invocation. */
  readonly state?: string;
}

/** SDK commands that change something in AWS. */
const MUTATING_COMMANDS: ReadonlySet<string> = new Set([
  'ModifyListener',
  'ModifyRule',
  'CreateRule',
  'DeleteRule',
  'AddTags',
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
  'CreateSchedule',
  'UpdateSchedule',
  'DeleteSchedule',
  'SendTaskSuccess',
  'SendTaskFailure',
  'StopExecution',
  'PutParameter',
]);

/**
 * - `throttled`: the service's throttling error (`Throttling` / `ThrottlingException`), retried by the SDK.
 * - `serverError`: a 5xx (`ServiceUnavailable` 503 / `InternalServerException` 500), retried by the SDK.
 * - `timeout`: the request times out before the service acted (`TimeoutError`), retried by the SDK.
 * - `accessDenied`: `AccessDenied` / `AccessDeniedException`, not retried.
 * - `lostReply`: the service applies the request, then the connection drops (`ECONNRESET`); the SDK retries it.
 */
export type FaultKind = 'throttled' | 'serverError' | 'timeout' | 'accessDenied' | 'lostReply';

export interface FaultSpec {
  /** The operation (`ModifyListener`) or, for the document client, the class name (`PutCommand`). */
  readonly command: string;
  /** @default - any service */
  readonly service?: string;
  readonly kind: FaultKind;
  /** How many matching requests get the fault. @default 1 */
  readonly times?: number | 'always';
  /** Only requests whose input passes (e.g. the ModifyListener that writes canary 10). @default - every request */
  readonly match?: (input: never) => boolean;
  /** Only requests sent by this handler's invocations. @default - any handler, or none */
  readonly handler?: string;
  /** Only requests sent by the invocation of this workflow state. @default - any state, or none */
  readonly state?: string;
}

export interface InjectedFault {
  /** Requests that got the fault so far. */
  readonly hits: number;
  /** Stops injecting. */
  remove(): void;
}

export interface HoldSpec {
  readonly command: string;
  readonly service?: string;
  readonly match?: (input: never) => boolean;
  /** Only requests sent by this handler's invocations. @default - any */
  readonly handler?: string;
  /** Only requests sent by the invocation of this workflow state. @default - any */
  readonly state?: string;
  /**
   * `request`: the request stops before the service acts on it. `reply`: the service has acted,
   * the caller has not yet heard. @default 'request'
   */
  readonly at?: 'request' | 'reply';
}

export interface HeldCall {
  /** Resolves with the held request once one arrives. */
  readonly reached: Promise<AwsCall>;
  /** Lets the held request go on (also before it arrived: then it is not held at all). */
  release(): void;
}

export interface AwsFakesOptions {
  /** Time compression of the scheduler's timers. @default 1 */
  readonly speed?: number;
  /** How the scheduler fires `at(...)` schedules. @default 'timer' */
  readonly schedulerFiring?: SchedulerFiring;
  /** Tables to create up front: table name → key schema. */
  readonly tables?: Record<string, TableSpec>;
  readonly elbv2?: FakeElbv2Options;
  /** How much faster than real time the SDK's retry backoff runs. @default 1000 */
  readonly retryTimeScale?: number;
}

export interface RecordedCall {
  readonly service: string;
  readonly command: string;
  readonly input: unknown;
  /** @default - MUTATING_COMMANDS, or a Kubernetes PATCH/PUT/POST/DELETE */
  readonly mutating?: boolean;
  /** @default - the handler running the code that records it, if any */
  readonly handler?: string;
  /** @default - the workflow state of that handler's invocation */
  readonly state?: string;
}

/** Handlers of an extra client by operation name (`DescribeCluster`), returning the output members. */
export type ExtraHandlers = Record<string, (input: never) => unknown>;

export interface AwsFakes {
  readonly elbv2: FakeElbv2;
  readonly cloudwatch: FakeCloudWatch;
  readonly dynamodb: FakeDynamoDb;
  readonly scheduler: FakeScheduler;
  readonly sfn: FakeStepFunctions;
  readonly ssm: FakeSsm;
  /** Rollout events (PutEvents). Not mutating: news about the rollout, not a change to it. */
  readonly eventbridge: FakeEventBridge;
  /** Messages for people (Publish). Not mutating, like events. */
  readonly sns: FakeSns;
  /** Every request across services, one entry per attempt, in the order they were sent (plus whatever `record` adds). */
  readonly calls: readonly AwsCall[];
  /** The SDK clients that requests from inside a handler went through: the runtime's own clients. */
  readonly handlerClients: ReadonlySet<SdkClient>;
  mutatingCalls(): AwsCall[];
  /** Adds a non-SDK call to the log, e.g. a Kubernetes PATCH from the fake Kubernetes API. */
  record(call: RecordedCall): AwsCall;
  /**
   * Serves another client class from handlers (e.g. `fakes.serve(EKSClient, { DescribeCluster: … })`);
   * its requests join `calls` under the class name without `Client` (`eks`), faults and holds apply.
   */
  serve(clientClass: ClientClass, handlers: ExtraHandlers): void;
  injectFault(spec: FaultSpec): InjectedFault;
  /** Holds the next matching request mid-flight until `release()`. */
  hold(spec: HoldSpec): HeldCall;
  /** Clears the scheduler's timers and puts every client's real `send` back. */
  restore(): void;
}

/** Query-protocol services name their errors without the `Exception` suffix and answer 403 to a denial. */
const QUERY_PROTOCOL = new Set(['elbv2', 'cloudwatch', 'sns']);
const SERVICE_EXCEPTIONS: Record<string, new (options: never) => Error> = {
  elbv2: ElasticLoadBalancingV2ServiceException,
  cloudwatch: CloudWatchServiceException,
  dynamodb: DynamoDBServiceException,
  scheduler: SchedulerServiceException,
  sfn: SFNServiceException,
  ssm: SSMServiceException,
  eks: EKSServiceException,
  eventbridge: EventBridgeServiceException,
  sns: SNSServiceException,
};

/** The installation that is live; a new one replaces it rather than stacking on it. */
let active: AwsFakes | undefined;

export function installAwsFakes(options: AwsFakesOptions = {}): AwsFakes {
  active?.restore();
  setRetryTimeScale(options.retryTimeScale ?? 1000);
  const sfn = new FakeStepFunctions();
  const elbv2 = new FakeElbv2(options.elbv2);
  const cloudwatch = new FakeCloudWatch();
  const dynamodb = new FakeDynamoDb();
  const eventbridge = new FakeEventBridge();
  const sns = new FakeSns();
  const scheduler = new FakeScheduler({ sfn, speed: options.speed, firing: options.schedulerFiring });
  const ssm = new FakeSsm();
  for (const [name, spec] of Object.entries(options.tables ?? {})) dynamodb.createTable(name, spec);

  const calls: AwsCall[] = [];
  const handlerClients = new Set<SdkClient>();
  const faults: Array<ActiveFault<FaultSpec>> = [];
  const holds: Array<ActiveHold<HoldSpec, AwsCall>> = [];
  const interceptions: Interception[] = [];

  const record = (call: RecordedCall & { attempt?: number }): AwsCall => {
    const origin = call.handler !== undefined ? { handler: call.handler, state: call.state } : currentOrigin();
    const entry: AwsCall = {
      seq: calls.length + 1,
      service: call.service,
      command: call.command,
      input: snapshot(call.input),
      at: new Date(),
      mutating: call.mutating ?? isMutating(call.service, call.command),
      attempt: call.attempt ?? 1,
      ...(origin?.handler !== undefined && { handler: origin.handler }),
      ...(origin?.state !== undefined && { state: origin.state }),
    };
    calls.push(entry);
    return entry;
  };

  const matches = (
    spec: { command: string; service?: string; match?: (input: never) => boolean; handler?: string; state?: string },
    call: AwsCall,
  ): boolean =>
    spec.command === call.command &&
    (spec.service === undefined || spec.service === call.service) &&
    originMatches(spec, call.handler === undefined ? undefined : { handler: call.handler, state: call.state }) &&
    (spec.match?.(call.input as never) ?? true);

  const takeFault = (call: AwsCall): FaultKind | undefined => {
    const fault = faults.find((f) => !f.removed && matches(f.spec, call));
    if (!fault) return undefined;
    fault.hits += 1;
    const times = fault.spec.times ?? 1;
    if (times !== 'always' && fault.hits >= times) fault.removed = true;
    return fault.spec.kind;
  };

  const takeHold = (call: AwsCall, at: 'request' | 'reply'): ActiveHold<HoldSpec, AwsCall> | undefined => {
    const hold = holds.find((h) => !h.taken && (h.spec.at ?? 'request') === at && matches(h.spec, call));
    if (hold) hold.taken = true;
    return hold;
  };

  /** Wraps a fake's route with the log, faults and holds. */
  const layered = (service: string, route: FakeRoute, keepCommandSuffix = false): FakeRoute => {
    return async (request) => {
      const name = request.commandName;
      const call = record({
        service,
        command: keepCommandSuffix ? name : name.replace(/Command$/, ''),
        input: request.input,
        attempt: request.attempt,
      });
      if (call.handler !== undefined) handlerClients.add(request.client);
      try {
        const fault = takeFault(call);
        if (fault) call.fault = fault;
        const before = takeHold(call, 'request');
        if (before) {
          before.reach(call);
          await before.released;
        }
        if (fault && fault !== 'lostReply') throw faultError(service, fault);
        const output = await route(request);
        const after = takeHold(call, 'reply');
        if (after) {
          after.reach(call);
          await after.released;
        }
        if (fault === 'lostReply') throw faultError(service, fault);
        return output;
      } catch (error) {
        call.error = errorName(error);
        throw error;
      }
    };
  };

  const serve = (clientClass: ClientClass, service: string, route: FakeRoute, keepSuffix = false): void => {
    interceptions.push(serveFromFake(clientClass, layered(service, route, keepSuffix)));
  };

  serve(ElasticLoadBalancingV2Client, 'elbv2', elbv2.route());
  serve(CloudWatchClient, 'cloudwatch', cloudwatch.route());
  serve(DynamoDBDocumentClient, 'dynamodb', dynamodb.route(), true);
  serve(SchedulerClient, 'scheduler', scheduler.route());
  serve(SFNClient, 'sfn', sfn.route());
  serve(SSMClient, 'ssm', ssm.route());
  serve(EventBridgeClient, 'eventbridge', eventbridge.route());
  serve(SNSClient, 'sns', sns.route());
  // The fake sits behind the document client; a bare DynamoDBClient would otherwise reach the network.
  serve(DynamoDBClient, 'dynamodb-bare', ({ commandName }) => {
    throw new Error(`${commandName} was sent through DynamoDBClient; FakeDynamoDb serves DynamoDBDocumentClient only`);
  });

  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    if (active === fakes) active = undefined;
    scheduler.close();
    for (const hold of holds) hold.taken = true;
    for (const interception of interceptions.splice(0).reverse()) interception.restore();
  };

  const fakes: AwsFakes = {
    elbv2,
    cloudwatch,
    dynamodb,
    scheduler,
    sfn,
    ssm,
    eventbridge,
    sns,
    calls,
    handlerClients,
    mutatingCalls: () => calls.filter((call) => call.mutating),
    record,
    serve(clientClass, handlers) {
      const service = clientClass.name.replace(/Client$/, '').toLowerCase();
      const byCommandClass = Object.fromEntries(Object.entries(handlers).map(([name, handler]) => [`${name}Command`, handler]));
      serve(clientClass, service, routeTable(`the ${service} fake`, byCommandClass));
    },
    injectFault(spec) {
      return registerFault(faults, spec);
    },
    hold(spec) {
      return registerHold(holds, spec);
    },
    restore,
  };
  active = fakes;
  return fakes;
}

/** The error a real client surfaces for the fault, with the fields its retry middleware reads. */
export function faultError(service: string, kind: FaultKind): Error {
  const query = QUERY_PROTOCOL.has(service);
  const network = (name: string, code: string | undefined, message: string): Error =>
    Object.assign(new Error(message), { name, ...(code && { code }), $metadata: {} });
  const serviceError = (name: string, status: number, fault: 'client' | 'server', message: string): Error => {
    const Exception = SERVICE_EXCEPTIONS[service];
    const options = { name, $fault: fault, message, Message: message, $metadata: { httpStatusCode: status } };
    return Exception ? new Exception(options as never) : Object.assign(new Error(message), options);
  };
  switch (kind) {
    case 'throttled':
      return serviceError(query ? 'Throttling' : 'ThrottlingException', 400, 'client', 'Rate exceeded');
    case 'serverError':
      return query
        ? serviceError('ServiceUnavailable', 503, 'server', 'Service is unavailable. Please try again later.')
        : serviceError('InternalServerException', 500, 'server', 'Internal server error');
    case 'accessDenied':
      return serviceError(
        query ? 'AccessDenied' : 'AccessDeniedException',
        query ? 403 : 400,
        'client',
        'User: arn:aws:sts::123456789012:assumed-role/serinus/fn is not authorized to perform this action',
      );
    case 'timeout':
      return network('TimeoutError', undefined, 'Connection timed out after 3000 ms');
    case 'lostReply':
      return network('Error', 'ECONNRESET', 'socket hang up');
  }
}

function errorName(error: unknown): string {
  if (!(error instanceof Error)) return 'Error';
  const code = (error as { code?: unknown }).code;
  return error.name === 'Error' && typeof code === 'string' ? code : error.name;
}

/** A copy for the log; an input holding a function (the document client skips those) is kept as is. */
function snapshot<T>(value: T): T {
  try {
    return copyData(value);
  } catch {
    return value;
  }
}

function isMutating(service: string, command: string): boolean {
  if (MUTATING_COMMANDS.has(command)) return true;
  return service === 'kubernetes' && /^(PATCH|PUT|POST|DELETE)\b/i.test(command);
}
