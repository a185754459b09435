import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ModifyListenerCommand,
  type Action,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { EventBridgeRolloutEvents } from '../../lambda/adapters/eventbridge-rollout-events';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import { installAwsFakes, type AwsFakes } from '../../local/fakes/aws';

const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';
const STABLE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout/6d0ecf831eec9f09';
const CANARY = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-canary/2b4c1d9a7f3e6a10';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:serinus-checkout:missing';

const elbv2 = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const sfn = new SFNClient({ region: 'eu-west-1' });
const scheduler = new SchedulerClient({ region: 'eu-west-1' });
const eks = new EKSClient({ region: 'eu-west-1' });
const ssm = new SSMClient({ region: 'eu-west-1' });

function forward(stable: number, canary: number): Action {
  return {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: STABLE, Weight: stable },
        { TargetGroupArn: CANARY, Weight: canary },
      ],
      TargetGroupStickinessConfig: { Enabled: false },
    },
  };
}

describe('installAwsFakes', () => {
  let fakes: AwsFakes | undefined;

  afterEach(() => {
    fakes?.restore();
    fakes = undefined;
  });

  it('records rollout events and approval messages, with the faults of every other service', async () => {
    // Prepare
    fakes = installAwsFakes();
    const events = new EventBridgeRolloutEvents();
    const event = {
      detailType: 'Rollout Started' as const,
      detail: { service: 'checkout', executionArn: EXECUTION, weights: { stable: 100, canary: 0 }, images: { candidate: 'registry.local/app:2.0.0' }, summary: 's' },
    };
    const fault = fakes.injectFault({ service: 'eventbridge', command: 'PutEvents', kind: 'serverError', times: 'always' });

    // Act
    const refused = events.publish(event);
    await expect(refused).rejects.toMatchObject({ name: 'InternalServerException' });
    fault.remove();
    await events.publish(event);
    await new SnsNotifier().notify('arn:aws:sns:eu-west-1:123456789012:approvals', 'subject', 'message');

    // Assess
    expect(fault.hits).toBe(2);
    expect(fakes.eventbridge.events).toEqual([
      { source: 'serinus', detailType: 'Rollout Started', detail: event.detail, eventBusName: 'default', resources: [EXECUTION] },
    ]);
    expect(fakes.sns.messages).toEqual([{ topicArn: 'arn:aws:sns:eu-west-1:123456789012:approvals', subject: 'subject', message: 'message' }]);
    expect(fakes.calls.map((c) => `${c.service}:${c.command}:${c.mutating}`)).toEqual([
      'eventbridge:PutEvents:false',
      'eventbridge:PutEvents:false',
      'eventbridge:PutEvents:false',
      'sns:Publish:false',
    ]);
  });

  it('logs every command across services in order, and picks out the mutating ones', async () => {
    // Prepare
    fakes = installAwsFakes({ tables: { rollouts: { partitionKey: 'targetKey' } } });
    fakes.elbv2.addListener(LISTENER, [forward(100, 0)]);

    // Act
    await elbv2.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] }));
    await documents.send(new PutCommand({ TableName: 'rollouts', Item: { targetKey: LISTENER } }));
    await sfn.send(new DescribeExecutionCommand({ executionArn: EXECUTION })).catch(() => undefined);
    fakes.record({ service: 'kubernetes', command: 'PATCH /apis/apps/v1/namespaces/shop/deployments/checkout-canary', input: { spec: { replicas: 2 } } });

    // Assess
    expect(fakes.calls.map(({ seq, service, command, mutating, error }) => ({ seq, service, command, mutating, error }))).toEqual([
      { seq: 1, service: 'elbv2', command: 'DescribeListeners', mutating: false, error: undefined },
      { seq: 2, service: 'dynamodb', command: 'PutCommand', mutating: true, error: undefined },
      { seq: 3, service: 'sfn', command: 'DescribeExecution', mutating: false, error: 'ExecutionDoesNotExist' },
      { seq: 4, service: 'kubernetes', command: 'PATCH /apis/apps/v1/namespaces/shop/deployments/checkout-canary', mutating: true, error: undefined },
    ]);
    expect(fakes.calls[1].input).toEqual({ TableName: 'rollouts', Item: { targetKey: LISTENER } });
    expect(fakes.mutatingCalls().map((call) => call.seq)).toEqual([2, 4]);
    expect(fakes.calls[0].input).toEqual({ ListenerArns: [LISTENER] });
  });

  describe('faults reach the SDK retry middleware', () => {
    const write = (client: ElasticLoadBalancingV2Client, canary: number) =>
      client.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [forward(100 - canary, canary)] }));

    it('a throttled call is retried by the SDK and succeeds; each attempt is in the log', async () => {
      // Prepare
      fakes = installAwsFakes();
      fakes.elbv2.addListener(LISTENER, [forward(100, 0)]);
      const fault = fakes.injectFault({ command: 'ModifyListener', kind: 'throttled', times: 2 });

      // Act
      const output = await write(elbv2, 10);

      // Assess
      expect(output.$metadata.attempts).toBe(3);
      expect(fault.hits).toBe(2);
      expect(fakes.elbv2.weights(LISTENER)).toEqual({ [STABLE]: 90, [CANARY]: 10 });
      expect(fakes.calls.map((call) => [call.command, call.attempt, call.error])).toEqual([
        ['ModifyListener', 1, 'Throttling'],
        ['ModifyListener', 2, 'Throttling'],
        ['ModifyListener', 3, undefined],
      ]);
    });

    it('a client with maxAttempts 1 sees the throttling error with its metadata', async () => {
      // Prepare
      fakes = installAwsFakes();
      fakes.elbv2.addListener(LISTENER, [forward(100, 0)]);
      fakes.injectFault({ command: 'ModifyListener', kind: 'throttled' });
      const once = new ElasticLoadBalancingV2Client({ region: 'eu-west-1', maxAttempts: 1 });

      // Act
      const error = await write(once, 10).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ElasticLoadBalancingV2ServiceException);
      expect(error).toMatchObject({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 1 } });
      expect(fakes.elbv2.weights(LISTENER)).toEqual({ [STABLE]: 100, [CANARY]: 0 });
    });

    it('5xx and timeouts are retried; access denied is not', async () => {
      // Prepare
      fakes = installAwsFakes();
      fakes.elbv2.addListener(LISTENER, [forward(100, 0)]);
      fakes.injectFault({ command: 'DescribeListeners', kind: 'serverError' });
      fakes.injectFault({ command: 'DescribeListeners', kind: 'timeout' });
      fakes.injectFault({ command: 'ModifyListener', kind: 'accessDenied', times: 'always' });

      // Act
      const read = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] }));
      const denied = await write(elbv2, 10).catch((e: unknown) => e);

      // Assess
      expect(read.$metadata.attempts).toBe(3);
      expect(denied).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403, attempts: 1 } });
      expect(fakes.calls.map((call) => [call.command, call.error])).toEqual([
        ['DescribeListeners', 'ServiceUnavailable'],
        ['DescribeListeners', 'TimeoutError'],
        ['DescribeListeners', undefined],
        ['ModifyListener', 'AccessDenied'],
      ]);
    });

    it('a lost reply: the write is applied, the caller sees a network error (after the SDK retried it)', async () => {
      // Prepare
      fakes = installAwsFakes();
      fakes.elbv2.addListener(LISTENER, [forward(100, 0)]);
      const writesCanary10 = (input: { DefaultActions?: Action[] }) => JSON.stringify(input.DefaultActions).includes(`"Weight":10}`);
      fakes.injectFault({ command: 'ModifyListener', kind: 'lostReply', times: 'always', match: writesCanary10 });
      const once = new ElasticLoadBalancingV2Client({ region: 'eu-west-1', maxAttempts: 1 });

      // Act
      const lost = await write(once, 10).catch((e: unknown) => e);
      const appliedAfterLoss = fakes.elbv2.weights(LISTENER);
      const other = await write(elbv2, 20);

      // Assess
      expect(lost).toMatchObject({ code: 'ECONNRESET' });
      expect(appliedAfterLoss).toEqual({ [STABLE]: 90, [CANARY]: 10 });
      expect(other.$metadata.attempts).toBe(1);
      expect(fakes.calls.map((call) => [call.command, call.fault])).toEqual([
        ['ModifyListener', 'lostReply'],
        ['ModifyListener', undefined],
      ]);
    });

    it('retries back off on a compressed clock: eight throttled attempts take milliseconds', async () => {
      // Prepare
      fakes = installAwsFakes();
      fakes.elbv2.addListener(LISTENER, [forward(100, 0)]);
      fakes.injectFault({ command: 'DescribeListeners', kind: 'throttled', times: 7 });
      const adaptive = new ElasticLoadBalancingV2Client({ region: 'eu-west-1', retryMode: 'adaptive', maxAttempts: 8 });

      // Act
      const startedAt = Date.now();
      const output = await adaptive.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] }));

      // Assess
      expect(output.$metadata.attempts).toBe(8);
      expect(Date.now() - startedAt).toBeLessThan(2_000);
    });
  });

  it('holds a call mid-flight until the test releases it', async () => {
    // Prepare
    fakes = installAwsFakes();
    fakes.elbv2.addListener(LISTENER, [forward(100, 0)]);
    const held = fakes.hold({ command: 'ModifyListener' });

    // Act
    const sending = elbv2.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [forward(90, 10)] }));
    const call = await held.reached;
    const whileHeld = fakes.elbv2.weights(LISTENER);
    held.release();
    await sending;

    // Assess
    expect(call).toMatchObject({ service: 'elbv2', command: 'ModifyListener', attempt: 1 });
    expect(whileHeld).toEqual({ [STABLE]: 100, [CANARY]: 0 });
    expect(fakes.elbv2.weights(LISTENER)).toEqual({ [STABLE]: 90, [CANARY]: 10 });
  });

  it('holds a reply: the write is applied, the caller waits', async () => {
    // Prepare
    fakes = installAwsFakes();
    fakes.elbv2.addListener(LISTENER, [forward(100, 0)]);
    const held = fakes.hold({ command: 'ModifyListener', at: 'reply' });
    let answered = false;

    // Act
    const sending = elbv2
      .send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [forward(90, 10)] }))
      .then(() => (answered = true));
    await held.reached;
    const whileHeld = { weights: fakes.elbv2.weights(LISTENER), answered };
    held.release();
    await sending;

    // Assess
    expect(whileHeld).toEqual({ weights: { [STABLE]: 90, [CANARY]: 10 }, answered: false });
    expect(answered).toBe(true);
  });

  it('serves SSM parameters as the API does (versions, ParameterNotFound, Overwrite), with faults from the registry', async () => {
    // Prepare
    fakes = installAwsFakes();
    fakes.ssm.put('/releases/app', 'registry.local/app:1.0.0');
    const throttled = fakes.injectFault({ service: 'ssm', command: 'GetParameter', kind: 'throttled' });

    // Act
    const second = await ssm.send(new PutParameterCommand({ Name: '/releases/app', Value: 'registry.local/app:2.0.0', Type: 'String', Overwrite: true }));
    const read = await ssm.send(new GetParameterCommand({ Name: '/releases/app' }));
    const missing = await ssm.send(new GetParameterCommand({ Name: '/releases/none' })).catch((error: Error) => error.name);
    const exists = await ssm.send(new PutParameterCommand({ Name: '/releases/app', Value: 'x:1', Type: 'String' })).catch((error: Error) => error.name);

    // Assess
    expect(second.Version).toBe(2);
    expect(read.Parameter).toMatchObject({ Name: '/releases/app', Type: 'String', Value: 'registry.local/app:2.0.0', Version: 2 });
    expect(read.Parameter?.ARN).toBe('arn:aws:ssm:eu-west-1:123456789012:parameter/releases/app');
    expect(missing).toBe('ParameterNotFound');
    expect(exists).toBe('ParameterAlreadyExists');
    // The throttled read was retried by the SDK: two attempts, one logged fault.
    expect(throttled.hits).toBe(1);
    expect(fakes.calls.filter((c) => c.command === 'GetParameter').map(({ attempt, fault }) => ({ attempt, fault }))).toEqual([
      { attempt: 1, fault: 'throttled' },
      { attempt: 2, fault: undefined },
      { attempt: 1, fault: undefined },
    ]);
    expect(fakes.mutatingCalls().map((c) => c.command)).toEqual(['PutParameter', 'PutParameter']);
  });

  it('serves extra clients, whose commands join the log', async () => {
    // Prepare
    fakes = installAwsFakes();
    fakes.serve(EKSClient, { DescribeCluster: (input: { name: string }) => ({ cluster: { name: input.name, endpoint: 'https://127.0.0.1:6443' } }) });

    // Act
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'shop' }));

    // Assess
    expect(cluster).toEqual({ name: 'shop', endpoint: 'https://127.0.0.1:6443' });
    expect(fakes.calls.map((call) => [call.service, call.command, call.input, call.attempt])).toEqual([['eks', 'DescribeCluster', { name: 'shop' }, 1]]);
  });

  it('wires the scheduler to the task tokens', async () => {
    // Prepare
    fakes = installAwsFakes({ speed: 1000 });
    const task = fakes.sfn.register('token-1');
    const when = new Date(Date.now() + 30_000).toISOString().slice(0, 19);

    // Act
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'bake-end',
        ScheduleExpression: `at(${when})`,
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: 'arn:aws:scheduler:::aws-sdk:sfn:sendTaskSuccess',
          RoleArn: 'arn:aws:iam::123456789012:role/serinus-scheduler',
          Input: JSON.stringify({ TaskToken: 'token-1', Output: '{"baked":true}' }),
        },
      }),
    );

    // Assess
    await expect(task).resolves.toEqual({ baked: true });
  });

  it('refuses a bare DynamoDBClient instead of reaching the network', async () => {
    // Prepare
    fakes = installAwsFakes();

    // Act
    const send = new DynamoDBClient({ region: 'eu-west-1' }).send(new GetItemCommand({ TableName: 'rollouts', Key: { targetKey: { S: 'k' } } }));

    // Assess
    await expect(send).rejects.toThrow(/FakeDynamoDb serves DynamoDBDocumentClient only/);
  });

  it('puts every real send back on restore, also after one installation replaced another', () => {
    // Prepare
    const originals = [ElasticLoadBalancingV2Client, SFNClient, SchedulerClient, EKSClient].map((type) => type.prototype.send);
    installAwsFakes().serve(EKSClient, {});
    fakes = installAwsFakes();
    fakes.serve(EKSClient, {});

    // Act
    fakes.restore();

    // Assess
    expect([ElasticLoadBalancingV2Client, SFNClient, SchedulerClient, EKSClient].map((type) => type.prototype.send)).toEqual(originals);
    expect(Object.prototype.hasOwnProperty.call(DynamoDBDocumentClient.prototype, 'send')).toBe(false);
  });
});
