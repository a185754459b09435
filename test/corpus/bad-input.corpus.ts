/**
 * The bad-input corpus: every file under bad-input/ is one execution input that the real Validate
 * use-case must refuse with ValidationFailed, naming the field, before anything is changed. The
 * ports are in memory: their reads answer as a healthy, idle service; any other call is recorded
 * as a mutation and fails.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationFailedError } from '../../lambda/errors';
import type { RolloutDefaults } from '../../lambda/domain/types';
import type { HealthSignals, TrafficRouter, Workloads } from '../../lambda/ports';
import { validateRollout } from '../../lambda/use-cases/validate';
import { EXECUTION_ARN, targetConfig } from '../support/fixtures';

interface BadInput {
  readonly description: string;
  /** The field the refusal must name, as it appears in the message. */
  readonly field: string;
  /** Other text the message must hold (the construct's setting a looser input would override). */
  readonly mentions?: string[];
  /** The construct's settings for this case. */
  readonly defaults?: RolloutDefaults;
  readonly input: unknown;
}

const DIRECTORY = join(__dirname, 'bad-input');
const CORPUS: Array<[string, BadInput]> = readdirSync(DIRECTORY)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => [file, JSON.parse(readFileSync(join(DIRECTORY, file), 'utf8')) as BadInput]);
const CONTAINERS = ['app', 'log-router'];

/**
 * A port whose `reads` answer and whose every other method records a mutation and throws. Built on a
 * proxy so a method added to the port later is a mutation too, until it is listed as a read.
 */
function inMemoryPort<T extends object>(name: string, reads: Partial<T>, mutations: string[]): T {
  return new Proxy(reads as T, {
    get(target, property) {
      if (property in target) return target[property as keyof T];
      if (typeof property !== 'string' || property === 'then') return undefined;
      return (...args: unknown[]) => {
        mutations.push(`${name}.${property}(${JSON.stringify(args).slice(0, 200)})`);
        throw new Error(`${name}.${property} must not be called by Validate`);
      };
    },
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function inMemoryDeps(mutations: string[]) {
  return {
    router: inMemoryPort<TrafficRouter>('router', { readWeights: async () => ({ stable: 100, canary: 0 }) }, mutations),
    health: inMemoryPort<HealthSignals>('health', { alarmStates: async () => [] }, mutations),
    workloads: inMemoryPort<Workloads>(
      'workloads',
      { snapshot: async () => ({ images: Object.fromEntries(CONTAINERS.map((c) => [c, `registry.local/${c}:1.0.0`])), replicas: 2 }) },
      mutations,
    ),
  };
}

describe('the bad-input corpus', () => {
  afterAll(() => {
    // The suite's size, for the test log.
    console.log(`bad-input corpus: ${CORPUS.length} inputs, each refused at Validate naming its field, with no mutating call`);
  });

  it('holds at least 80 inputs', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(80);
  });

  it('accepts a good input through the same ports, so a refusal below is about the input', async () => {
    // Prepare
    const mutations: string[] = [];

    // Act
    const rollout = await validateRollout(inMemoryDeps(mutations), {
      executionArn: EXECUTION_ARN,
      input: { image: 'registry.local/app:2.0.0' },
      target: targetConfig({ workload: { containers: CONTAINERS } }),
    });

    // Assess
    expect(rollout.request.images).toEqual({ app: 'registry.local/app:2.0.0' });
    expect(mutations).toEqual([]);
  });

  it.each(CORPUS)('%s is refused at Validate, naming its field', async (_file, bad) => {
    // Prepare
    const mutations: string[] = [];
    const target = targetConfig({ workload: { containers: CONTAINERS }, defaults: bad.defaults ?? {} });

    // Act
    const error = await validateRollout(inMemoryDeps(mutations), { executionArn: EXECUTION_ARN, input: bad.input, target }).then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(ValidationFailedError);
    const message = (error as ValidationFailedError).message;
    // The field opens one of the problems ("steps[1].weight must …") or is quoted in it (unknown field "cluster").
    expect(message).toMatch(new RegExp(`(^|; |")${escapeRegExp(bad.field)}`));
    for (const text of bad.mentions ?? []) expect(message).toContain(text);
    expect(mutations).toEqual([]);
  });
});
