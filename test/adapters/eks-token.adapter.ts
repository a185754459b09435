import { createHash, createHmac } from 'node:crypto';
import { createEksToken, EKS_TOKEN_PREFIX } from '../../lambda/adapters/eks-token';

const credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
const now = new Date('2026-01-02T03:04:05Z');

function decode(token: string): URL {
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

/** SigV4 query signing done independently of @smithy/signature-v4, from the URL alone. */
function expectedSignature(url: URL, clusterName: string, secretAccessKey: string): string {
  const params = [...url.searchParams.entries()].filter(([name]) => name !== 'X-Amz-Signature');
  const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalQuery = params
    .map(([name, value]) => `${encode(name)}=${encode(value)}`)
    .sort()
    .join('&');
  const canonicalRequest = [
    'GET',
    '/',
    canonicalQuery,
    `host:${url.host}\nx-k8s-aws-id:${clusterName}\n`,
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const amzDate = url.searchParams.get('X-Amz-Date') ?? '';
  const scope = (url.searchParams.get('X-Amz-Credential') ?? '').split('/').slice(1).join('/');
  const [date, region, service] = scope.split('/');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

describe('createEksToken', () => {
  it('is k8s-aws-v1. followed by unpadded base64url', async () => {
    // Act
    const token = await createEksToken('prod', { region: 'eu-west-1', credentials, now });

    // Assess
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token.slice(EKS_TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('encodes a presigned STS GetCallerIdentity URL for the region that signs the cluster header', async () => {
    // Act
    const url = decode(await createEksToken('prod', { region: 'eu-west-1', credentials, now }));

    // Assess
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20260102/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20260102T030405Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('carries a signature that SigV4 computed independently agrees with', async () => {
    // Act
    const url = decode(await createEksToken('prod', { region: 'eu-west-1', credentials, now }));

    // Assess
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'prod', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'));
  });

  it('includes the session token of temporary credentials', async () => {
    // Prepare
    const temporary = async () => ({ ...(await credentials()), sessionToken: 'session/token+1' });

    // Act
    const url = decode(await createEksToken('prod', { region: 'eu-west-1', credentials: temporary, now }));

    // Assess
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session/token+1');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'prod', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'));
  });

  it('is deterministic for fixed credentials and time, and bound to the cluster', async () => {
    // Act
    const first = await createEksToken('prod', { region: 'eu-west-1', credentials, now });
    const again = await createEksToken('prod', { region: 'eu-west-1', credentials, now });
    const other = await createEksToken('staging', { region: 'eu-west-1', credentials, now });

    // Assess
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('defaults to AWS_REGION and the default credential chain', async () => {
    // Act (test/support/env.ts sets AWS_REGION and static keys in the environment)
    const url = decode(await createEksToken('prod', { now }));

    // Assess
    expect(url.host).toBe(`sts.${process.env.AWS_REGION}.amazonaws.com`);
    expect(url.searchParams.get('X-Amz-Credential')).toBe(`${process.env.AWS_ACCESS_KEY_ID}/20260102/${process.env.AWS_REGION}/sts/aws4_request`);
  });

  it('refuses to sign without a region', async () => {
    // Prepare
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;

    try {
      // Act & Assess
      await expect(createEksToken('prod', { credentials, now })).rejects.toThrow(/no region/);
    } finally {
      process.env.AWS_REGION = region;
    }
  });
});
