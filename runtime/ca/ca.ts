/**
 * A certificate authority for a cluster: one self-signed CA certificate, and
 * node certificates that serve a node both as a TLS server (accepting) and
 * as a client (dialling), as inet_tls_dist uses them. What a node
 * certificate names is in names.ts.
 *
 * The validity overrides (`notBefore`, `notAfter`) exist for tests that need
 * an expired or not-yet-valid certificate; a certificate for another host is
 * one issued to `alive@otherhost`, one from another CA comes from a second
 * `createCa()`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaError } from './errors.js';
import { generateKey, importKey, spkiOf, type Curve, type SigningKey } from './keys.js';
import { ipsFor, nodeAltNames, parseNode, utf8Name } from './names.js';
import { x509 } from './x509.js';

/** A loaded CA: its certificate and the key that signs with it. */
export interface Ca {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: x509.X509Certificate;
  readonly key: SigningKey;
}

export interface Validity {
  /** Days from now (default: 3650 for a CA, 365 for a node). */
  readonly days?: number;
  /** Overrides: a test's expired or not-yet-valid certificate. Default notBefore: five minutes ago (clock skew between nodes). */
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export interface CreateCaOptions extends Validity {
  /** The CA's subject CN (default 'beamwire CA'). */
  readonly name?: string;
  readonly curve?: Curve;
}

export interface NodeCertificateOptions extends Validity {
  /** `alive@host`: dNSName host, directoryName CN=alive (names.ts). */
  readonly node: string;
  /** iPAddress entries; default: the host if it is an IP, 127.0.0.1 if it resolves to loopback. */
  readonly ips?: readonly string[];
}

export interface NodeCertificate {
  readonly node: string;
  readonly certPem: string;
}

export interface NodeCredentials extends NodeCertificate {
  readonly keyPem: string;
}

const SKEW_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca.key';

function validity(v: Validity, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const days = v.days ?? defaultDays;
  if (!Number.isInteger(days) || days < 1 || days > 100 * 365) throw new CaError('BAD_OPTION', `days must be an integer in 1..36500, not ${days}`);
  const now = Date.now();
  const notBefore = v.notBefore ?? new Date(now - SKEW_MS);
  const notAfter = v.notAfter ?? new Date(now + days * DAY_MS);
  if (!(notBefore.getTime() < notAfter.getTime())) throw new CaError('BAD_OPTION', `notBefore (${notBefore.toISOString()}) must be before notAfter (${notAfter.toISOString()})`);
  return { notBefore, notAfter };
}

/** 16 random bytes, a positive INTEGER whose first byte is never 0 (so DER keeps all 16). */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b.toString('hex');
}

/** A new CA in memory: an ECDSA key and a self-signed certificate that may sign node certificates only (pathLength 0). */
export async function createCa(options: CreateCaOptions = {}): Promise<Ca> {
  const key = await generateKey(options.curve);
  const name = utf8Name([['CN', options.name ?? 'beamwire CA']]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name,
    ...validity(options, 3650),
    signingAlgorithm: key.algorithm,
    keys: { privateKey: key.privateKey, publicKey: key.publicKey },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(key.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: key.keyPem, cert, key };
}

/** A CA from its PEM texts; refuses a key that is not the certificate's. */
export async function caFromPem(certPem: string, keyPem: string, where = 'the CA'): Promise<Ca> {
  const cert = parseCertificate(certPem, `${where} certificate`);
  const key = await importKey(keyPem, `${where} key`);
  if (!(await spkiOf(key.publicKey)).equals(Buffer.from(cert.publicKey.rawData)))
    throw new CaError('BAD_KEY', `${where} key is not the key of ${where} certificate (${cert.subject})`);
  return { certPem: cert.toString('pem'), keyPem: key.keyPem, cert, key };
}

/**
 * Makes a CA in `dir` (created if missing, mode 0700): ca.key (mode 0600)
 * and ca.pem. Never overwrites: a CA that is there already is an 'EXISTS'
 * error, since replacing its key orphans every certificate it issued.
 */
export async function initCa(options: CreateCaOptions & { readonly dir: string }): Promise<Ca & { certFile: string; keyFile: string }> {
  const certFile = join(options.dir, CA_CERT_FILE);
  const keyFile = join(options.dir, CA_KEY_FILE);
  for (const f of [keyFile, certFile]) if (existsSync(f)) throw new CaError('EXISTS', `${f} exists: a CA is there already (remove it first to make a new one)`);
  const ca = await createCa(options);
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, ca.keyPem, { mode: 0o600, flag: 'wx' });
  writeFileSync(certFile, ca.certPem, { mode: 0o644, flag: 'wx' });
  return { ...ca, certFile, keyFile };
}

/** The CA in `dir` (ca.pem, ca.key). */
export async function loadCa(dir: string): Promise<Ca> {
  const certFile = join(dir, CA_CERT_FILE);
  const keyFile = join(dir, CA_KEY_FILE);
  const read = (f: string): string => {
    try {
      return readFileSync(f, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CaError(code === 'ENOENT' ? 'NO_CA' : 'BAD_PEM', `cannot read ${f}: ${code === 'ENOENT' ? `no CA in ${dir} (make one with \`beamwire ca init --dir ${dir}\`)` : (e as Error).message}`);
    }
  };
  return caFromPem(read(certFile), read(keyFile), dir);
}

export function parseCertificate(pem: string, where: string): x509.X509Certificate {
  if (!/-----BEGIN CERTIFICATE-----/.test(pem)) throw new CaError('BAD_PEM', `${where} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  try {
    return new x509.X509Certificate(pem);
  } catch (e) {
    throw new CaError('BAD_PEM', `${where} is not a valid X.509 certificate: ${(e as Error).message}`);
  }
}

/** Signs a node certificate for `publicKey`: the one place that says what a node certificate holds. */
async function issue(ca: Ca, publicKey: x509.PublicKeyType, options: NodeCertificateOptions): Promise<NodeCertificate> {
  const node = parseNode(options.node);
  const ips = await ipsFor(node.host, options.ips);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: utf8Name([['CN', options.node]]),
    issuer: ca.cert.subjectName,
    ...validity(options, 365),
    signingAlgorithm: ca.key.algorithm,
    publicKey,
    signingKey: ca.key.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // digitalSignature only: an ECDSA key signs the handshake (ECDHE_ECDSA); keyEncipherment is for RSA key transport (RFC 5480 §3).
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      // One certificate for both roles: a node accepts (server) and dials (client).
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      nodeAltNames(node, ips),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.key.publicKey),
    ],
  });
  return { node: options.node, certPem: cert.toString('pem') };
}

/** A new key and a node certificate for it. */
export async function issueNodeCertificate(options: NodeCertificateOptions & { readonly ca: Ca }): Promise<NodeCredentials> {
  parseNode(options.node);
  const key = await generateKey();
  const cert = await issue(options.ca, key.publicKey, options);
  return { ...cert, keyPem: key.keyPem };
}

/**
 * The requester's side of getting a certificate from a CA node: a key that
 * never leaves it and a PKCS#10 request signed with it. The request's
 * subject says which node asks, for the CA's log; the CA does not trust it.
 */
export async function makeCsr(node: string): Promise<{ csrPem: string; keyPem: string }> {
  parseNode(node);
  const key = await generateKey();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: utf8Name([['CN', node]]),
    signingAlgorithm: key.algorithm,
    keys: { privateKey: key.privateKey, publicKey: key.publicKey },
  });
  return { csrPem: csr.toString('pem'), keyPem: key.keyPem };
}

/**
 * The CA's side: a node certificate for the request's public key, for the
 * node the *authorizer* names (`options.node`), never the name in the
 * request. Refuses a request whose signature does not verify: without it
 * nothing shows that the requester holds the key.
 */
export async function signCsr(ca: Ca, csrPem: string, options: NodeCertificateOptions): Promise<NodeCertificate> {
  parseNode(options.node);
  if (!/-----BEGIN CERTIFICATE REQUEST-----/.test(csrPem)) throw new CaError('BAD_PEM', 'the certificate request holds no PEM request (-----BEGIN CERTIFICATE REQUEST-----)');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (e) {
    throw new CaError('BAD_PEM', `the certificate request is not a valid PKCS#10 request: ${(e as Error).message}`);
  }
  let verified = false;
  try {
    verified = await csr.verify();
  } catch {
    // an algorithm WebCrypto cannot verify: refused below like a bad signature
  }
  if (!verified) throw new CaError('BAD_CSR', `the certificate request (${csr.subject}) is not signed by its own key`);
  return issue(ca, csr.publicKey, options);
}
