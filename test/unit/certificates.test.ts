// A CA node over the distribution protocol: node.serveCertificates signs what Node.requestCertificate asks,
// for the name the authorizer approved, and only with a one-time token or the caller's own authorize.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, CertificateRequestError, Node, toBinary, tuple, type CertificateRequest, type CertificateService } from '../../runtime/index.js';
import { createCa, describeCertificate, makeCsr, type Ca } from '../../runtime/ca/index.js';
import { until } from '../support/net.js';

const COOKIE = 'ca-cookie';
let caNode: Node;
let ca: Ca;
let service: CertificateService;
let epmd: { mode: 'external'; port: number };

beforeAll(async () => {
  ca = await createCa({ name: 'test cluster CA' });
  caNode = await Node.start({ name: 'ca@127.0.0.1', cookie: COOKIE, epmd: { mode: 'embedded', port: 0 }, logger: 'silent' });
  epmd = { mode: 'external', port: caNode.epmdPort };
  service = await caNode.serveCertificates({ ca });
});
afterAll(async () => {
  await service?.stop();
  await caNode?.stop();
});

const ask = (node: string, token: string, cookie = COOKIE) => Node.requestCertificate({ node, caNode: caNode.name, cookie, token, epmd, timeout: 5000 });
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as CertificateRequestError);

describe('serveCertificates / requestCertificate', () => {
  it('a one-time token gets a certificate for exactly that node, signed by the CA, for a key that never left the requester', async () => {
    const token = service.issueToken('web@127.0.0.1');
    const got = await ask('web@127.0.0.1', token);
    const cert = new X509Certificate(got.cert);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(got.key))).toBe(true);
    expect(got.ca).toBe(ca.certPem);
    const info = describeCertificate(got.cert);
    expect(info.dnsNames).toContain('127.0.0.1');
    expect(info.subject).toContain('web@127.0.0.1');
    await until('the temporary node to go', 3000, () => (caNode.nodes().length === 0 ? true : undefined));
  });

  it('the same token twice, a token for another node, and no token are refused as unauthorized', async () => {
    const token = service.issueToken('db@127.0.0.1');
    await ask('db@127.0.0.1', token);
    for (const e of [await refusal(ask('db@127.0.0.1', token)), await refusal(ask('other@127.0.0.1', service.issueToken('db2@127.0.0.1'))), await refusal(ask('db@127.0.0.1', ''))]) {
      expect(e).toBeInstanceOf(CertificateRequestError);
      expect(e!.reason).toBe('unauthorized');
    }
  });

  it('an expired token is refused', async () => {
    const token = service.issueToken('late@127.0.0.1', { ttlMs: 1 });
    await new Promise((r) => setTimeout(r, 10));
    expect((await refusal(ask('late@127.0.0.1', token)))!.reason).toBe('unauthorized');
  });

  it('the certificate names the approved node, not whatever the CSR claims', async () => {
    const client = await Node.start({ name: 'raw@127.0.0.1', cookie: COOKIE, epmd, logger: 'silent' });
    try {
      const { csrPem } = await makeCsr('evil@127.0.0.1');
      const token = service.issueToken('good@127.0.0.1');
      const reply = await client.call(['beamwire_ca', caNode.name], tuple(atom('certificate_request'), atom('good@127.0.0.1'), toBinary(token), toBinary(csrPem)));
      const pem = Buffer.from((reply as { elements: Uint8Array[] }).elements[1]!).toString();
      expect(describeCertificate(pem).subject).toContain('good@127.0.0.1');
      expect(describeCertificate(pem).subject).not.toContain('evil');
      const bad = await client.call(['beamwire_ca', caNode.name], tuple(atom('certificate_request'), atom('x@127.0.0.1'), 42, 42));
      expect(bad).toEqual(tuple(atom('error'), atom('bad_request')));
    } finally {
      await client.stop();
    }
  });

  it("a node's own authorize decides, and is told who asks; a wrong cookie cannot ask at all", async () => {
    const seen: CertificateRequest[] = [];
    const own = await Node.start({ name: 'ca2@127.0.0.1', cookie: COOKIE, epmd, logger: 'silent' });
    const svc = await own.serveCertificates({ ca, authorize: (r) => (seen.push(r), r.token === 'let-me-in') });
    try {
      const ok = await Node.requestCertificate({ node: 'svc@127.0.0.1', caNode: own.name, cookie: COOKIE, token: 'let-me-in', epmd });
      expect(describeCertificate(ok.cert).subject).toContain('svc@127.0.0.1');
      const no = await refusal(Node.requestCertificate({ node: 'svc@127.0.0.1', caNode: own.name, cookie: COOKIE, token: 'guess', epmd }));
      expect(no!.reason).toBe('unauthorized');
      expect(seen.map((r) => [r.node, r.token, r.from.startsWith('certreq_')])).toEqual([
        ['svc@127.0.0.1', 'let-me-in', true],
        ['svc@127.0.0.1', 'guess', true],
      ]);
      expect(() => svc.issueToken('x@127.0.0.1')).toThrow(/issues no tokens/);
      const e = await refusal(Node.requestCertificate({ node: 'svc@127.0.0.1', caNode: own.name, cookie: 'wrong', token: 'let-me-in', epmd, timeout: 2000 }));
      expect(e!.reason).toBe('unreachable');
    } finally {
      await svc.stop();
      await own.stop();
    }
  });

  it('what it gets is a working TLS identity: two nodes that asked connect with mutual TLS, and a new one is rotated in', async () => {
    const a = await ask('tls_a@127.0.0.1', service.issueToken('tls_a@127.0.0.1'));
    const b = await ask('tls_b@127.0.0.1', service.issueToken('tls_b@127.0.0.1'));
    const na = await Node.start({ name: 'tls_a@127.0.0.1', cookie: COOKIE, epmd, tls: a, logger: 'silent' });
    const nb = await Node.start({ name: 'tls_b@127.0.0.1', cookie: COOKIE, epmd, tls: b, logger: 'silent' });
    try {
      expect(await na.ping(nb.name)).toBe('pong');
      const next = await ask('tls_a@127.0.0.1', service.issueToken('tls_a@127.0.0.1'));
      na.rotateCertificate({ cert: next.cert, key: next.key });
      na.disconnect(nb.name);
      await until('the old connection to go', 3000, () => (na.nodes().length === 0 ? true : undefined));
      expect(await na.ping(nb.name)).toBe('pong');
    } finally {
      await na.stop();
      await nb.stop();
    }
  });
});
