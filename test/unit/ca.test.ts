/**
 * Unit tier, the certificate library (runtime/ca) and `beamwire ca`: what a
 * node certificate holds (the subjectAltName layout inet_tls_dist reads,
 * usages, serials, validity), CSR signing under the authorizer's node name,
 * key files at 0600, and the certificates a test needs refused (expired,
 * another host, another CA) as Node's tls refuses them. Real Erlang reading
 * these certificates is test/interop/ca.test.ts.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  caFromPem,
  CaError,
  createCa,
  describeCertificate,
  initCa,
  issueNodeCertificate,
  loadCa,
  makeCsr,
  parseNode,
  signCsr,
  type Ca,
} from '../../runtime/ca/index.js';
import { main } from '../../runtime/cli/main.js';
import { isBeamwireError } from '../../runtime/wire/errors.js';

const DAY = 86_400_000;
let ca: Ca;
let other: Ca;
let dir: string;

beforeAll(async () => {
  [ca, other] = await Promise.all([createCa(), createCa({ name: 'another CA' })]);
  dir = mkdtempSync(join(tmpdir(), 'bw-ca-unit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function der(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

async function rejection(p: Promise<unknown>): Promise<CaError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CaError);
  return e as CaError;
}

describe('the CA certificate', () => {
  it('is a self-signed CA that may sign end-entity certificates only', () => {
    const info = describeCertificate(ca.certPem);
    expect(info.subject).toBe('CN=beamwire CA');
    expect(info.issuer).toBe('CN=beamwire CA');
    expect(info.isCa).toBe(true);
    expect(info.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
    expect(info.publicKey).toBe('ECDSA P-256');
    const x = new X509Certificate(ca.certPem);
    expect(x.ca).toBe(true);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(info.notAfter.getTime() - Date.now()).toBeGreaterThan(3649 * DAY);
    expect(describeCertificate(other.certPem).subject).toBe('CN=another CA');
  });
});

describe('a node certificate', () => {
  it('names the node as inet_tls_dist reads it: directoryName CN=alive first, dNSName host, iPAddress 127.0.0.1 for loopback', async () => {
    const leaf = await issueNodeCertificate({ ca, node: 'alpha@localhost' });
    const info = describeCertificate(leaf.certPem);
    expect(info.altNames).toEqual([
      { type: 'dn', value: 'CN=alpha' },
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
    ]);
    expect(info.nodeNames).toEqual(['alpha']);
    expect(info.subject).toBe('CN=alpha@localhost');
    expect(info.issuer).toBe('CN=beamwire CA');
    // OTP's parse_rdn/1 reads only {utf8String, CN}: the directoryName's CN must be a UTF8String (tag 12), not a PrintableString (19).
    expect(der(leaf.certPem).includes(Buffer.from([0x0c, 5, ...Buffer.from('alpha')]))).toBe(true);
    expect(der(leaf.certPem).includes(Buffer.from([0x13, 5, ...Buffer.from('alpha')]))).toBe(false);
  });

  it('serves both TLS roles, is signed by the CA and holds the key it comes with', async () => {
    const leaf = await issueNodeCertificate({ ca, node: 'alpha@localhost' });
    const info = describeCertificate(leaf.certPem);
    expect(info.isCa).toBe(false);
    expect(info.keyUsage).toEqual(['digitalSignature']);
    expect(info.extendedKeyUsage).toEqual(['serverAuth', 'clientAuth']);
    const x = new X509Certificate(leaf.certPem);
    const caX = new X509Certificate(ca.certPem);
    expect(x.checkIssued(caX)).toBe(true);
    expect(x.verify(caX.publicKey)).toBe(true);
    expect(x.verify(new X509Certificate(other.certPem).publicKey)).toBe(false);
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.publicKey.export({ type: 'spki', format: 'der' })).toEqual(createPublicKey(createPrivateKey(leaf.keyPem)).export({ type: 'spki', format: 'der' }));
    expect(info.fingerprint256).toBe(x.fingerprint256);
  });

  it('has a random 16-byte serial and a notBefore a little in the past', async () => {
    const before = Date.now();
    const [a, b] = await Promise.all([issueNodeCertificate({ ca, node: 'a@localhost' }), issueNodeCertificate({ ca, node: 'a@localhost', days: 30 })]);
    const ia = describeCertificate(a.certPem);
    const ib = describeCertificate(b.certPem);
    expect(ia.serialNumber).toMatch(/^[0-9a-f]{32}$/);
    expect(ia.serialNumber).not.toBe(ib.serialNumber);
    expect(ia.notBefore.getTime()).toBeLessThan(before - 60_000);
    expect(ia.notBefore.getTime()).toBeGreaterThan(before - 10 * 60_000);
    expect(Math.round((ia.notAfter.getTime() - before) / DAY)).toBe(365);
    expect(Math.round((ib.notAfter.getTime() - before) / DAY)).toBe(30);
    expect(ia.valid).toBe(true);
  });

  it('names an IP host as iPAddress and as dNSName (OTP checks the dialled host as a dns_id), and takes the given ips instead of the loopback default', async () => {
    const ipHost = await issueNodeCertificate({ ca, node: 'n@10.1.2.3' });
    expect(describeCertificate(ipHost.certPem).altNames).toEqual([
      { type: 'dn', value: 'CN=n' },
      { type: 'dns', value: '10.1.2.3' },
      { type: 'ip', value: '10.1.2.3' },
    ]);
    expect(new X509Certificate(ipHost.certPem).checkIP('10.1.2.3')).toBe('10.1.2.3');
    const info = describeCertificate((await issueNodeCertificate({ ca, node: 'n@db.example.com', ips: ['10.0.0.7'] })).certPem);
    expect(info.dnsNames).toEqual(['db.example.com']);
    expect(info.ipAddresses).toEqual(['10.0.0.7']);
    expect(describeCertificate((await issueNodeCertificate({ ca, node: 'n@localhost', ips: [] })).certPem).ipAddresses).toEqual([]);
  });

  it('refuses what is not a node name, a bad IP and an empty validity', async () => {
    for (const node of ['alpha', '@host', 'alpha@', 'a b@host', 'a@b@c']) expect((await rejection(issueNodeCertificate({ ca, node }))).code).toBe('BAD_NODE');
    expect((await rejection(issueNodeCertificate({ ca, node: 'n@localhost', ips: ['10.0.0.300'] }))).code).toBe('BAD_OPTION');
    expect((await rejection(issueNodeCertificate({ ca, node: 'n@localhost', days: 0 }))).code).toBe('BAD_OPTION');
    const now = Date.now();
    expect((await rejection(issueNodeCertificate({ ca, node: 'n@localhost', notBefore: new Date(now), notAfter: new Date(now - DAY) }))).code).toBe('BAD_OPTION');
    expect(parseNode('a@b.c')).toEqual({ alive: 'a', host: 'b.c' });
    const e = await rejection(issueNodeCertificate({ ca, node: 'nohost' }));
    expect(isBeamwireError(e, 'BAD_NODE')).toBe(true);
    expect(e.message).toContain('"nohost" must be alive@host');
  });
});

describe('the bad certificates a test needs', () => {
  it('expired: notAfter in the past', async () => {
    const now = Date.now();
    const leaf = await issueNodeCertificate({ ca, node: 'old@localhost', notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) });
    const info = describeCertificate(leaf.certPem);
    expect(info.valid).toBe(false);
    expect(info.notAfter.getTime()).toBeLessThan(now);
    expect(describeCertificate(leaf.certPem, { now: new Date(now - 5 * DAY) }).valid).toBe(true);
  });

  it('for another host, and from another CA', async () => {
    const wrongHost = new X509Certificate((await issueNodeCertificate({ ca, node: 'alpha@elsewhere.example', ips: [] })).certPem);
    expect(wrongHost.checkHost('localhost')).toBeUndefined();
    const foreign = new X509Certificate((await issueNodeCertificate({ ca: other, node: 'alpha@localhost' })).certPem);
    expect(foreign.checkIssued(new X509Certificate(ca.certPem))).toBe(false);
  });
});

describe('certificate requests', () => {
  it('signCsr issues for the node the authorizer names, not the one in the request, and for the request\'s key', async () => {
    const req = await makeCsr('evil@elsewhere');
    const cert = await signCsr(ca, req.csrPem, { node: 'beta@localhost' });
    const info = describeCertificate(cert.certPem);
    expect(cert.node).toBe('beta@localhost');
    expect(info.subject).toBe('CN=beta@localhost');
    expect(info.altNames).toEqual([
      { type: 'dn', value: 'CN=beta' },
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
    ]);
    expect(cert.certPem).not.toMatch(/evil|elsewhere/);
    expect(JSON.stringify(info)).not.toMatch(/evil|elsewhere/);
    const x = new X509Certificate(cert.certPem);
    expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(x.publicKey.export({ type: 'spki', format: 'der' })).toEqual(createPublicKey(createPrivateKey(req.keyPem)).export({ type: 'spki', format: 'der' }));
  });

  it('refuses a request whose signature does not verify, one that is no request, and a bad node name', async () => {
    const req = await makeCsr('gamma@localhost');
    const bytes = der(req.csrPem);
    const at = bytes.indexOf(Buffer.from('gamma'));
    bytes[at] = 'G'.charCodeAt(0); // the subject changes, the signature stays: proof of possession fails
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${bytes.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect((await rejection(signCsr(ca, tampered, { node: 'gamma@localhost' }))).code).toBe('BAD_CSR');
    expect((await rejection(signCsr(ca, ca.certPem, { node: 'gamma@localhost' }))).code).toBe('BAD_PEM');
    expect((await rejection(signCsr(ca, req.csrPem, { node: 'gamma' }))).code).toBe('BAD_NODE');
  });
});

describe('a CA on disk', () => {
  it('initCa writes ca.key at 0600 and ca.pem, never overwrites, and loadCa reads them back', async () => {
    const d = join(dir, 'ca1');
    const made = await initCa({ dir: d, name: 'cluster one', days: 30 });
    expect(statSync(join(d, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(d, 'ca.pem'), 'utf8')).toBe(made.certPem);
    expect(describeCertificate(made.certPem).subject).toBe('CN=cluster one');
    const e = await rejection(initCa({ dir: d }));
    expect(e.code).toBe('EXISTS');
    expect(readFileSync(join(d, 'ca.pem'), 'utf8')).toBe(made.certPem);
    const loaded = await loadCa(d);
    expect(loaded.certPem).toBe(made.certPem);
    const leaf = await issueNodeCertificate({ ca: loaded, node: 'n@localhost' });
    expect(new X509Certificate(leaf.certPem).verify(new X509Certificate(made.certPem).publicKey)).toBe(true);
  });

  it('loadCa names a missing CA and a key that is not the certificate\'s', async () => {
    const e = await rejection(loadCa(join(dir, 'none')));
    expect(e.code).toBe('NO_CA');
    expect(e.message).toContain('beamwire ca init');
    expect((await rejection(caFromPem(ca.certPem, other.keyPem))).code).toBe('BAD_KEY');
    expect((await rejection(caFromPem('not a pem', ca.keyPem))).code).toBe('BAD_PEM');
    expect((await rejection(caFromPem(ca.certPem, 'not a key'))).code).toBe('BAD_PEM');
  });
});

/**
 * A TLS server with `server`'s credentials that asks for a client
 * certificate, and a client that verifies the server's against `trust` as
 * `servername`. The server judges the client's certificate itself
 * (rejectUnauthorized: false, then `authorized`/`authorizationError`): with
 * rejectUnauthorized: true Node's server destroys the socket without an
 * alert and its tlsClientError says only ECONNRESET ("socket hang up"), on
 * both sides, so the reason would be lost.
 */
async function handshake(server: { certPem: string; keyPem: string }, client: { certPem: string; keyPem: string }, trust: string, servername: string): Promise<{ client?: string; server?: string }> {
  const srv: Server = createServer({ cert: server.certPem, key: server.keyPem, ca: trust, requestCert: true, rejectUnauthorized: false });
  const serverSide = new Promise<string | undefined>((resolve) => {
    srv.on('secureConnection', (s: TLSSocket) => {
      const reason = s.authorized ? undefined : String(s.authorizationError);
      s.end();
      resolve(reason);
    });
    srv.on('tlsClientError', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  try {
    const clientSide = await new Promise<string | undefined>((resolve) => {
      const c = connect({ host: '127.0.0.1', port, servername, ca: trust, cert: client.certPem, key: client.keyPem, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
      c.on('secureConnect', () => {
        c.end();
        resolve(undefined);
      });
      c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    const serverResult = await Promise.race([serverSide, new Promise<string>((r) => setTimeout(() => r('no server event'), 2000))]);
    return { ...(clientSide === undefined ? {} : { client: clientSide }), ...(serverResult === undefined ? {} : { server: serverResult }) };
  } finally {
    srv.close();
  }
}

describe("Node's tls with these certificates (TLS 1.2, as inet_tls_dist)", () => {
  it('a server and a client with certificates from the CA connect, verifying the host', async () => {
    const a = await issueNodeCertificate({ ca, node: 'a@localhost' });
    const b = await issueNodeCertificate({ ca, node: 'b@localhost' });
    expect(await handshake(a, b, ca.certPem, 'localhost')).toEqual({});
  });

  it('refuses a server certificate from another CA, an expired one and one for another host, with these codes', async () => {
    const good = await issueNodeCertificate({ ca, node: 'b@localhost' });
    const now = Date.now();
    const foreign = await issueNodeCertificate({ ca: other, node: 'a@localhost' });
    const expired = await issueNodeCertificate({ ca, node: 'a@localhost', notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) });
    const elsewhere = await issueNodeCertificate({ ca, node: 'a@elsewhere.example', ips: [] });
    expect((await handshake(foreign, good, ca.certPem, 'localhost')).client).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect((await handshake(expired, good, ca.certPem, 'localhost')).client).toBe('CERT_HAS_EXPIRED');
    expect((await handshake(elsewhere, good, ca.certPem, 'localhost')).client).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('the server refuses a client certificate from another CA and an expired one', async () => {
    const good = await issueNodeCertificate({ ca, node: 'a@localhost' });
    const now = Date.now();
    const foreign = await issueNodeCertificate({ ca: other, node: 'b@localhost' });
    const expired = await issueNodeCertificate({ ca, node: 'b@localhost', notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) });
    expect((await handshake(good, foreign, ca.certPem, 'localhost')).server).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect((await handshake(good, expired, ca.certPem, 'localhost')).server).toBe('CERT_HAS_EXPIRED');
  });
});

describe('beamwire ca', () => {
  function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    return main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
  }

  it('init, issue and show: the files, their modes, the optfile and the tls options', async () => {
    const d = join(dir, 'cli');
    const init = await run(['ca', 'init', '--dir', d, '--name', 'cli CA']);
    expect(init).toMatchObject({ code: 0, err: '' });
    expect(init.out).toContain('subject:      CN=cli CA');
    expect(statSync(join(d, 'ca.key')).mode & 0o777).toBe(0o600);
    expect((await run(['ca', 'init', '--dir', d])).code).toBe(1);

    const out = join(dir, 'cli-out');
    writeFileSync(join(dir, 'placeholder'), ''); // out does not exist yet: issue makes it
    const issue = await run(['ca', 'issue', 'alpha@localhost', '--dir', d, '--out', out, '--days', '10']);
    expect(issue).toMatchObject({ code: 0, err: '' });
    for (const f of ['alpha@localhost.pem', 'alpha@localhost.key', 'alpha@localhost.ssl_dist.conf']) expect(existsSync(join(out, f))).toBe(true);
    expect(statSync(join(out, 'alpha@localhost.key')).mode & 0o777).toBe(0o600);
    const conf = readFileSync(join(out, 'alpha@localhost.ssl_dist.conf'), 'utf8');
    const [server, client] = conf.split('{client,');
    for (const section of [server!, client!]) {
      expect(section).toContain(`{certfile, "${join(out, 'alpha@localhost.pem')}"}`);
      expect(section).toContain(`{keyfile, "${join(out, 'alpha@localhost.key')}"}`);
      expect(section).toContain(`{cacertfile, "${join(d, 'ca.pem')}"}`);
      expect(section).toContain('{verify, verify_peer}');
      expect(section).toContain("{versions, ['tlsv1.2']}");
    }
    expect(server).toContain('{fail_if_no_peer_cert, true}');
    expect(client).not.toContain('fail_if_no_peer_cert');
    expect(issue.out).toContain(`erl -sname alpha -proto_dist inet_tls -ssl_dist_optfile ${join(out, 'alpha@localhost.ssl_dist.conf')}`);
    expect(issue.out).toMatch(/tls: \{ cert: '[^']*alpha@localhost\.pem', key: '[^']*alpha@localhost\.key', ca: '[^']*ca\.pem', verify: true \}/);
    const info = describeCertificate(readFileSync(join(out, 'alpha@localhost.pem'), 'utf8'));
    expect(info.issuer).toBe('CN=cli CA');
    expect(Math.round((info.notAfter.getTime() - Date.now()) / DAY)).toBe(10);

    const show = await run(['ca', 'show', join(out, 'alpha@localhost.pem')]);
    expect(show.code).toBe(0);
    expect(show.out).toContain('alt names:    DirName CN=alpha, DNS localhost, IP 127.0.0.1');
    expect(show.out).toContain('ext. usage:   serverAuth, clientAuth');
    expect(show.out).toContain(`sha256:       ${info.fingerprint256}`);
  });

  it('says what is wrong: usage (exit 2), no CA, not a certificate (exit 1)', async () => {
    expect(await run(['ca'])).toMatchObject({ code: 2, err: 'beamwire: ca needs init, issue or show (see beamwire ca --help)' });
    expect((await run(['ca', 'issue'])).code).toBe(2);
    expect((await run(['ca', 'issue', 'nohost'])).code).toBe(2);
    expect((await run(['ca', 'issue', 'a@localhost', '--days', 'x'])).code).toBe(2);
    const none = await run(['ca', 'issue', 'a@localhost', '--dir', join(dir, 'nothing')]);
    expect(none.code).toBe(1);
    expect(none.err).toContain('no CA in');
    writeFileSync(join(dir, 'junk.pem'), 'junk');
    const junk = await run(['ca', 'show', join(dir, 'junk.pem')]);
    expect(junk).toMatchObject({ code: 1 });
    expect(junk.err).toContain('holds no PEM certificate');
    expect((await run(['ca', '--help'])).out).toContain('default ./beamwire-ca');
  });
});
