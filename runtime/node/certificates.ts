/**
 * A CA node (ChaskiCA's job, done safely): `node.serveCertificates` signs
 * certificate requests that arrive over the distribution protocol, and
 * `Node.requestCertificate` makes one from a node that has no certificate
 * yet. The requester's key never leaves it (it sends a CSR), the name in
 * the certificate is the one the authorizer approved (never the CSR's), and
 * nothing is signed for anyone who merely asks: a one-time token bound to
 * the node name, or the caller's own `authorize`. The x509 library loads
 * only when one of these runs.
 *
 * On the wire, a gen_server call to `beamwire_ca`:
 *   {certificate_request, Node :: atom(), Token :: binary(), Csr :: binary()}
 *   → {ok, CertPem :: binary(), CaPem :: binary()} | {error, Reason :: atom()}
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Ca } from '../ca/index.js';
import { atom, Atom } from '../term/atom.js';
import { fromBinary, toBinary } from '../term/convert.js';
import { tuple } from '../term/make.js';
import { Tuple, type Term } from '../term/values.js';
import { BeamwireError } from '../wire/errors.js';

export const CA_SERVER = 'beamwire_ca';
const REQUEST = atom('certificate_request');
const OK = atom('ok');
const ERROR = atom('error');

/** What the authorizer is asked: may `from` have a certificate for `node`, with this token? */
export interface CertificateRequest {
  /** The node name the certificate will carry. */
  readonly node: string;
  readonly token: string;
  /** The node the request came from (the requester's temporary node). */
  readonly from: string;
}

export type Authorize = (request: CertificateRequest) => boolean | Promise<boolean>;

export interface ServeCertificatesOptions {
  /** The CA: a folder made by `beamwire ca init`, its PEMs, or a loaded Ca. */
  readonly ca: string | { readonly cert: string; readonly key: string } | Ca;
  /** Decides each request. Absent: one-time tokens from `issueToken`, and nothing else. */
  readonly authorize?: Authorize;
  /** Validity of the certificates issued, in days (default 365). */
  readonly days?: number;
}

export interface CertificateService {
  /**
   * A one-time token for `node` (only with the built-in tokens, no `authorize`):
   * it authorizes one request for exactly that name within `ttlMs` (default 10 min).
   */
  issueToken(node: string, options?: { ttlMs?: number }): string;
  stop(): Promise<void>;
}

/** A request refused or failed: `reason` is what the CA answered (`unauthorized`, `bad_request`, ...), or `unreachable`. */
export class CertificateRequestError extends BeamwireError {
  override readonly name = 'CertificateRequestError';
  readonly code = 'CERTIFICATE_REQUEST';
  constructor(
    readonly reason: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** Tokens bound to a node name, each good once, until its deadline. */
export class OneTimeTokens {
  readonly #tokens = new Map<string, { node: string; until: number }>();

  issue(node: string, ttlMs = 10 * 60_000): string {
    const token = randomBytes(32).toString('base64url');
    this.#tokens.set(token, { node, until: Date.now() + ttlMs });
    return token;
  }

  readonly authorize: Authorize = ({ node, token }) => {
    for (const [t, grant] of this.#tokens) {
      if (grant.until < Date.now()) this.#tokens.delete(t);
      else if (sameSecret(t, token) && grant.node === node) {
        this.#tokens.delete(t);
        return true;
      }
    }
    return false;
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function loadAuthority(ca: ServeCertificatesOptions['ca']): Promise<Ca> {
  const lib = await import('../ca/index.js');
  if (typeof ca === 'string') return lib.loadCa(ca);
  if ('certPem' in ca) return ca;
  return lib.caFromPem(ca.cert, ca.key);
}

/** The gen_server callbacks of `beamwire_ca`: what serveCertificates runs on the node. */
export async function certificateServer(options: ServeCertificatesOptions, debug: (line: string) => void) {
  const lib = await import('../ca/index.js');
  const ca = await loadAuthority(options.ca);
  const tokens = options.authorize === undefined ? new OneTimeTokens() : undefined;
  const authorize = options.authorize ?? tokens!.authorize;
  const answer = async (request: Term, from: string): Promise<Term> => {
    if (!(request instanceof Tuple) || request.size !== 4 || request.elements[0] !== REQUEST || !(request.elements[1] instanceof Atom)) return tuple(ERROR, atom('bad_request'));
    const node = request.elements[1].name;
    let token: string;
    let csr: string;
    try {
      token = fromBinary(request.elements[2]!);
      csr = fromBinary(request.elements[3]!);
    } catch {
      return tuple(ERROR, atom('bad_request'));
    }
    let allowed = false;
    try {
      allowed = (await authorize({ node, token, from })) === true;
    } catch (e) {
      debug(`beamwire_ca: authorize threw for ${node}: ${(e as Error).message}`);
    }
    if (!allowed) {
      debug(`beamwire_ca: refused a certificate for ${node} asked by ${from}`);
      return tuple(ERROR, atom('unauthorized'));
    }
    try {
      const cert = await lib.signCsr(ca, csr, { node, ...(options.days === undefined ? {} : { days: options.days }) });
      debug(`beamwire_ca: issued a certificate for ${node} to ${from}`);
      return tuple(OK, toBinary(cert.certPem), toBinary(ca.certPem));
    } catch (e) {
      debug(`beamwire_ca: cannot sign for ${node}: ${(e as Error).message}`);
      return tuple(ERROR, atom(e instanceof lib.CaError ? e.code.toLowerCase() : 'bad_request'));
    }
  };
  return { answer, tokens };
}

/** The request a node without a certificate sends: a fresh key and its CSR. */
export async function certificateRequest(node: string, token: string): Promise<{ request: Term; keyPem: string }> {
  const lib = await import('../ca/index.js');
  const { csrPem, keyPem } = await lib.makeCsr(node);
  return { request: tuple(REQUEST, atom(node), toBinary(token), toBinary(csrPem)), keyPem };
}

/** The CA's answer as PEMs, or the CertificateRequestError it means. */
export function certificateReply(reply: Term, caNode: string): { cert: string; ca: string } {
  if (reply instanceof Tuple && reply.size === 3 && reply.elements[0] === OK) return { cert: fromBinary(reply.elements[1]!), ca: fromBinary(reply.elements[2]!) };
  const reason = reply instanceof Tuple && reply.size === 2 && reply.elements[0] === ERROR && reply.elements[1] instanceof Atom ? reply.elements[1].name : 'bad_reply';
  throw new CertificateRequestError(reason, `${caNode} refused the certificate request: ${reason}`);
}
