/** What a certificate holds, for `beamwire ca show` and for tests. */
import { createHash } from 'node:crypto';
import { parseCertificate } from './ca.js';
import { x509 } from './x509.js';

export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  /** Hex, as in the certificate. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Whether now is inside notBefore..notAfter. */
  readonly valid: boolean;
  readonly isCa: boolean;
  /** subjectAltName, in order: `{ type: 'dn', value: 'CN=alive' }`, `{ type: 'dns', value: host }`, `{ type: 'ip', value }`. */
  readonly altNames: ReadonlyArray<{ readonly type: string; readonly value: string }>;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  /** The CNs of directoryName entries: what inet_tls_dist:cert_nodes/1 reads as the node's alive name. */
  readonly nodeNames: readonly string[];
  readonly keyUsage: readonly string[];
  readonly extendedKeyUsage: readonly string[];
  readonly publicKey: string;
  /** SHA-256 of the DER, colon-separated upper-case hex (as openssl x509 -fingerprint -sha256 and Node's fingerprint256 print it). */
  readonly fingerprint256: string;
}

const EKU_NAMES: Readonly<Record<string, string>> = { '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth' };

/** `where` names the file or value in errors; `now` is the time `valid` is judged at. */
export function describeCertificate(pem: string, options: { readonly where?: string; readonly now?: Date } = {}): CertificateInfo {
  const cert = parseCertificate(pem, options.where ?? 'the certificate');
  const now = options.now ?? new Date();
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const altNames = (san?.names.items ?? []).map((n) => ({ type: n.type, value: n.value }));
  const of = (type: string): string[] => altNames.filter((n) => n.type === type).map((n) => n.value);
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  const keyUsage = usage ? Object.entries(x509.KeyUsageFlags).filter(([k, v]) => typeof v === 'number' && isNaN(Number(k)) && (usage.usages & v) !== 0).map(([k]) => k) : [];
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const alg = cert.publicKey.algorithm as { name: string; namedCurve?: string };
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    valid: cert.notBefore <= now && now <= cert.notAfter,
    isCa: basic?.ca ?? false,
    altNames,
    dnsNames: of('dns'),
    ipAddresses: of('ip'),
    nodeNames: of('dn').flatMap((dn) => new x509.Name(dn).getField('CN')),
    keyUsage,
    extendedKeyUsage: Array.from(eku?.usages ?? [], String).map((u) => EKU_NAMES[String(u)] ?? String(u)),
    publicKey: alg.namedCurve ? `${alg.name} ${alg.namedCurve}` : alg.name,
    fingerprint256: createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:'),
  };
}
