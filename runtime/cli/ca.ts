/**
 * `beamwire ca`: a cluster CA for TLS distribution (runtime/ca). The
 * certificate library (@peculiar/x509) loads only when a `ca` command runs,
 * so the other commands stay light.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { CertificateInfo } from '../ca/index.js';
import type { Io } from './io.js';

export const DEFAULT_CA_DIR = 'beamwire-ca';

export const CA_HELP = `usage: beamwire ca init [--dir ${DEFAULT_CA_DIR}] [--name NAME] [--days 3650]
       beamwire ca issue NODE@HOST [--dir ${DEFAULT_CA_DIR}] [--out DIR] [--days 365] [--ip A,B]
       beamwire ca show FILE

A certificate authority for TLS distribution (erl -proto_dist inet_tls).

  init    makes DIR/ca.key (mode 0600: keep it secret) and DIR/ca.pem (give it
          to every node); refuses if DIR holds a CA already
  issue   makes a key and a certificate for NODE@HOST signed by the CA in DIR,
          and writes OUT/NODE.pem, OUT/NODE.key (0600) and OUT/NODE.ssl_dist.conf;
          prints the erl command line, the ssl_dist_optfile and the
          matching beamwire tls options. The certificate serves the node both
          as TLS server and client (extendedKeyUsage serverAuth, clientAuth)
          and names it as OTP reads it: subjectAltName directoryName CN=NODE
          (inet_tls_dist:cert_nodes/1), dNSName HOST (the host erl dials and
          net_kernel:allow/1 checks; an IP HOST too), iPAddress HOST if it is an
          IP, 127.0.0.1 when HOST is loopback
  show    prints what a certificate (PEM) holds: subject, issuer, validity,
          alternative names, usages, SHA-256 fingerprint

  --dir DIR         the CA's folder (default ./${DEFAULT_CA_DIR})
  --out DIR         where issue writes the node's files (default: the CA's folder)
  --name NAME       the CA certificate's common name (default 'beamwire CA')
  --days N          validity in days (default 3650 for the CA, 365 for a node)
  --ip A,B          iPAddress entries for issue, instead of the loopback default
  --debug           stack traces`;

export interface CaArgs {
  readonly sub: 'init' | 'issue' | 'show';
  /** issue: NODE@HOST; show: FILE. */
  readonly target?: string;
  readonly dir: string;
  readonly out?: string;
  readonly name?: string;
  readonly days?: number;
  readonly ips?: readonly string[];
}

/** What `path` is to someone in the current directory: relative when inside it. */
function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r === '' || r.startsWith('..') ? resolve(path) : r;
}

/** A TypeScript string literal, single-quoted as the project writes them. */
function tsString(s: string): string {
  return `'${s.replace(/[\\']/g, '\\$&')}'`;
}

/** An Erlang string literal (file:consult reads the optfile as UTF-8). */
function erlString(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

export interface NodeFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/**
 * The ssl_dist_optfile for `erl -proto_dist inet_tls`: mutual TLS
 * (verify_peer both ways, fail_if_no_peer_cert on the accepting side, which
 * is also what makes net_kernel:allow/1 read the peer's certificate), TLS 1.2
 * as inet_tls_dist:dist_defaults/1 picks when no versions are given.
 */
export function sslDistOptfile(node: string, files: NodeFiles): string {
  const common = [
    `{certfile, ${erlString(resolve(files.cert))}}`,
    `{keyfile, ${erlString(resolve(files.key))}}`,
    `{cacertfile, ${erlString(resolve(files.ca))}}`,
    '{verify, verify_peer}',
  ];
  const tail = ['{secure_renegotiate, true}', "{versions, ['tlsv1.2']}"];
  const list = (items: string[]): string => `[${items.join(',\n    ')}]`;
  return `%% coding: utf-8
%% ssl_dist_optfile for ${node}, written by beamwire ca issue:
%%   erl -proto_dist inet_tls -ssl_dist_optfile THIS_FILE ...
[{server,
   ${list([...common, '{fail_if_no_peer_cert, true}', ...tail])}},
 {client,
   ${list([...common, ...tail])}}].
`;
}

/** `alive@host` → erl's -sname or -name flag for it (a host with a dot is a long name). */
function erlNameFlag(node: string): string {
  const [alive, host] = [node.slice(0, node.indexOf('@')), node.slice(node.indexOf('@') + 1)];
  return host.includes('.') ? `-name ${node}` : `-sname ${alive}`;
}

function summary(info: CertificateInfo): string[] {
  const alt = info.altNames.map((n) => `${n.type === 'dn' ? 'DirName' : n.type === 'dns' ? 'DNS' : n.type === 'ip' ? 'IP' : n.type} ${n.value}`);
  const state = info.valid ? 'valid now' : info.notAfter.getTime() < Date.now() ? 'EXPIRED' : 'NOT YET VALID';
  return [
    `subject:      ${info.subject}`,
    `issuer:       ${info.issuer}`,
    `serial:       ${info.serialNumber}`,
    `validity:     ${info.notBefore.toISOString()} .. ${info.notAfter.toISOString()} (${state})`,
    `CA:           ${info.isCa ? 'yes' : 'no'}`,
    `alt names:    ${alt.length ? alt.join(', ') : '(none)'}`,
    ...(info.nodeNames.length ? [`node name:    ${info.nodeNames.join(', ')} (directoryName CN, read by inet_tls_dist:cert_nodes/1)`] : []),
    `key usage:    ${info.keyUsage.join(', ') || '(any)'}`,
    ...(info.extendedKeyUsage.length ? [`ext. usage:   ${info.extendedKeyUsage.join(', ')}`] : []),
    `public key:   ${info.publicKey}`,
    `sha256:       ${info.fingerprint256}`,
  ];
}

export async function ca(args: CaArgs, io: Io): Promise<number> {
  const lib = await import('../ca/index.js');
  switch (args.sub) {
    case 'init': {
      const made = await lib.initCa({ dir: args.dir, ...(args.name === undefined ? {} : { name: args.name }), ...(args.days === undefined ? {} : { days: args.days }) });
      io.out(`wrote ${shown(made.keyFile)} (the CA's key, mode 0600: keep it secret) and ${shown(made.certFile)} (give it to every node)`);
      for (const line of summary(lib.describeCertificate(made.certPem))) io.out(`  ${line}`);
      io.out(`next: beamwire ca issue NODE@HOST${args.dir === DEFAULT_CA_DIR ? '' : ` --dir ${args.dir}`}`);
      return 0;
    }
    case 'issue': {
      const node = args.target!;
      const authority = await lib.loadCa(args.dir);
      const made = await lib.issueNodeCertificate({ ca: authority, node, ...(args.days === undefined ? {} : { days: args.days }), ...(args.ips === undefined ? {} : { ips: args.ips }) });
      const out = args.out ?? args.dir;
      mkdirSync(out, { recursive: true });
      const files = { cert: join(out, `${node}.pem`), key: join(out, `${node}.key`), ca: join(args.dir, lib.CA_CERT_FILE) };
      const optfile = join(out, `${node}.ssl_dist.conf`);
      const replaced = existsSync(files.cert);
      writeFileSync(files.key, made.keyPem, { mode: 0o600 });
      chmodSync(files.key, 0o600); // a key file that was there keeps its mode through writeFileSync
      writeFileSync(files.cert, made.certPem);
      const conf = sslDistOptfile(node, files);
      writeFileSync(optfile, conf);
      io.out(`${replaced ? 'replaced' : 'wrote'} ${shown(files.cert)}, ${shown(files.key)} (mode 0600) and ${shown(optfile)}`);
      for (const line of summary(lib.describeCertificate(made.certPem))) io.out(`  ${line}`);
      io.out('');
      io.out(`erl: erl ${erlNameFlag(node)} -proto_dist inet_tls -ssl_dist_optfile ${resolve(optfile)}`);
      io.out(`${shown(optfile)}:`);
      for (const line of conf.trimEnd().split('\n')) io.out(`  ${line}`);
      io.out('');
      io.out('beamwire (Node.start / connect options):');
      io.out(`  tls: { cert: ${tsString(shown(files.cert))}, key: ${tsString(shown(files.key))}, ca: ${tsString(shown(files.ca))}, verify: true }`);
      return 0;
    }
    case 'show': {
      const file = args.target!;
      let pem: string;
      try {
        pem = readFileSync(file, 'utf8');
      } catch (e) {
        throw new Error(`cannot read ${file}: ${(e as Error).message}`);
      }
      for (const line of summary(lib.describeCertificate(pem, { where: file }))) io.out(line);
      return 0;
    }
  }
}
