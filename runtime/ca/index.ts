/**
 * `beamwire/ca`: a certificate authority for TLS distribution
 * (`-proto_dist inet_tls`). Node certificates name the node as OTP reads
 * it (names.ts) and serve both TLS roles. Loaded only through this subpath
 * and by `beamwire ca`: `import 'beamwire'` never loads @peculiar/x509.
 */
export {
  createCa,
  caFromPem,
  initCa,
  loadCa,
  issueNodeCertificate,
  makeCsr,
  signCsr,
  CA_CERT_FILE,
  CA_KEY_FILE,
  type Ca,
  type CreateCaOptions,
  type NodeCertificateOptions,
  type NodeCertificate,
  type NodeCredentials,
  type Validity,
} from './ca.js';
export { describeCertificate, type CertificateInfo } from './describe.js';
export { parseNode, type NodeName } from './names.js';
export { CaError, type CaErrorCode } from './errors.js';
export type { Curve, SigningKey } from './keys.js';
