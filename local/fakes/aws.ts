/**
 * Installs every AWS fake at once behind the real SDK clients (aws-sdk-client-mock stubs each
 * client class's `send`, so module-level clients inside adapters hit the fakes too), and keeps one
 * ordered log of every SDK command across services. The flow harness and the sandbox use this.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Client, MetadataBearer } from '@smithy/types';
import { mockClient, type AwsClientStub, type AwsStub } from 'aws-sdk-client-mock';
import { FakeCloudWatch } from './cloudwatch';
import { FakeDynamoDb, type TableSpec } from './dynamodb';
import { FakeElbv2 } from './elbv2';
import { FakeScheduler } from './scheduler';
import { FakeStepFunctions } from './sfn';

export interface AwsCall {
  /** Position in the log, across services. */
  readonly seq: number;
  /** `elbv2`, `cloudwatch`, `dynamodb`, `scheduler`, `sfn`, a stubbed extra client, or what `record` was given. */
  readonly service: string;
  /**
   * The API operation (`ModifyListener`); for the document client the lib-dynamodb class name
   * (`PutCommand`), which is not an API operation of its own.
   */
  readonly command: string;
  readonly input: unknown;
  readonly at: Date;
  readonly mutating: boolean;
  /** The error's name, once the call has failed. */
  error?: string;
}

/** SDK commands that change something in AWS. */
const MUTATING_COMMANDS: ReadonlySet<string> = new Set([
  'ModifyListener',
  'ModifyRule',
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
  'CreateSchedule',
  'DeleteSchedule',
  'SendTaskSuccess',
  'SendTaskFailure',
  'StopExecution',
]);

export interface AwsFakesOptions {
  /** Time compression of the scheduler's timers. @default 1 */
  readonly speed?: number;
  /** Tables to create up front: table name → key schema. */
  readonly tables?: Record<string, TableSpec>;
}

export interface RecordedCall {
  readonly service: string;
  readonly command: string;
  readonly input: unknown;
  /** @default - MUTATING_COMMANDS, or a Kubernetes PATCH/PUT/POST/DELETE */
  readonly mutating?: boolean;
}

export interface AwsFakes {
  readonly elbv2: FakeElbv2;
  readonly cloudwatch: FakeCloudWatch;
  readonly dynamodb: FakeDynamoDb;
  readonly scheduler: FakeScheduler;
  readonly sfn: FakeStepFunctions;
  /** For aws-sdk-client-mock-jest matchers. Do not `reset()` them: that drops the fake behind. */
  readonly stubs: {
    readonly elbv2: AwsClientStub<ElasticLoadBalancingV2Client>;
    readonly cloudwatch: AwsClientStub<CloudWatchClient>;
    readonly dynamodb: AwsClientStub<DynamoDBDocumentClient>;
    readonly scheduler: AwsClientStub<SchedulerClient>;
    readonly sfn: AwsClientStub<SFNClient>;
  };
  /** Every SDK command across services, in the order they were sent (plus whatever `record` adds). */
  readonly calls: readonly AwsCall[];
  mutatingCalls(): AwsCall[];
  /** Adds a non-SDK call to the log, e.g. a Kubernetes PATCH from the fake Kubernetes API. */
  record(call: RecordedCall): AwsCall;
  /**
   * Stubs another client class (e.g. `fakes.stub(EKSClient).on(DescribeClusterCommand).resolves(…)`);
   * its commands join `calls` under the class name without `Client` (`eks`), and `restore()` removes it.
   */
  stub<TInput extends object, TOutput extends MetadataBearer, TConfiguration>(client: {
    prototype: Client<TInput, TOutput, TConfiguration>;
  }): AwsStub<TInput, TOutput, TConfiguration>;
  /**
   * Makes the next send of `command` (e.g. `ModifyListener`, `PutCommand`) reject with `error`
   * before reaching the fake. Use this rather than `stubs.x.on(…).rejectsOnce(…)`, which would
   * replace the fake's behaviour for that command.
   */
  injectFault(command: string, error: Error): void;
  /** Clears the scheduler's timers and puts every client's real `send` back. */
  restore(): void;
}

type Send = (this: unknown, command: object, ...rest: unknown[]) => unknown;

interface Fault {
  readonly command: string;
  readonly error: Error;
}

/** The installation whose stubs are live; a new one replaces it rather than stacking on it. */
let active: AwsFakes | undefined;

export function installAwsFakes(options: AwsFakesOptions = {}): AwsFakes {
  active?.restore();
  const sfn = new FakeStepFunctions();
  const elbv2 = new FakeElbv2();
  const cloudwatch = new FakeCloudWatch();
  const dynamodb = new FakeDynamoDb();
  const scheduler = new FakeScheduler({ sfn, speed: options.speed });
  for (const [name, spec] of Object.entries(options.tables ?? {})) dynamodb.createTable(name, spec);

  const calls: AwsCall[] = [];
  const faults: Fault[] = [];
  const undo: Array<() => void> = [];

  const record = (call: RecordedCall): AwsCall => {
    const entry: AwsCall = {
      seq: calls.length + 1,
      service: call.service,
      command: call.command,
      input: snapshot(call.input),
      at: new Date(),
      mutating: call.mutating ?? isMutating(call.service, call.command),
    };
    calls.push(entry);
    return entry;
  };

  const takeFault = (call: AwsCall): Error | undefined => {
    const index = faults.findIndex((fault) => fault.command === call.command);
    return index < 0 ? undefined : faults.splice(index, 1)[0].error;
  };

  /** Logs each send through the class's stub; the wrapper sits on top of the sinon stub. */
  const observe = (prototype: { send: Send }, service: string, keepCommandSuffix: boolean): void => {
    const stubbed = prototype.send;
    const wrapper: Send = function (this: unknown, command: object, ...rest: unknown[]) {
      const name = command.constructor.name;
      const call = record({
        service,
        command: keepCommandSuffix ? name : name.replace(/Command$/, ''),
        input: (command as { input?: unknown }).input,
      });
      const fault = takeFault(call);
      if (fault) {
        call.error = fault.name;
        return Promise.reject(fault);
      }
      const result = stubbed.call(this, command, ...rest);
      if (result instanceof Promise) {
        // A derived promise: the caller still sees the rejection, nothing is left unhandled.
        result.then(undefined, (error: unknown) => {
          call.error = error instanceof Error ? error.name : 'Error';
        });
      }
      return result;
    };
    prototype.send = wrapper;
    undo.push(() => {
      if (prototype.send === wrapper) prototype.send = stubbed;
    });
  };

  const install = <S extends { restore(): void }>(stub: S, clientClass: { prototype: unknown }, service: string, keepSuffix = false): S => {
    observe(clientClass.prototype as { send: Send }, service, keepSuffix);
    undo.push(() => stub.restore());
    return stub;
  };

  const stubs = {
    elbv2: install(elbv2.install(), ElasticLoadBalancingV2Client, 'elbv2'),
    cloudwatch: install(cloudwatch.install(), CloudWatchClient, 'cloudwatch'),
    dynamodb: install(dynamodb.install(), DynamoDBDocumentClient, 'dynamodb', true),
    scheduler: install(scheduler.install(), SchedulerClient, 'scheduler'),
    sfn: install(sfn.install(), SFNClient, 'sfn'),
  };

  // The fake sits behind the document client; a bare DynamoDBClient would otherwise reach the network.
  const bareDynamoDb = mockClient(DynamoDBClient);
  bareDynamoDb.send.callsFake(async (command: object) => {
    throw new Error(`${command.constructor.name} was sent through DynamoDBClient; FakeDynamoDb serves DynamoDBDocumentClient only`);
  });
  install(bareDynamoDb, DynamoDBClient, 'dynamodb-bare');

  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    if (active === fakes) active = undefined;
    scheduler.close();
    // Per client, the logging wrapper comes off before the stub, leaving the original `send`.
    for (const step of undo) step();
  };

  const fakes: AwsFakes = {
    elbv2,
    cloudwatch,
    dynamodb,
    scheduler,
    sfn,
    stubs,
    calls,
    mutatingCalls: () => calls.filter((call) => call.mutating),
    record,
    stub<TInput extends object, TOutput extends MetadataBearer, TConfiguration>(client: {
      prototype: Client<TInput, TOutput, TConfiguration>;
    }): AwsStub<TInput, TOutput, TConfiguration> {
      const service = (client as unknown as { name: string }).name.replace(/Client$/, '').toLowerCase();
      return install(mockClient(client), client, service);
    },
    injectFault(command: string, error: Error): void {
      faults.push({ command, error });
    },
    restore,
  };
  active = fakes;
  return fakes;
}

/** A copy for the log; an input holding a function (the document client skips those) is kept as is. */
function snapshot<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

function isMutating(service: string, command: string): boolean {
  if (MUTATING_COMMANDS.has(command)) return true;
  return service === 'kubernetes' && /^(PATCH|PUT|POST|DELETE)\b/i.test(command);
}
