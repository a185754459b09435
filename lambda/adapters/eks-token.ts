/**
 * The bearer token EKS accepts from IAM principals, as `aws eks get-token` and
 * aws-iam-authenticator make it: a presigned STS GetCallerIdentity URL that signs the
 * `x-k8s-aws-id` header (binding the token to one cluster), base64url-encoded without padding.
 * EKS accepts it for about 15 minutes from its signing time, whatever X-Amz-Expires says.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';

/** Created once: the provider memoizes credentials and refreshes them before they expire. */
const defaultCredentials: AwsCredentialIdentityProvider = defaultProvider();

export interface EksTokenOptions {
  /** @default - `AWS_REGION` (Lambda always sets it) */
  readonly region?: string;
  /** @default - the SDK's default credential chain (the Lambda role) */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** The signing time. @default - now */
  readonly now?: Date;
}

export async function createEksToken(clusterName: string, options: EksTokenOptions = {}): Promise<string> {
  const region = options.region ?? process.env.AWS_REGION;
  if (!region) {
    throw new Error('cannot create an EKS token: no region (set AWS_REGION or pass options.region)');
  }
  const hostname = `sts.${region}.amazonaws.com`;
  const signer = new SignatureV4({
    credentials: options.credentials ?? defaultCredentials,
    region,
    service: 'sts',
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': clusterName },
    }),
    { expiresIn: 60, signingDate: options.now ?? new Date() },
  );
  const url = `https://${hostname}/?${queryString(presigned.query ?? {})}`;
  return EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

/** Sorted and RFC 3986-encoded, as the signer canonicalised it. */
function queryString(query: NonNullable<HttpRequest['query']>): string {
  return Object.keys(query)
    .sort()
    .flatMap((name) => {
      const value = query[name];
      const values = Array.isArray(value) ? [...value].sort() : [value ?? ''];
      return values.map((text) => `${rfc3986(name)}=${rfc3986(text)}`);
    })
    .join('&');
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
