import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SsmImageParameters } from '../../lambda/adapters/ssm-image-parameters';
import { ValidationFailedError } from '../../lambda/errors';

const NAME = '/serinus/releases/search';
const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/search:2.1.0';

const ssm = mockClient(SSMClient);

beforeEach(() => {
  ssm.reset();
});

describe('SsmImageParameters.read', () => {
  it('reads the parameter by name, without decryption, and returns its value and version', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: NAME, Type: 'String', Value: IMAGE, Version: 7 } });

    // Act
    const read = await new SsmImageParameters().read(NAME);

    // Assess
    expect(read).toEqual({ name: NAME, value: IMAGE, version: 7 });
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    expect(ssm.commandCalls(GetParameterCommand)[0].args[0].input).toEqual({ Name: NAME });
  });

  it('refuses a parameter that does not exist as a validation problem naming it', async () => {
    // Prepare
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: '', $metadata: {} }));

    // Act
    const read = new SsmImageParameters().read(NAME);

    // Assess
    await expect(read).rejects.toThrow(ValidationFailedError);
    await expect(read).rejects.toThrow(`imageParameter "${NAME}" does not exist in this account and region`);
  });

  it.each([
    ['SecureString', { Type: 'SecureString', Value: 'AQICAHh…' }],
    ['StringList', { Type: 'StringList', Value: `${IMAGE},${IMAGE}` }],
  ] as const)('refuses a %s parameter: it does not hold one readable image', async (type, parameter) => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: NAME, Version: 1, ...parameter } });

    // Act
    const read = new SsmImageParameters().read(NAME);

    // Assess
    await expect(read).rejects.toThrow(`imageParameter "${NAME}" must be a String parameter holding one image reference, got a ${type}`);
  });

  it('lets any other error through, for the workflow to retry', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ssm.on(GetParameterCommand).rejects(throttled);

    // Act
    const read = new SsmImageParameters({ client: new SSMClient({ maxAttempts: 1 }) }).read(NAME);

    // Assess
    await expect(read).rejects.toThrow(throttled);
  });
});
