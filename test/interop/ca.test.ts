/**
 * Interop tier, certificates from `beamwire ca` in real Erlang's TLS
 * distribution: the ssl_dist_optfile `beamwire ca issue` writes is what
 * `erl -proto_dist inet_tls -ssl_dist_optfile FILE` runs with (inet_tls_dist,
 * mutual verify_peer); two nodes with certificates from the CA connect
 * (net_adm:ping/1 → pong), and a node whose certificate comes from another
 * CA, has expired or names another host is refused (pang). Also what
 * inet_tls_dist:cert_nodes/1 reads from a node certificate. Both nodes
 * register with an embedded EPMD on a random port. Fails without erl.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueNodeCertificate, loadCa } from '../../runtime/ca/index.js';
import { sslDistOptfile } from '../../runtime/cli/ca.js';
import { main } from '../../runtime/cli/main.js';
import { EpmdClient, EpmdServer } from '../../runtime/epmd/index.js';
import { shortHost } from '../../runtime/node/names.js';
import { alertCode } from '../../runtime/transport/index.js';
import { requireElixir, requireErl, runAgainst, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort } from '../support/net.js';

const epmdPort = testPort();
const COOKIE = 'tlssecret';
const DAY = 86_400_000;
const host = shortHost();
let epmd: EpmdServer;
let dir: string;
let caDir: string;
let server: ErlNode | undefined;
const quiet = { out: () => {}, err: (l: string) => process.stderr.write(`${l}\n`) };

/** `beamwire ca issue alive@host` (or `name` as given when it has an @) into the test's folder; returns the optfile it wrote. */
async function issue(name: string, ...flags: string[]): Promise<string> {
  const node = name.includes('@') ? name : `${name}@${host}`;
  const code = await main(['ca', 'issue', node, '--dir', caDir, '--out', dir, ...flags], quiet);
  if (code !== 0) throw new Error(`beamwire ca issue ${node} exited ${code}`);
  return join(dir, `${node}.ssl_dist.conf`);
}

function tlsArgs(optfile: string): string[] {
  return ['-proto_dist', 'inet_tls', '-ssl_dist_optfile', optfile];
}

/** Files and an optfile (as `beamwire ca issue` writes them) for a certificate made here: expired, another host's, another CA's. */
function writeNode(alive: string, leaf: { certPem: string; keyPem: string }, caFile: string): string {
  const files = { cert: join(dir, `${alive}.pem`), key: join(dir, `${alive}.key`), ca: caFile };
  writeFileSync(files.cert, leaf.certPem);
  writeFileSync(files.key, leaf.keyPem, { mode: 0o600 });
  const optfile = join(dir, `${alive}.ssl_dist.conf`);
  writeFileSync(optfile, sslDistOptfile(`${alive}@${host}`, files));
  return optfile;
}

/** Starts `alive` (-sname; `alive@host` is -name) with `optfile` and has it ping `target`; resolves with what net_adm:ping/1 gave and everything erl printed. */
async function pingFrom(alive: string, optfile: string, target: string): Promise<{ answer: string; out: string }> {
  const r = await runAgainst(epmdPort, 'erl', [
    alive.includes('@') ? '-name' : '-sname', alive, '-setcookie', COOKIE, '-start_epmd', 'false', '-noshell', ...tlsArgs(optfile),
    '-eval', `io:format("ping=~p~n", [net_adm:ping('${target}')]), halt().`,
  ]);
  const m = /ping=(\w+)/.exec(r.out);
  if (m === null) throw new Error(`erl ${alive} printed no ping result (exit ${r.code}): ${r.out}`);
  return { answer: m[1]!, out: r.out };
}

/** What `text()` holds once it matches `pattern` (erl's logger writes the TLS notice a moment after the ping returns), or after 5 s. */
async function settled(text: () => string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 5000;
  while (!pattern.test(text()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return text();
}

/**
 * A Node tls client's handshake with the inet_tls_dist listener of the erl
 * node `alive` (only TLS: no distribution handshake follows), verifying the
 * server as `host` against `caFile`: the protocol and cipher on success,
 * else the error code.
 */
async function tlsTo(alive: string, creds: { certPem: string; keyPem: string } | undefined, caFile: string): Promise<{ protocol?: string; cipher?: string; error?: string }> {
  const info = await new EpmdClient({ port: epmdPort }).portPlease(alive);
  if (info === undefined) throw new Error(`${alive} is not registered with EPMD on ${epmdPort}`);
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port: info.port, servername: host, ca: readFileSync(caFile, 'utf8'), ...(creds ? { cert: creds.certPem, key: creds.keyPem } : {}) });
    c.on('secureConnect', () => {
      // TLS 1.2: the server has checked our certificate before its Finished; resolve, then hang up.
      resolve({ protocol: c.getProtocol() ?? '', cipher: c.getCipher().name });
      c.destroy();
    });
    c.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code === undefined ? e.message : alertCode(e.code) }));  // one spelling of an alert on every Node version, as the TLS carrier reports it
  });
}

beforeAll(async () => {
  requireErl();
  dir = mkdtempSync(join(tmpdir(), 'bw-ca-interop-'));
  caDir = join(dir, 'ca');
  if ((await main(['ca', 'init', '--dir', caDir], quiet)) !== 0) throw new Error('beamwire ca init failed');
  epmd = await EpmdServer.start({ port: epmdPort });
  server = await startErl('tls_b', COOKIE, epmdPort, tlsArgs(await issue('tls_b')));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await epmd?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('inet_tls_dist with certificates from beamwire ca', () => {
  it('two nodes with certificates from the CA connect over TLS (net_adm:ping/1 → pong)', async () => {
    expect((await pingFrom('tls_a', await issue('tls_a'), server!.name)).answer).toBe('pong');
  });

  it('an Elixir node with the same kind of optfile connects (Node.ping → :pong)', async () => {
    requireElixir();
    const optfile = await issue('tls_ex');
    const r = await runAgainst(epmdPort, 'elixir', ['--sname', 'tls_ex', '--cookie', COOKIE, '--erl', `-start_epmd false -proto_dist inet_tls -ssl_dist_optfile ${optfile}`, '-e', `IO.puts("ping=#{Node.ping(:"${server!.name}")}")`]);
    expect(r.out).toContain('ping=pong');
  });

  it('long names with an IP host (-name alive@127.0.0.1) connect too: the certificate names the IP as dNSName and iPAddress', async () => {
    const b = await startErl('tls_ipb@127.0.0.1', COOKIE, epmdPort, tlsArgs(await issue('tls_ipb@127.0.0.1')));
    try {
      expect((await pingFrom('tls_ipa@127.0.0.1', await issue('tls_ipa@127.0.0.1'), b.name)).answer).toBe('pong');
    } finally {
      await b.stop();
    }
  });

  it('net_kernel:allow/1 over TLS reads the dNSName: a node whose certificate names another host is refused, though the CA signed it', async () => {
    // inet_tls_dist:allowed_nodes/5 keeps the allowed hosts the peer's certificate proves (pkix_verify_hostname(PeerCert,
    // [{dns_id, Host}])), plus its IP when the certificate names it; dist_util then admits only nodes at those hosts.
    const gate = await startErl('tls_gate', COOKIE, epmdPort, [...tlsArgs(await issue('tls_gate')), '-eval', `ok = net_kernel:allow(['tls_ok@${host}', 'tls_no@${host}'])`]);
    try {
      expect((await pingFrom('tls_ok', await issue('tls_ok'), gate.name)).answer).toBe('pong');
      const elsewhere = writeNode('tls_no', await issueNodeCertificate({ ca: await loadCa(caDir), node: 'tls_no@elsewhere.example', ips: [] }), join(caDir, 'ca.pem'));
      // The same node without net_kernel:allow on the other side gets in: the server alone does not check a client's host.
      expect((await pingFrom('tls_no', elsewhere, server!.name)).answer).toBe('pong');
      expect((await pingFrom('tls_no', elsewhere, gate.name)).answer).toBe('pang');
      expect(await settled(() => gate.output(), /disallowed node/)).toMatch(/disallowed node/);
    } finally {
      await gate.stop();
    }
  });

  it('refuses a node whose certificate comes from another CA (pang; the server sends unknown CA)', async () => {
    const other = await createCa({ name: 'another CA' });
    writeFileSync(join(dir, 'other-ca.pem'), other.certPem);
    const optfile = writeNode('tls_x', await issueNodeCertificate({ ca: other, node: `tls_x@${host}` }), join(dir, 'other-ca.pem'));
    const r = await pingFrom('tls_x', optfile, server!.name);
    expect(r.answer).toBe('pang');
    expect(await settled(() => `${r.out}${server!.output()}`, /Unknown CA/i)).toMatch(/Unknown CA/i);
  });

  it('refuses an expired certificate (pang; certificate expired)', async () => {
    const now = Date.now();
    const leaf = await issueNodeCertificate({ ca: await loadCa(caDir), node: `tls_old@${host}`, notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) });
    const r = await pingFrom('tls_old', writeNode('tls_old', leaf, join(caDir, 'ca.pem')), server!.name);
    expect(r.answer).toBe('pang');
    expect(await settled(() => `${r.out}${server!.output()}`, /Certificate Expired/i)).toMatch(/Certificate Expired/i);
  });

  it('refuses a server whose certificate names another host: the client checks the host it dials (pang; the client alerts the server)', async () => {
    const leaf = await issueNodeCertificate({ ca: await loadCa(caDir), node: 'tls_w@elsewhere.example', ips: [] });
    const w = await startErl('tls_w', COOKIE, epmdPort, tlsArgs(writeNode('tls_w', leaf, join(caDir, 'ca.pem'))));
    try {
      const r = await pingFrom('tls_a2', await issue('tls_a2'), w.name);
      expect(r.answer).toBe('pang');
      // OTP's client turns {bad_cert, hostname_check_failed} into an alert the server logs: handshake_failure on OTP 25, bad_certificate on 27.
      expect(await settled(() => w.output(), /Handshake Failure|Bad Certificate/i)).toMatch(/Handshake Failure|Bad Certificate/i);
      // Node's tls, dialling the same node as its host, refuses the certificate too (tls.checkServerIdentity).
      const creds = await issueNodeCertificate({ ca: await loadCa(caDir), node: `bw_node@${host}` });
      expect(await tlsTo('tls_w', creds, join(caDir, 'ca.pem'))).toEqual({ error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    } finally {
      await w.stop();
    }
  });
});

describe("Node's tls against erl's inet_tls_dist listener (the error codes beamwire's TLS carrier sees)", () => {
  it('a client certificate from the CA: TLS 1.2 (what inet_tls_dist:dist_defaults/1 forces), the server verified as the host', async () => {
    const creds = await issueNodeCertificate({ ca: await loadCa(caDir), node: `bw_node@${host}` });
    const r = await tlsTo('tls_b', creds, join(caDir, 'ca.pem'));
    expect(r.protocol).toBe('TLSv1.2');
    expect(r.cipher).toMatch(/^ECDHE-ECDSA-/);
  });

  it("erl's refusals arrive as alerts: another CA, an expired certificate, no certificate", async () => {
    const ca = await loadCa(caDir);
    const now = Date.now();
    const foreign = await issueNodeCertificate({ ca: await createCa(), node: `bw_node@${host}` });
    const expired = await issueNodeCertificate({ ca, node: `bw_node@${host}`, notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) });
    const caFile = join(caDir, 'ca.pem');
    expect(await tlsTo('tls_b', foreign, caFile)).toEqual({ error: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' });
    expect(await tlsTo('tls_b', expired, caFile)).toEqual({ error: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED' });
    expect(await tlsTo('tls_b', undefined, caFile)).toEqual({ error: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' });
  });

  it("Node refuses erl's server certificate when it comes from another CA (erl sends its CA certificate along: SELF_SIGNED_CERT_IN_CHAIN)", async () => {
    const creds = await issueNodeCertificate({ ca: await loadCa(caDir), node: `bw_node@${host}` });
    writeFileSync(join(dir, 'unrelated-ca.pem'), (await createCa()).certPem);
    expect(await tlsTo('tls_b', creds, join(dir, 'unrelated-ca.pem'))).toEqual({ error: 'SELF_SIGNED_CERT_IN_CHAIN' });
  });
});

describe('what OTP reads from a node certificate', () => {
  it('inet_tls_dist:cert_nodes/1: the directoryName CN on OTP 29, the dNSName host on OTP 25 and 27 (which leave that CN undecoded)', async () => {
    await issue('tls_c');
    const certfile = join(dir, `tls_c@${host}.pem`);
    expect(readFileSync(certfile, 'utf8')).toContain('BEGIN CERTIFICATE');
    const r = await runAgainst(epmdPort, 'erl', [
      '-noshell', '-eval',
      `{ok, Pem} = file:read_file("${certfile}"), [{_, Der, _}] = public_key:pem_decode(Pem), C = public_key:pkix_decode_cert(Der, otp),
       io:format("release=~s nodes=~p host=~p other=~p ip=~p~n", [erlang:system_info(otp_release), inet_tls_dist:cert_nodes(C),
         public_key:pkix_verify_hostname(C, [{dns_id, "${host}"}]), public_key:pkix_verify_hostname(C, [{dns_id, "elsewhere"}]),
         public_key:pkix_verify_hostname(C, [{ip, {127,0,0,1}}])]), halt().`,
    ]);
    const m = /release=(\d+) nodes=(.*) host=(\w+) other=(\w+) ip=(\w+)/.exec(r.out);
    if (m === null) throw new Error(`erl printed: ${r.out}`);
    const [, release, nodes, hostOk, otherOk, ipOk] = m;
    expect(nodes).toBe(Number(release) >= 29 ? '["tls_c@"]' : `["${host}"]`);
    // net_kernel:allow/1 is enforced with pkix_verify_hostname(PeerCert, [{dns_id, Host}]) (inet_tls_dist:allowed_nodes/5)
    expect([hostOk, otherOk, ipOk]).toEqual(['true', 'false', 'true']);
  });
});
