/**
 * Certificates for TLS distribution tests: one CA, one certificate per node
 * (both roles: extendedKeyUsage serverAuth + clientAuth; SAN dNSName = the
 * host part of the node name, iPAddress 127.0.0.1, directoryName CN = the
 * alive part, as inet_tls_dist's cert_nodes/1 reads it) and the bad ones a
 * test must see refused: another CA's, an expired one, one for another host.
 *
 * Made with the `openssl` CLI for now; once beamwire's own CA library
 * (runtime/ca/) is on main, this function's body is swapped for it and every
 * TLS test follows.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
  /** Signed by the cluster CA for a host no node has (SAN other.invalid only). */
  readonly wrongHost: CertFiles;
}

const openssl = (cwd: string, args: string[]): void => void execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

function makeCa(dir: string, name: string, cn: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-days', '3650', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  mkdirSync(join(dir, `${name}.db`), { recursive: true });
  writeFileSync(join(dir, `${name}.db`, 'index.txt'), '');
  writeFileSync(
    join(dir, `${name}.cnf`),
    [
      '[ca]', 'default_ca = this', '[this]', `dir = ${join(dir, `${name}.db`)}`, 'database = $dir/index.txt', 'new_certs_dir = $dir',
      `certificate = ${join(dir, `${name}.pem`)}`, `private_key = ${join(dir, `${name}.key`)}`, 'default_md = sha256', 'policy = any',
      'unique_subject = no', 'copy_extensions = none', 'rand_serial = yes', '[any]', 'commonName = supplied', '',
    ].join('\n'),
  );
}

/** A leaf for `alive@host` signed by CA `ca`, valid from `start` to `end` (openssl ca's YYYYMMDDHHMMSSZ). */
function issue(dir: string, ca: string, file: string, alive: string, sans: string, start: Date, end: Date): CertFiles {
  openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${alive}`]);
  const ext = join(dir, `${file}.ext`);
  writeFileSync(
    ext,
    ['[leaf]', 'basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature',
      'extendedKeyUsage = serverAuth,clientAuth', `subjectAltName = ${sans},dirName:dn`, '[dn]', `CN = ${alive}`, ''].join('\n'),
  );
  openssl(dir, ['ca', '-batch', '-notext', '-config', `${ca}.cnf`, '-extfile', ext, '-extensions', 'leaf', '-in', `${file}.csr`, '-out', `${file}.pem`,
    '-startdate', stamp(start), '-enddate', stamp(end)]);
  return { cert: join(dir, `${file}.pem`), key: join(dir, `${file}.key`) };
}

const stamp = (d: Date): string => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
const DAY = 86_400_000;

/** Another certificate for `node` from the cluster CA that `makeClusterCerts(dir, ...)` made (new key, new serial): for rotation. */
export function reissue(dir: string, node: string, tag: string): CertFiles {
  const [alive, host] = node.split('@') as [string, string];
  const now = Date.now();
  return issue(dir, 'ca', `node-${alive}-${tag}`, alive, `DNS:${host},IP:127.0.0.1`, new Date(now - DAY), new Date(now + 30 * DAY));
}

/** Makes the CA and certificates in `dir` for `nodes` (`alive@host`); returns their paths. */
export function makeClusterCerts(dir: string, nodes: readonly string[]): ClusterCerts {
  mkdirSync(dir, { recursive: true });
  makeCa(dir, 'ca', 'beamwire test cluster CA');
  makeCa(dir, 'other-ca', 'some other CA');
  const now = Date.now();
  const from = new Date(now - DAY);
  const until = new Date(now + 30 * DAY);
  const files: Record<string, CertFiles> = {};
  for (const n of nodes) {
    const [alive, host] = n.split('@') as [string, string];
    files[n] = issue(dir, 'ca', `node-${alive}`, alive, `DNS:${host},IP:127.0.0.1`, from, until);
  }
  const [alive0, host0] = (nodes[0] ?? 'bad@localhost').split('@') as [string, string];
  return {
    ca: join(dir, 'ca.pem'),
    nodes: files,
    otherCa: { ...issue(dir, 'other-ca', 'bad-other-ca', alive0, `DNS:${host0},IP:127.0.0.1`, from, until), ca: join(dir, 'other-ca.pem') },
    expired: issue(dir, 'ca', 'bad-expired', alive0, `DNS:${host0},IP:127.0.0.1`, new Date(now - 30 * DAY), new Date(now - DAY)),
    wrongHost: issue(dir, 'ca', 'bad-wrong-host', alive0, 'DNS:other.invalid', from, until),
  };
}
