/**
 * OTP's inet_tls_dist over Node's `tls`: TLS from the first byte on the
 * distribution port, then the distribution handshake inside it with 4-byte
 * frames (inet_tls_dist forces `{packet, 4}` on listen, accept and connect).
 *
 * As OTP does with `verify_peer` + `fail_if_no_peer_cert`, both sides
 * authenticate: the acceptor asks for the client's certificate and refuses
 * a connection whose certificate is missing or does not verify against the
 * CA; the dialler verifies the server's certificate against the CA and the
 * host part of the node name against it (OTP's client sends that host as
 * SNI and checks it; an IP host is matched against the iPAddress SAN). The
 * acceptor also checks the host of the name the client gives in the
 * handshake against the client's certificate (`checkPeerName`), which OTP
 * does only for nodes in net_kernel:allow/1's list.
 *
 * Versions: TLS 1.2 and 1.3 are offered. OTP forces `['tlsv1.2']` on its
 * distribution when options are given without `versions` (dist_defaults/1),
 * so with Erlang 1.2 is what is spoken; an Erlang told `{versions,
 * ['tlsv1.3']}` gets 1.3. Ciphers: Node's defaults (ECDHE with AES-GCM or
 * ChaCha20-Poly1305), which OTP's defaults share.
 *
 * Node's tls checks a peer's certificate after the TLS handshake and then
 * closes the socket (it sends no alert): the side that refuses names the
 * reason (Node's code: CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE,
 * ERR_TLS_CERT_ALTNAME_INVALID, ...), the refused side sees the connection
 * close.
 *
 * `rotate` swaps the certificate (and key, and CA) for connections made
 * afterwards, in both directions; connections already up keep theirs.
 */
import { readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { BeamwireError } from '../wire/errors.js';
import type { Accept, Address, Carrier, DialOptions, Listener, ListenerEvents, ListenOptions } from './carrier.js';
import { DialError, dialReason } from './errors.js';
import { listenOn } from './tcp.js';

/** A PEM block as a string or Buffer, or a path to a PEM file (any string without `-----BEGIN`). */
export type Pem = string | Buffer;

/** A node's certificate: what `rotate` swaps. */
export interface TlsCertificate {
  /** The node's certificate chain (leaf first): PEM or a file path. OTP's certfile. */
  readonly cert: Pem;
  /** Its private key: PEM or a file path. OTP's keyfile. */
  readonly key: Pem;
  /** Passphrase of an encrypted key. OTP's password. */
  readonly passphrase?: string | undefined;
  /** The CA certificate(s) peers must chain to: PEM or a file path, or several. OTP's cacertfile. Needed when `verify`. */
  readonly ca?: Pem | readonly Pem[] | undefined;
}

export interface TlsOptions extends TlsCertificate {
  /**
   * Authenticate the peer (default true): OTP's `{verify, verify_peer}` on
   * both sides plus `{fail_if_no_peer_cert, true}` on the server. False is
   * `verify_none`: encryption without knowing who is on the other end.
   */
  readonly verify?: boolean | undefined;
  /** Lowest TLS version offered (default 'TLSv1.2', the one OTP's distribution uses). */
  readonly minVersion?: tls.SecureVersion | undefined;
  /** Highest TLS version offered (default 'TLSv1.3'). */
  readonly maxVersion?: tls.SecureVersion | undefined;
  /** OpenSSL cipher list (TLS 1.2) to use instead of Node's default. */
  readonly ciphers?: string | undefined;
  /** Milliseconds an accepted connection has for its TLS handshake (default 7000, OTP's net_setuptime). */
  readonly handshakeTimeoutMs?: number | undefined;
}

/** A TLS option that cannot be used: a file that cannot be read, a key that does not fit its certificate. Code `TLS_OPTIONS`. */
export class TlsOptionsError extends BeamwireError {
  override readonly name = 'TlsOptionsError';
  readonly code = 'TLS_OPTIONS';
  constructor(
    readonly option: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(`TLS option ${option}: ${message}`);
  }
}

/**
 * An accepted connection refused in its TLS set-up: the client's certificate
 * failed verification (`tlsCode` is Node's code: CERT_HAS_EXPIRED,
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE, NO_PEER_CERTIFICATE, ...), or the TLS
 * handshake itself failed (not TLS at all, a timeout, a reset). Code `TLS_REFUSED`.
 */
export class TlsRefused extends BeamwireError {
  override readonly name = 'TlsRefused';
  readonly code = 'TLS_REFUSED';
  constructor(
    /** `address:port` of the client. */
    readonly remote: string,
    readonly tlsCode: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(`refused a TLS connection from ${remote}: ${message}`);
  }
}

const DEFAULT_TIMEOUT_MS = 7000;

interface Material {
  readonly context: tls.SecureContextOptions;
  readonly secure: tls.SecureContext;
}

export class TlsCarrier implements Carrier {
  readonly kind = 'tls';
  readonly handshakeFrame = 4;
  readonly verify: boolean;
  readonly #o: TlsOptions;
  #material: Material;
  /** Listening servers: `rotate` gives each the new context. */
  readonly #servers = new Set<tls.Server>();

  /** Reads and checks the certificate now: a bad option throws TlsOptionsError here, not at the first connection. */
  constructor(options: TlsOptions) {
    this.#o = options;
    this.verify = options.verify ?? true;
    this.#material = this.#load(options);
  }

  /**
   * New connections, dialled and accepted, use `next` from now on; those
   * already up keep the certificate they were made with. `ca` absent keeps
   * the current CA. Throws TlsOptionsError (and changes nothing) when `next` is unusable.
   */
  rotate(next: TlsCertificate): void {
    const material = this.#load({ ...this.#o, ...next, ca: next.ca ?? this.#o.ca });
    this.#material = material;
    for (const s of this.#servers) s.setSecureContext(material.context);
  }

  /** The certificate new connections present (PEM), as `tls.getCertificate` would show it to a peer. */
  get certificate(): Buffer {
    return Buffer.from(this.#material.context.cert as Buffer);
  }

  dial(address: Address, o: DialOptions): Promise<Duplex> {
    const host = hostOf(o.node);
    const verify = this.verify;
    return new Promise<Duplex>((resolve, reject) => {
      let connected = false;
      const socket = tls.connect({
        host: address.host,
        port: address.port,
        secureContext: this.#material.secure,
        // SNI is the host part of the node name, as inet_tls_dist's do_setup sends it; TLS forbids an IP there.
        servername: isIP(host) === 0 ? host : undefined,
        rejectUnauthorized: verify,
        checkServerIdentity: verify ? (_name, cert) => tls.checkServerIdentity(host, cert) : () => undefined,
      });
      socket.setNoDelay(true);
      const timer = setTimeout(
        () => fail(new DialError(o.node, 'timeout', `no TLS connection to ${address.host}:${address.port} within ${o.timeoutMs} ms`, undefined)),
        o.timeoutMs,
      );
      const fail = (e: DialError): void => {
        clearTimeout(timer);
        socket.off('error', onError);
        // A late error from the destroyed socket must not go unheard.
        socket.on('error', () => {});
        socket.destroy();
        reject(e);
      };
      const onError = (e: Error & { code?: string }): void => fail(dialError(o.node, address, host, e, connected));
      socket.once('connect', () => (connected = true));
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(socket);
      });
    });
  }

  async listen(o: ListenOptions, accept: Accept, events: Partial<ListenerEvents> = {}): Promise<Listener> {
    const verify = this.verify;
    const server = tls.createServer({
      ...this.#material.context,
      // Asked for, checked here after the handshake: Node's own rejection would drop the reason.
      requestCert: verify,
      rejectUnauthorized: false,
      handshakeTimeout: this.#o.handshakeTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      noDelay: true,
    });
    // Connections still in their TLS handshake, by remote address: closing the listener ends them (net.Server's close would wait for them).
    const setting = new Map<string, Socket>();
    server.on('connection', (raw: Socket) => {
      const remote = `${raw.remoteAddress}:${raw.remotePort}`;
      setting.set(remote, raw);
      raw.once('close', () => setting.get(remote) === raw && setting.delete(remote));
    });
    server.on('secureConnection', (s) => {
      const remote = `${s.remoteAddress}:${s.remotePort}`;
      setting.delete(remote);
      // An unheard 'error' on an accepted socket would crash the process; the network hears its end as 'close'.
      if (verify && !s.authorized) {
        const why = clientRefused(remote, s);
        s.on('error', () => {});
        s.destroy();
        return events.refused?.(why);
      }
      s.setNoDelay(true);
      accept(s, remote);
    });
    server.on('tlsClientError', (e: Error & { code?: string }, s) => {
      const remote = `${s.remoteAddress}:${s.remotePort}`;
      // Node leaves a socket whose handshake timed out open (and the server's close waiting for it).
      s.destroy();
      const code = alertCode(e.code ?? 'TLS_HANDSHAKE');
      const why = code.includes('_ALERT_')
        ? `the client ended the TLS handshake with an alert (${code}: ${opensslReason(e)}): it does not accept our certificate, or we share no version or cipher`
        : `the TLS handshake failed (${code}: ${opensslReason(e)})`;
      events.refused?.(new TlsRefused(remote, code, why, e));
    });
    const listener = await listenOn(server, o, events);
    this.#servers.add(server);
    return {
      address: listener.address,
      close: async () => {
        this.#servers.delete(server);
        const closed = listener.close();
        for (const raw of setting.values()) raw.destroy();
        await closed;
      },
    };
  }

  /**
   * The client named itself `peer` in the handshake: with `verify`, its
   * certificate must be for the host of that name (as the dialler checks
   * the server's). OTP checks this only for nodes in net_kernel:allow/1's
   * list; here every accepted node is checked, so a certificate for one
   * host cannot speak for a node on another.
   */
  checkPeerName(stream: Duplex, peer: string): Error | undefined {
    if (!this.verify || !(stream instanceof tls.TLSSocket)) return undefined;
    const host = hostOf(peer);
    const wrong = tls.checkServerIdentity(host, stream.getPeerCertificate());
    if (wrong === undefined) return undefined;
    const remote = `${stream.remoteAddress}:${stream.remotePort}`;
    return new TlsRefused(remote, 'ERR_TLS_CERT_ALTNAME_INVALID', `it names itself ${peer}, but its certificate is not for host ${host} (${wrong.message})`, wrong);
  }

  #load(o: TlsOptions): Material {
    const ca = o.ca === undefined ? undefined : (Array.isArray(o.ca) ? o.ca : [o.ca as Pem]).map((p, i) => pem(p, Array.isArray(o.ca) ? `ca[${i}]` : 'ca'));
    if (this.verify && (ca === undefined || ca.length === 0)) throw new TlsOptionsError('ca', 'verify is on, so the CA that peers’ certificates chain to is needed');
    const context: tls.SecureContextOptions = {
      cert: pem(o.cert, 'cert'),
      key: pem(o.key, 'key'),
      passphrase: o.passphrase,
      ca,
      minVersion: o.minVersion ?? 'TLSv1.2',
      maxVersion: o.maxVersion ?? 'TLSv1.3',
      ...(o.ciphers === undefined ? {} : { ciphers: o.ciphers }),
    };
    try {
      return { context, secure: tls.createSecureContext(context) };
    } catch (e) {
      throw new TlsOptionsError('cert/key', `Node's tls cannot use them (${(e as Error).message})`, e);
    }
  }
}

/** A PEM string or Buffer as it is; any other string is a file to read. */
function pem(v: Pem, option: string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v !== 'string') throw new TlsOptionsError(option, `expected PEM text, a Buffer or a file path, got ${typeof v}`);
  if (v.includes('-----BEGIN')) return Buffer.from(v);
  try {
    return readFileSync(v);
  } catch (e) {
    throw new TlsOptionsError(option, `cannot read ${v}: ${(e as Error).message}`, e);
  }
}

function hostOf(node: string): string {
  const at = node.indexOf('@');
  return at < 0 ? node : node.slice(at + 1);
}

/** What a failed TLS dial means: a refused or unreachable TCP connect, or the TLS set-up (a certificate we refuse, a peer that refused ours). */
function dialError(node: string, address: Address, host: string, e: Error & { code?: string }, connected: boolean): DialError {
  const where = `${address.host}:${address.port}`;
  if (!connected) return new DialError(node, dialReason(e), `TCP connect to ${where}: ${e.message}`, e);
  const code = alertCode(e.code ?? 'TLS_HANDSHAKE');
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new DialError(node, 'tls', `the certificate of ${where} is not for host ${host} (${code}: ${e.message})`, e, code);
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return new DialError(node, 'tls', `${where} closed the connection during the TLS handshake (${code}): it may have refused our certificate`, e, code);
  if (code.startsWith('ERR_SSL_') && code.includes('_ALERT_'))
    return new DialError(node, 'tls', `${where} refused the TLS handshake with an alert (${code}: ${opensslReason(e)}): it does not accept our certificate, or we share no version or cipher`, e, code);
  if (VERIFY_CODES.has(code)) return new DialError(node, 'tls', `the certificate of ${where} failed verification (${code}: ${e.message})`, e, code);
  return new DialError(node, 'tls', `the TLS handshake with ${where} failed (${code}: ${opensslReason(e)})`, e, code);
}

/** OpenSSL's own words (`reason`: "tlsv1 alert unknown ca"), without its file and line; else the message. */
const opensslReason = (e: Error & { reason?: unknown }): string => (typeof e.reason === 'string' ? e.reason : e.message.trim());

function clientRefused(remote: string, s: tls.TLSSocket): TlsRefused {
  const peer = s.getPeerCertificate();
  if (peer === null || peer === undefined || Object.keys(peer).length === 0)
    return new TlsRefused(remote, 'NO_PEER_CERTIFICATE', 'the client sent no certificate (verify is on: fail_if_no_peer_cert)');
  const code = String(s.authorizationError ?? 'UNKNOWN');
  const subject = peer.subject?.CN === undefined ? '' : ` (CN=${peer.subject.CN})`;
  return new TlsRefused(remote, code, `its certificate${subject} failed verification: ${code}${VERIFY_TEXT[code] === undefined ? '' : ` (${VERIFY_TEXT[code]})`}`);
}

/** OpenSSL's verify results as Node names them: what a refused certificate's `tlsCode` can be. */
const VERIFY_TEXT: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT: 'issuer certificate not found',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer certificate not found among the trusted CAs',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  CERT_REVOKED: 'certificate revoked',
  INVALID_PURPOSE: 'certificate not for this purpose (extendedKeyUsage)',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
};
const VERIFY_CODES = new Set(Object.keys(VERIFY_TEXT));

/**
 * One spelling of a TLS alert on every Node version: OpenSSL 3.2+ (Node 22+)
 * names `ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_EXPIRED` what OpenSSL 3.0 (Node 20)
 * names `ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED`; `tlsCode` is always the latter.
 */
export function alertCode(code: string): string {
  return code.replace(/^ERR_SSL_SSL\/TLS_ALERT_/, 'ERR_SSL_SSLV3_ALERT_');
}
