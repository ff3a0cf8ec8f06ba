/**
 * What a node certificate names, and how OTP reads it.
 *
 * The subjectAltName extension holds, in this order:
 *   1. directoryName CN=<alive> (the CN as a UTF8String), for
 *      inet_tls_dist:cert_nodes/1: its parse_subject_altname/1 takes the
 *      *first* dNSName or CN-bearing directoryName of a subjectAltName and
 *      parse_rdn/1 matches only `{utf8String, CN}`. First, so that OTP 29
 *      gives ["alive@"]; OTP 25 and 27 leave a directoryName's attribute
 *      values undecoded (DER) in pkix_decode_cert(_, otp), skip it and
 *      give ["host"] from the dNSName after it (both seen with real erl);
 *   2. dNSName <host>, an IP literal too: OTP's client checks the host it
 *      dials against it (inet_tls_dist:do_setup/7 sets server_name_indication
 *      to the host, then ssl's verify_peer runs pkix_verify_hostname with
 *      {dns_id, Host}, for an IP as well); net_kernel:allow/1 reads it
 *      (inet_tls_dist:allowed_nodes/5 keeps the allowed hosts for which
 *      pkix_verify_hostname(PeerCert, [{dns_id, Host}]) holds: allow over
 *      TLS is as fine as a host); Node's tls.checkServerIdentity reads it;
 *   3. iPAddress entries: 127.0.0.1 when the host resolves to loopback, the
 *      host itself when it is an IP literal, plus any given. The acceptor's
 *      inet_tls_dist:verify_client/3 accepts a peer whose certificate names
 *      its IP ({ip, PeerIP}) or an allowed host.
 * pkix_verify_hostname and checkServerIdentity ignore directoryName
 * entries, so the order costs them nothing.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { CaError } from './errors.js';
import { x509 } from './x509.js';

export interface NodeName {
  readonly alive: string;
  readonly host: string;
}

/** `alive@host` split as OTP's dist_util:split_node/1 does (at the first @). */
export function parseNode(node: string): NodeName {
  const at = node.indexOf('@');
  const alive = at < 0 ? '' : node.slice(0, at);
  const host = at < 0 ? '' : node.slice(at + 1);
  if (alive === '' || host === '' || host.includes('@') || /\s/.test(node))
    throw new CaError('BAD_NODE', `the node name ${JSON.stringify(node)} must be alive@host (one @, no spaces)`);
  return { alive, host };
}

/** A name whose every attribute is a UTF8String: PrintableString has no '@', and OTP's parse_rdn/1 reads only UTF8String CNs. */
export function utf8Name(attributes: ReadonlyArray<readonly [string, string]>): x509.Name {
  return new x509.Name(attributes.map(([type, value]) => ({ [type]: [{ utf8String: value }] })));
}

/**
 * GeneralName directoryName, [4] EXPLICIT Name: @peculiar/x509 makes one
 * only from a DN string, whose values become PrintableStrings, and keeps
 * its ASN.1 objects protected, so the two DER wrappers here are by hand.
 */
function directoryName(name: x509.Name): x509.GeneralName {
  return new x509.GeneralName(tlv(0xa4, new Uint8Array(name.toArrayBuffer())));
}

/** A DER tag-length-value (definite length). */
function tlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  const len: number[] = [];
  if (n < 0x80) len.push(n);
  else {
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
    len.unshift(0x80 | len.length);
  }
  return new Uint8Array([tag, ...len, ...value]);
}

export function isLoopback(ip: string): boolean {
  return ip === '::1' || /^127\./.test(ip) || /^::ffff:127\./i.test(ip);
}

/**
 * The iPAddress entries for `host`: `ips` when given (plus the host if it is
 * an IP literal), else the host literal, or 127.0.0.1 and the loopback
 * addresses the host resolves to. A host that does not resolve here gets
 * none: a certificate for a machine elsewhere.
 */
export async function ipsFor(host: string, ips?: readonly string[]): Promise<string[]> {
  for (const ip of ips ?? []) if (isIP(ip) === 0) throw new CaError('BAD_OPTION', `ips: ${JSON.stringify(ip)} is not an IP address`);
  const out = new Set<string>(isIP(host) ? [host] : []);
  if (ips !== undefined) {
    for (const ip of ips) out.add(ip);
    return [...out];
  }
  if (out.size) return [...out];
  let resolved: string[] = [];
  try {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref());
    resolved = (await Promise.race([lookup(host, { all: true }), timeout])).map((a) => a.address);
  } catch {
    return [];
  }
  const loop = resolved.filter(isLoopback);
  if (loop.length) out.add('127.0.0.1');
  for (const ip of loop) out.add(ip);
  return [...out];
}

/** The subjectAltName extension of a node certificate (layout above). */
export function nodeAltNames(node: NodeName, ips: readonly string[]): x509.Extension {
  const names = [directoryName(utf8Name([['CN', node.alive]]))];
  // An IP host too: OTP's ssl client checks the host it dials as {dns_id, Host} even when Host is an IP literal (seen with real erl: pang without it).
  names.push(new x509.GeneralName('dns', node.host));
  for (const ip of ips) names.push(new x509.GeneralName('ip', ip));
  // GeneralNames ::= SEQUENCE OF GeneralName
  const der = tlv(0x30, Buffer.concat(names.map((n) => new Uint8Array(n.rawData))));
  return new x509.Extension('2.5.29.17', false, der);
}
