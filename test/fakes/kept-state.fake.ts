/**
 * What the local engine keeps from one run to the next, and what it must not: the test CA and the
 * definition's validation are kept for the rest of a test run (in its directory of synthesized
 * workflows); a client's retry state can be put back to a new container's.
 */
import { DescribeListenersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestCa } from '../../local/certificate-authority';
import { installAwsFakes, type AwsFakes } from '../../local/fakes/aws';
import { coldRetryState } from '../../local/fakes/sdk-intercept';
import { interpreterOf } from '../../local/local-engine';
import { WORKFLOW_CACHE_ENV } from '../../local/run-cache';
import type { AslDefinition } from '../../local/synthesized-workflow';

const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';
const STABLE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout/6d0ecf831eec9f09';

let runDir: string;
const before = process.env[WORKFLOW_CACHE_ENV];

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'serinus-kept-'));
  process.env[WORKFLOW_CACHE_ENV] = runDir;
});

afterEach(() => {
  if (before === undefined) delete process.env[WORKFLOW_CACHE_ENV];
  else process.env[WORKFLOW_CACHE_ENV] = before;
  rmSync(runDir, { recursive: true, force: true });
});

/** The CA a test file gets: each file has a module registry of its own. */
function caOfAnotherFile(): Promise<TestCa> {
  let ca!: Promise<TestCa>;
  jest.isolateModules(() => {
    ca = (require('../../local/certificate-authority') as typeof import('../../local/certificate-authority')).testCa();
  });
  return ca;
}

describe('the test CA', () => {
  it('is made once per test run: a later file takes the one the first file kept', async () => {
    // Act
    const first = await caOfAnotherFile();
    const second = await caOfAnotherFile();

    // Assess
    expect(second).toEqual(first);
    expect(first.keyPem).toContain('PRIVATE KEY');
  });

  it('is made anew by each file outside a test run', async () => {
    // Prepare
    delete process.env[WORKFLOW_CACHE_ENV];

    // Act
    const first = await caOfAnotherFile();
    const second = await caOfAnotherFile();

    // Assess
    expect(second.caPem).not.toBe(first.caPem);
  });
});

describe('the interpreter of a definition', () => {
  const valid: AslDefinition = { StartAt: 'Only', States: { Only: { Type: 'Pass', End: true } } };
  const invalid: AslDefinition = { StartAt: 'Only', States: { Only: { Type: 'Pass', Next: 'Nowhere' } } };

  it('refuses an invalid definition every time, and notes nothing for it', () => {
    // Act
    const first = () => interpreterOf({ definition: structuredClone(invalid) });
    const again = () => interpreterOf({ definition: structuredClone(invalid) });

    // Assess
    expect(first).toThrow(/State machine definition is invalid/);
    expect(again).toThrow(/State machine definition is invalid/);
    expect(readdirSync(runDir)).toEqual([]);
  });

  it('notes a definition that passed, for that definition only', () => {
    // Act
    interpreterOf({ definition: structuredClone(valid) });
    const seen = readdirSync(runDir);
    interpreterOf({ definition: structuredClone(valid) });

    // Assess
    expect(seen).toHaveLength(1);
    expect(readdirSync(runDir)).toEqual(seen);
    expect(() => interpreterOf({ definition: structuredClone(invalid) })).toThrow(/State machine definition is invalid/);
  });

  it('validates every time outside a test run', () => {
    // Prepare
    rmSync(runDir, { recursive: true, force: true });

    // Act
    interpreterOf({ definition: structuredClone(valid) });

    // Assess
    expect(existsSync(runDir)).toBe(false);
    expect(() => interpreterOf({ definition: structuredClone(invalid) })).toThrow(/State machine definition is invalid/);
  });
});

describe('a client’s retry state', () => {
  let fakes: AwsFakes | undefined;

  afterEach(() => fakes?.restore());

  it('goes back to a new client’s: a full retry quota, and a rate limiter that saw no throttling', async () => {
    // Prepare: throttles turn the adaptive limiter on and take from the retry quota.
    fakes = installAwsFakes();
    fakes.elbv2.addListener(LISTENER, [{ Type: 'forward', TargetGroupArn: STABLE }]);
    const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1', retryMode: 'adaptive', maxAttempts: 8 });
    await client.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] }));
    const strategy = (await client.config.retryStrategy()) as unknown as {
      rateLimiter: { enabled: boolean };
      standardRetryStrategy: { capacity: number };
    };
    const fresh = { enabled: strategy.rateLimiter.enabled, capacity: strategy.standardRetryStrategy.capacity };
    fakes.injectFault({ command: 'DescribeListeners', kind: 'throttled', times: 3 });
    await client.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] }));
    expect({ enabled: strategy.rateLimiter.enabled, capacity: strategy.standardRetryStrategy.capacity }).not.toEqual(fresh);

    // Act
    coldRetryState();

    // Assess
    expect({ enabled: strategy.rateLimiter.enabled, capacity: strategy.standardRetryStrategy.capacity }).toEqual(fresh);
    const output = await client.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] }));
    expect(output.$metadata.attempts).toBe(1);
  });
});
