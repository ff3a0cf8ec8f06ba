/**
 * `node.discover({ hosts })`: net_adm:world_list/1 with reasons. Each host's
 * EPMD is asked for its NAMES; every node listed there (`alive@host`, host as
 * given, as net_adm builds the names) is connected to, and sorted by the
 * outcome: connected (it took our cookie), refused (a handshake that failed:
 * a wrong cookie, a name that does not match, not allowed) or unreachable
 * (no EPMD, no answer, no connection within the time). One host's trouble
 * never fails the others, nor the call.
 */
import { EpmdClient } from '../epmd/index.js';
import { HandshakeError } from '../handshake/index.js';
import { DiscoverTimeout } from './errors.js';
import type { ObserveHost } from './host.js';

export interface DiscoverOptions {
  /** Hosts to ask, as the node names spell them (`-sname` nodes: the short host name). */
  readonly hosts: readonly string[];
  /** The EPMD port on those hosts (default: this node's own EPMD port, else $ERL_EPMD_PORT or 4369). */
  readonly epmdPort?: number;
  /** Milliseconds for each host: its NAMES answer and every connection to its nodes (default 5000). */
  readonly timeout?: number;
}

export interface Discovery {
  /** Nodes that took our cookie and are connected now (those connected already included), sorted. */
  readonly connected: string[];
  /** Nodes whose handshake failed: `error` says the step and reason (a wrong cookie: `recv_challenge_ack`, closed after our challenge reply). */
  readonly refused: { readonly node: string; readonly error: HandshakeError }[];
  /** A host whose EPMD did not answer (no `node`), or a node listed there that could not be reached in time. */
  readonly unreachable: { readonly host: string; readonly node?: string; readonly error: Error }[];
}

export async function discover(host: ObserveHost, options: DiscoverOptions): Promise<Discovery> {
  const timeout = options.timeout ?? 5000;
  if (!(timeout > 0)) throw new RangeError(`discover timeout must be a positive number of ms, not ${timeout}`);
  const port = options.epmdPort ?? (host.epmdPort() || undefined);
  const found: Discovery = { connected: [], refused: [], unreachable: [] };
  await Promise.all([...new Set(options.hosts)].map((h) => discoverHost(host, h, port, timeout, found)));
  found.connected.sort();
  return found;
}

async function discoverHost(host: ObserveHost, on: string, port: number | undefined, timeout: number, found: Discovery): Promise<void> {
  const deadline = Date.now() + timeout;
  let names;
  try {
    names = await new EpmdClient({ host: on, ...(port === undefined ? {} : { port }), timeout }).names();
  } catch (e) {
    found.unreachable.push({ host: on, error: e as Error });
    return;
  }
  const [ourAlive] = host.name.split('@');
  const ours = host.address()?.port;
  // Through our own EPMD port the node finds a peer by name, as it always does; an address given to
  // connect would be pinned for later attempts too, so it is given only for another EPMD port, or
  // when the node runs without EPMD (it has no other way to find the peer).
  const own = host.epmdPort();
  const pin = own === 0 || port !== own;
  await Promise.all(
    names.nodes.map(async ({ name, port: distPort }) => {
      const node = `${name}@${on}`;
      // Ourselves, under whatever host name we were found by.
      if (node === host.name || (name === ourAlive && distPort === ours)) return;
      try {
        await within(host.connect(node, pin ? { host: on, port: distPort } : undefined), deadline - Date.now(), node, timeout);
        found.connected.push(node);
      } catch (e) {
        if (e instanceof HandshakeError) found.refused.push({ node, error: e });
        else found.unreachable.push({ host: on, node, error: e as Error });
      }
    }),
  );
  host.debug(`discover ${on}: ${names.nodes.length} names`);
}

/** `p`, or a DiscoverTimeout after `ms` (the attempt goes on; a later failure of it is dropped here). */
function within(p: Promise<void>, ms: number, node: string, total: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new DiscoverTimeout(node, total)), Math.max(ms, 0));
  });
  p.catch(() => {});
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
