/**
 * Unit tier: TLS distribution (runtime/transport/tls.ts) between beamwire
 * nodes on loopback, without EPMD (fixed ports). Mutual authentication, the
 * bad certificates each side must refuse with the reason named, the 4-byte
 * framing (a plain TCP peer gets nowhere, cleanly), and rotation.
 */
import { connect, createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { atom, isBeamwireError } from '../../runtime/index.js';
import { Node, type NodeOptions } from '../../runtime/node/node.js';
import { DialError, TlsCarrier, TlsOptionsError, TlsRefused, type TlsOptions } from '../../runtime/transport/index.js';
import { makeClusterCerts, type ClusterCerts } from '../support/tls-certs.js';

const A = 'a@localhost';
const B = 'b@localhost';
let dir: string;
let certs: ClusterCerts;
const started: Node[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-tls-'));
  certs = await makeClusterCerts(dir, [A, B, 'c@127.0.0.1']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.stop()));
});

const good = (name: string): TlsOptions => ({ ...certs.nodes[name]!, ca: certs.ca });

async function start(name: string, tlsOptions: TlsOptions, more: Partial<NodeOptions> = {}): Promise<Node> {
  const n = await Node.start({ name, cookie: 'secret', epmd: 'none', listen: { host: '127.0.0.1' }, tls: tlsOptions, ...more });
  started.push(n);
  return n;
}

/** `from` dials `to` at its listener (no EPMD), under `to`'s name. */
const dial = (from: Node, to: Node, as = to.name): Promise<void> => from.connect(as, { host: '127.0.0.1', port: to.address!.port });

const refusedBy = (n: Node): Promise<TlsRefused> => new Promise((r) => n.once('refused', (e) => r(e as TlsRefused)));

async function dialError(p: Promise<unknown>): Promise<DialError> {
  const e = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(DialError);
  return e as DialError;
}

describe('TLS distribution between beamwire nodes', () => {
  it('mutual authentication: both certificates from the cluster CA, ping and messages both ways, TLS underneath', async () => {
    const a = await start(A, good(A));
    const b = await start(B, good(B));
    await dial(a, b);
    expect(await a.ping(B)).toBe('pong');
    expect(b.nodes()).toEqual([A]);
    const got = new Promise((resolve) => {
      const p = b.spawn(async (self) => resolve(await self.receive()));
      b.register('box', p.pid);
    });
    a.send(['box', B], atom('over_tls'));
    expect(await got).toBe(atom('over_tls'));
    // The listener speaks TLS: a client that trusts the CA sees b's certificate, for b's host.
    const peer = await new Promise<tls.PeerCertificate>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: b.address!.port, ca: readFileSync(certs.ca), ...certs.nodes[A]!, key: readFileSync(certs.nodes[A]!.key), cert: readFileSync(certs.nodes[A]!.cert), servername: 'localhost' });
      s.once('secureConnect', () => (resolve(s.getPeerCertificate()), s.destroy()));
      s.once('error', reject);
    });
    expect(peer.fingerprint256).toBe(new X509Certificate(readFileSync(certs.nodes[B]!.cert)).fingerprint256);
  });

  it('an IP host is checked against the iPAddress SAN', async () => {
    const c = await start('c@127.0.0.1', good('c@127.0.0.1'));
    const a = await start(A, good(A));
    await dial(a, c);
    expect(await a.ping('c@127.0.0.1')).toBe('pong');
  });

  describe('a bad certificate on the acceptor: the dialler refuses it and names why', () => {
    for (const [bad, code] of [
      ['otherCa', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
      ['expired', 'CERT_HAS_EXPIRED'],
      ['wrongHost', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ] as const) {
      it(`${bad}: DialError tls ${code}`, async () => {
        const b = await start(B, { ...certs[bad], ca: certs.ca });
        const a = await start(A, good(A));
        const e = await dialError(dial(a, b));
        expect(e.reason).toBe('tls');
        expect(e.code).toBe('DIAL_TLS');
        expect(e.tlsCode).toBe(code);
        expect(e.message).toContain(code);
        expect(a.nodes()).toEqual([]);
        expect(b.nodes()).toEqual([]);
      });
    }
  });

  describe('a bad certificate on the dialler: the acceptor refuses it (event refused, TlsRefused naming why)', () => {
    for (const [bad, code] of [
      ['otherCa', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
      ['expired', 'CERT_HAS_EXPIRED'],
    ] as const) {
      it(`${bad}: ${code}`, async () => {
        const a = await start(A, good(A));
        const b = await start(B, { ...certs[bad], ca: certs.ca });
        const refused = refusedBy(a);
        const attempt = dial(b, a).then(
          () => 'connected',
          (e: unknown) => e,
        );
        const r = await refused;
        expect(r).toBeInstanceOf(TlsRefused);
        expect(r.code).toBe('TLS_REFUSED');
        expect(r.tlsCode).toBe(code);
        expect(r.message).toMatch(/^refused a TLS connection from 127\.0\.0\.1:\d+: its certificate \(CN=a@localhost\) failed verification/);
        // The refused side sees its connection closed (Node's tls sends no alert): in the TLS set-up or in the handshake.
        expect(await attempt).not.toBe('connected');
        expect(a.nodes()).toEqual([]);
      });
    }

    it('wrongHost: the client names itself b@localhost with a certificate for other.invalid: ERR_TLS_CERT_ALTNAME_INVALID at recv_name', async () => {
      const a = await start(A, good(A));
      const b = await start(B, { ...certs.wrongHost, ca: certs.ca });
      const refused = refusedBy(a);
      const attempt = dial(b, a).then(
        () => 'connected',
        (e: unknown) => e,
      );
      const r = await refused;
      expect(r.tlsCode).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(r.message).toContain('it names itself b@localhost, but its certificate is not for host localhost');
      expect(await attempt).not.toBe('connected');
      expect(a.nodes()).toEqual([]);
    });

    it('no certificate at all: NO_PEER_CERTIFICATE (fail_if_no_peer_cert)', async () => {
      const a = await start(A, good(A));
      const refused = refusedBy(a);
      const s = tls.connect({ host: '127.0.0.1', port: a.address!.port, ca: readFileSync(certs.ca), servername: 'localhost' });
      s.on('error', () => {});
      expect((await refused).tlsCode).toBe('NO_PEER_CERTIFICATE');
      await new Promise((r) => s.once('close', r));
    });
  });

  it('verify: false connects over TLS without checking either side', async () => {
    const a = await start(A, { ...certs.wrongHost, verify: false });
    const b = await start(B, { ...certs.expired, verify: false });
    await dial(a, b);
    expect(await b.ping(A)).toBe('pong');
  });

  it('framing: a plain TCP peer speaking the 2-byte handshake is refused cleanly (no crash, no hang)', async () => {
    const a = await start(A, good(A));
    const refused = refusedBy(a);
    const s = connect(a.address!.port, '127.0.0.1');
    s.on('error', () => {});
    // send_name as over TCP: 2-byte length, 'N', flags, creation, name.
    const name = Buffer.from('plain@localhost');
    const body = Buffer.alloc(1 + 8 + 4 + 2 + name.length);
    body.write('N', 0);
    body.writeUInt16BE(name.length, 13);
    name.copy(body, 15);
    s.write(Buffer.concat([Buffer.from([0, body.length]), body]));
    const r = await refused;
    expect(r).toBeInstanceOf(TlsRefused);
    expect(r.message).toContain('the TLS handshake failed');
    await new Promise((res) => s.once('close', res));
    expect(a.nodes()).toEqual([]);
    // The node still works.
    const b = await start(B, good(B));
    await dial(b, a);
    expect(await b.ping(A)).toBe('pong');
  });

  it('a TCP client that sends nothing is cut after the handshake timeout', async () => {
    const a = await start(A, { ...good(A), handshakeTimeoutMs: 300 });
    const refused = refusedBy(a);
    const s = connect(a.address!.port, '127.0.0.1');
    s.on('error', () => {});
    const r = await refused;
    expect(r.tlsCode).toBe('ERR_TLS_HANDSHAKE_TIMEOUT');
    await new Promise((res) => s.once('close', res));
  });

  it('dialling a port that does not speak TLS: silence is a DialError timeout, garbage a DialError tls', async () => {
    const held = new Set<import('node:net').Socket>();
    const silent = createServer((s) => (s.on('error', () => {}), held.add(s)));
    // It reads what comes, so its close (below) also waits for our side to have closed the failed socket.
    const garbage = createServer((s) => (s.on('error', () => {}), s.resume(), s.end('this is not TLS\r\n')));
    await Promise.all([silent, garbage].map((srv) => new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))));
    try {
      const a = await start(A, good(A), { connectTimeout: 300 });
      const port = (srv: typeof silent): number => (srv.address() as { port: number }).port;
      const t = await dialError(a.connect(B, { host: '127.0.0.1', port: port(silent) }));
      expect(t.reason).toBe('timeout');
      expect(t.message).toContain('no TLS connection');
      const g = await dialError(a.connect(B, { host: '127.0.0.1', port: port(garbage) }));
      expect(g.reason).toBe('tls');
      expect(a.nodes()).toEqual([]);
    } finally {
      for (const s of held) s.destroy();
      for (const srv of [silent, garbage]) await new Promise((r) => srv.close(r));
    }
  });

  it('rotation: new connections (both directions) use the new certificate, the one already up stays', async () => {
    const a = await start(A, good(A));
    const b = await start(B, good(B));
    const c = await start('c@127.0.0.1', good('c@127.0.0.1'));
    await dial(a, b);
    const seen: string[] = [];
    const fingerprintOf = (port: number): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, cert: readFileSync(certs.nodes[B]!.cert), key: readFileSync(certs.nodes[B]!.key), servername: 'localhost' });
        s.once('secureConnect', () => (resolve(s.getPeerCertificate().fingerprint256), s.destroy()));
        s.once('error', reject);
      });
    seen.push(await fingerprintOf(a.address!.port));
    // A second certificate for a, from the same CA (another key).
    const next = await makeClusterCerts(join(dir, 'next'), [A]);
    a.rotateCertificate({ ...next.nodes[A]!, ca: [certs.ca, next.ca] });
    seen.push(await fingerprintOf(a.address!.port));
    expect(seen[1]).toBe(new X509Certificate(readFileSync(next.nodes[A]!.cert)).fingerprint256);
    expect(seen[1]).not.toBe(seen[0]);
    // The connection made before still carries traffic.
    expect(await a.ping(B)).toBe('pong');
    // Outbound too: c trusts only the old CA, so a's dial with the new certificate (another CA) is refused by c
    // (a sends the new CA along in its chain, so OpenSSL names that one).
    const refused = refusedBy(c);
    const attempt = dial(a, c).catch((e: unknown) => e);
    expect((await refused).tlsCode).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/);
    await attempt;
    expect(await a.ping(B)).toBe('pong');
  });

  it('bad options fail at start with TlsOptionsError; rotateCertificate on a TCP node too', async () => {
    await expect(Node.start({ name: 'x@localhost', cookie: 's', epmd: 'none', tls: { cert: join(dir, 'nope.pem'), key: certs.nodes[A]!.key, ca: certs.ca } })).rejects.toThrow(
      /TLS option cert: cannot read .*nope\.pem/,
    );
    expect(() => new TlsCarrier({ ...certs.nodes[A]! })).toThrow(TlsOptionsError);
    expect(() => new TlsCarrier({ cert: certs.nodes[A]!.cert, key: certs.nodes[B]!.key, ca: certs.ca })).toThrow(/cert\/key/);
    const t = await Node.start({ name: 'y@localhost', cookie: 's', epmd: 'none' });
    started.push(t);
    expect(() => t.rotateCertificate(certs.nodes[A]!)).toThrow(/runs over tcp, not TLS/);
    const a = await start(A, good(A));
    let e: unknown;
    try {
      a.rotateCertificate({ cert: certs.nodes[A]!.cert, key: certs.nodes[B]!.key });
    } catch (x) {
      e = x;
    }
    expect(isBeamwireError(e, 'TLS_OPTIONS')).toBe(true);
  });
});

describe('alertCode', () => {
  it("gives a TLS alert one spelling on every Node version (OpenSSL 3.2+'s SSL/TLS_ALERT is 3.0's SSLV3_ALERT)", async () => {
    const { alertCode } = await import('../../runtime/transport/index.js');
    expect(alertCode('ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_EXPIRED')).toBe('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED');
    expect(alertCode('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE')).toBe('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
    expect(alertCode('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')).toBe('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
  });
});
