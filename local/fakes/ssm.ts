/**
 * Stateful fake of the SSM Parameter Store calls serinus makes: GetParameter, as the release
 * train's image parameter is read. PutParameter follows the real API (a new value is a new
 * version; an existing name needs `Overwrite`), so a test or the sandbox can publish a release.
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
 */
import {
  ParameterAlreadyExists,
  ParameterNotFound,
  SSMClient,
  type GetParameterCommandInput,
  type GetParameterCommandOutput,
  type ParameterType,
  type PutParameterCommandInput,
  type PutParameterCommandOutput,
} from '@aws-sdk/client-ssm';
import { routeTable, serveFromFake, type FakeRoute, type Interception } from './sdk-intercept';

export interface FakeSsmOptions {
  readonly region?: string;
  readonly account?: string;
  /** @default - the system clock */
  readonly now?: () => Date;
}

interface StoredParameter {
  readonly name: string;
  readonly type: ParameterType;
  readonly value: string;
  readonly version: number;
  readonly lastModified: Date;
}

const FAILED = { $metadata: { httpStatusCode: 400 } } as const;

export class FakeSsm {
  private readonly parameters = new Map<string, StoredParameter>();
  private readonly region: string;
  private readonly account: string;
  private readonly now: () => Date;

  constructor(options: FakeSsmOptions = {}) {
    this.region = options.region ?? 'eu-west-1';
    this.account = options.account ?? '123456789012';
    this.now = options.now ?? (() => new Date());
  }

  /** Serves every SSMClient from this fake, inside the SDK's middleware stack. */
  install(): Interception {
    return serveFromFake(SSMClient, this.route());
  }

  /** The fake's answers by command, for a harness that serves the client itself (`installAwsFakes`). */
  route(): FakeRoute {
    return routeTable('FakeSsm', {
      GetParameterCommand: (input: GetParameterCommandInput) => this.getParameter(input),
      PutParameterCommand: (input: PutParameterCommandInput) => this.putParameter(input),
    });
  }

  /** Sets a parameter as a person would (`aws ssm put-parameter --overwrite`): a new version each time. */
  put(name: string, value: string, type: ParameterType = 'String'): number {
    return this.putParameter({ Name: name, Value: value, Type: type, Overwrite: true }).Version!;
  }

  /** The stored value, or undefined. */
  value(name: string): string | undefined {
    return this.parameters.get(name)?.value;
  }

  private getParameter(input: GetParameterCommandInput): Omit<GetParameterCommandOutput, '$metadata'> {
    const stored = this.parameters.get(input.Name ?? '');
    if (!stored) throw new ParameterNotFound({ message: '', ...FAILED });
    // Without WithDecryption a SecureString comes back as its ciphertext.
    const value = stored.type === 'SecureString' && !input.WithDecryption ? Buffer.from(stored.value).toString('base64') : stored.value;
    return {
      Parameter: {
        Name: stored.name,
        Type: stored.type,
        Value: value,
        Version: stored.version,
        LastModifiedDate: stored.lastModified,
        ARN: `arn:aws:ssm:${this.region}:${this.account}:parameter${stored.name.startsWith('/') ? '' : '/'}${stored.name}`,
        DataType: 'text',
      },
    };
  }

  private putParameter(input: PutParameterCommandInput): Omit<PutParameterCommandOutput, '$metadata'> {
    const name = input.Name ?? '';
    const existing = this.parameters.get(name);
    if (existing && !input.Overwrite) {
      throw new ParameterAlreadyExists({ message: 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.', ...FAILED });
    }
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(name, {
      name,
      type: input.Type ?? existing?.type ?? 'String',
      value: input.Value ?? '',
      version,
      lastModified: this.now(),
    });
    return { Version: version, Tier: 'Standard' };
  }
}
