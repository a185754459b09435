/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1/localhost, so local
 * HTTPS fakes (the Kubernetes API) are verified against a real CA instead of skipping TLS checks.
 *
 * node-forge builds the X.509 certificates, which Node's crypto cannot do; Node generates the keys
 * and computes the RSA signatures, because forge's pure-JS RSA takes seconds per certificate
 * inside jest's VM.
 */
import { constants, generateKeyPairSync, privateEncrypt } from 'node:crypto';
import forge from 'node-forge';
import { keptInRun } from './run-cache';

export interface TestCa {
  /** The CA certificate (PEM): what a client trusts. */
  readonly caPem: string;
  /** The server certificate (PEM), signed by the CA, for `127.0.0.1` and `localhost`. */
  readonly certPem: string;
  /** The server certificate's private key (PEM). */
  readonly keyPem: string;
}

let shared: Promise<TestCa> | undefined;

/**
 * The CA of this process: generated once per test file (module registry), then reused. In a test
 * run, the first file to need one keeps it (local/run-cache.ts) and the later files take it from
 * there: two RSA keys cost a few hundred milliseconds of CPU, the same for every file.
 */
export function testCa(): Promise<TestCa> {
  shared ??= Promise.resolve().then(() => keptInRun('test-ca.json', () => createTestCa(), { secret: true }));
  return shared;
}

/** A fresh, unrelated CA and server certificate (e.g. to prove a client rejects a foreign CA). */
export function createTestCa(commonName = 'serinus test CA'): TestCa {
  const caKeys = rsaKeyPair();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = randomSerial();
  setValidity(ca);
  const caSubject = [{ name: 'commonName', value: commonName }];
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.signer, forge.md.sha256.create());

  const serverKeys = rsaKeyPair();
  const server = forge.pki.createCertificate();
  server.publicKey = serverKeys.publicKey;
  server.serialNumber = randomSerial();
  setValidity(server);
  server.setSubject([{ name: 'commonName', value: 'localhost' }]);
  server.setIssuer(caSubject);
  server.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  server.sign(caKeys.signer, forge.md.sha256.create());

  return {
    caPem: forge.pki.certificateToPem(ca),
    certPem: forge.pki.certificateToPem(server),
    keyPem: serverKeys.privateKeyPem,
  };
}

/** DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256; the 32-byte digest follows it. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

interface KeyPair {
  readonly publicKey: forge.pki.PublicKey;
  readonly privateKeyPem: string;
  /** Stands in for a forge private key in `cert.sign`, which only calls `sign(md)`. */
  readonly signer: forge.pki.rsa.PrivateKey;
}

function rsaKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const sign = (md: forge.md.MessageDigest): string => {
    const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, Buffer.from(md.digest().getBytes(), 'binary')]);
    return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo).toString('binary');
  };
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    privateKeyPem: privateKey,
    signer: { sign } as unknown as forge.pki.rsa.PrivateKey,
  };
}

function setValidity(cert: forge.pki.Certificate): void {
  // Back-dated a day so a skewed clock in CI still accepts it.
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now + 365 * 24 * 3600 * 1000);
}

function randomSerial(): string {
  // A leading 01 keeps the DER integer positive.
  return `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
}
