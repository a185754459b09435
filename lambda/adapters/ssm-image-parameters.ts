import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ValidationFailedError } from '../errors';
import type { ImageParameters } from '../ports';
import { clientConfig, withoutSdkLogging } from './client-config';

export interface SsmImageParametersOptions {
  /** @default - a client with the runtime's shared settings */
  readonly client?: SSMClient;
}

/**
 * Reads a release train's image from an SSM String parameter. The construct grants
 * `ssm:GetParameter` on exactly the parameters it names; the input may name no other.
 */
export class SsmImageParameters implements ImageParameters {
  private readonly client: SSMClient;

  constructor(options: SsmImageParametersOptions = {}) {
    this.client = options.client ?? withoutSdkLogging(new SSMClient({ ...clientConfig }));
  }

  async read(name: string): Promise<{ name: string; value: string; version: number }> {
    let parameter;
    try {
      ({ Parameter: parameter } = await this.client.send(new GetParameterCommand({ Name: name })));
    } catch (error) {
      if ((error as Error).name === 'ParameterNotFound') {
        throw new ValidationFailedError(`imageParameter ${JSON.stringify(name)} does not exist in this account and region`, { cause: error });
      }
      throw error;
    }
    // A SecureString comes back encrypted without WithDecryption, and a StringList is not one image.
    if (parameter?.Type !== 'String' || parameter.Value === undefined) {
      throw new ValidationFailedError(
        `imageParameter ${JSON.stringify(name)} must be a String parameter holding one image reference, got a ${parameter?.Type ?? 'parameter without a value'}`,
      );
    }
    return { name, value: parameter.Value, version: parameter.Version ?? 0 };
  }
}
