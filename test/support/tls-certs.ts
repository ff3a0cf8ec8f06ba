/**
 * Certificates for TLS distribution tests, made by beamwire's own CA: the
 * cluster CA and one certificate per node come from the `beamwire ca init`
 * and `beamwire ca issue` commands (run in-process, as a user runs them),
 * and the bad ones a test must see refused from the same library with one
 * thing wrong each: another CA's, an expired one, one for another host.
 * Node certificates serve both roles (serverAuth + clientAuth) and name the
 * node as inet_tls_dist reads it (runtime/ca/names.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, issueNodeCertificate, loadCa, type NodeCredentials } from '../../runtime/ca/index.js';
import { main } from '../../runtime/cli/main.js';

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

export interface ClusterCerts {
  /** The cluster CA's certificate (PEM file). */
  readonly ca: string;
  /** Per node name: its certificate and key (PEM files). */
  readonly nodes: Readonly<Record<string, CertFiles>>;
  /** For the host of the first node: signed by another CA (with that CA's certificate in `otherCa`). */
  readonly otherCa: CertFiles & { readonly ca: string };
  /** Signed by the cluster CA, valid until yesterday. */
  readonly expired: CertFiles;
  /** Signed by the cluster CA for a host no node has (other.invalid, no IP). */
  readonly wrongHost: CertFiles;
}

const DAY = 86_400_000;

/** `beamwire ca ...`, in-process; throws with what it printed unless it exits 0. */
async function beamwireCa(args: string[]): Promise<void> {
  const lines: string[] = [];
  const code = await main(['ca', ...args], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  if (code !== 0) throw new Error(`beamwire ca ${args.join(' ')} exited ${code}: ${lines.join('\n')}`);
}

function save(dir: string, file: string, c: NodeCredentials): CertFiles {
  const files = { cert: join(dir, `${file}.pem`), key: join(dir, `${file}.key`) };
  writeFileSync(files.cert, c.certPem);
  writeFileSync(files.key, c.keyPem, { mode: 0o600 });
  return files;
}

/** Another certificate for `node` from the cluster CA in `dir` (new key, new serial): for rotation. */
export async function reissue(dir: string, node: string, tag: string): Promise<CertFiles> {
  return save(dir, `${node}-${tag}`, await issueNodeCertificate({ ca: await loadCa(dir), node }));
}

/** Makes the CA and certificates in `dir` for `nodes` (`alive@host`) with `beamwire ca`; returns their paths. */
export async function makeClusterCerts(dir: string, nodes: readonly string[]): Promise<ClusterCerts> {
  await beamwireCa(['init', '--dir', dir, '--name', 'beamwire test cluster CA']);
  const files: Record<string, CertFiles> = {};
  for (const n of nodes) {
    await beamwireCa(['issue', n, '--dir', dir]);
    files[n] = { cert: join(dir, `${n}.pem`), key: join(dir, `${n}.key`) };
  }
  const ca = await loadCa(dir);
  const first = nodes[0] ?? 'bad@localhost';
  const [alive0] = first.split('@') as [string, string];
  const other = await createCa({ name: 'some other CA' });
  writeFileSync(join(dir, 'other-ca.pem'), other.certPem);
  const now = Date.now();
  return {
    ca: join(dir, 'ca.pem'),
    nodes: files,
    otherCa: { ...save(dir, 'bad-other-ca', await issueNodeCertificate({ ca: other, node: first })), ca: join(dir, 'other-ca.pem') },
    expired: save(dir, 'bad-expired', await issueNodeCertificate({ ca, node: first, notBefore: new Date(now - 30 * DAY), notAfter: new Date(now - DAY) })),
    wrongHost: save(dir, 'bad-wrong-host', await issueNodeCertificate({ ca, node: `${alive0}@other.invalid`, ips: [] })),
  };
}
