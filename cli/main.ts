#!/usr/bin/env node
/**
 * The `serinus` command: builds the real AWS clients and the process's output, then runs the program.
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type CliClients, type GlobalOptions, systemClock } from './context';
import { runCli } from './program';

function clients(options: GlobalOptions): CliClients {
  // Adaptive retry: ELBv2's Describe* calls share a per-account token bucket with running rollouts.
  const config = {
    retryMode: 'adaptive',
    maxAttempts: 5,
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  } as const;
  return {
    sfn: new SFNClient(config),
    ssm: new SSMClient(config),
    cloudwatch: new CloudWatchClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient(config)),
  };
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

runCli(process.argv.slice(2), {
  clients,
  output: { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) },
  clock: systemClock,
  newId: () => randomUUID().slice(0, 8),
  user: currentUser(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`serinus: ${String(error)}\n`);
    process.exitCode = 4;
  },
);
