/**
 * The embedded EPMD's node table, with epmd's rules: a name is registered
 * at most once; each name keeps a creation counter that starts at the
 * current time in seconds and is bumped on every registration of that name
 * (the first included: OTP 25's epmd hands a new name time() + 1), so a
 * restarted node never gets its predecessor's creation and pids of the old
 * incarnation stay distinguishable.
 */
import type { Alive2Req } from '../../generated/epmd.js';

export interface RegisteredNode extends Alive2Req {
  readonly creation: number;
  /** The ALIVE2 connection's number (what DUMP_REQ prints as `fd`). */
  readonly conn: number;
}

interface Unregistered {
  crCounter: number;
  port: number;
  conn: number;
}

/** epmd's MAXSYMLEN: bytes of a name or of the extra field. */
export const MAX_SYMLEN = 255 * 4;
/** epmd's MAX_UNREG_COUNT: how many old names keep their creation counter. */
const MAX_UNREG = 1000;

export class NodeTable {
  readonly #registered = new Map<string, RegisteredNode & { crCounter: number }>();
  /** Insertion order is age: the oldest is forgotten first. */
  readonly #unregistered = new Map<string, Unregistered>();

  constructor(private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {}

  /** The node registered now, or undefined (result 1) when the name is taken or invalid. */
  register(req: Alive2Req, conn: number): RegisteredNode | undefined {
    const name = req.nodeName;
    const chars = [...name].length;
    if (chars < 1 || chars > 255 || Buffer.byteLength(name) > MAX_SYMLEN || req.extra.length > MAX_SYMLEN) return undefined;
    if (this.#registered.has(name)) return undefined;
    const old = this.#unregistered.get(name);
    this.#unregistered.delete(name);
    const crCounter = ((old === undefined ? this.now() : old.crCounter) + 1) >>> 0;
    const node = { ...req, extra: req.extra.slice(), conn, crCounter, creation: creationOf(crCounter, req.highestVersion) };
    this.#registered.set(name, node);
    return node;
  }

  /** Drops `name` if `conn` (when given) is the connection that registered it. */
  unregister(name: string, conn?: number): RegisteredNode | undefined {
    const node = this.#registered.get(name);
    if (node === undefined || (conn !== undefined && node.conn !== conn)) return undefined;
    this.#registered.delete(name);
    this.#unregistered.set(name, { crCounter: node.crCounter, port: node.portNo, conn: node.conn });
    if (this.#unregistered.size > MAX_UNREG) this.#unregistered.delete(this.#unregistered.keys().next().value!);
    return node;
  }

  lookup(name: string): RegisteredNode | undefined {
    return this.#registered.get(name);
  }

  /** Newest first, as epmd lists them. */
  registered(): RegisteredNode[] {
    return [...this.#registered.values()].reverse();
  }

  /** Oldest first: DUMP_REQ's "old/unused" entries. */
  unregistered(): { name: string; port: number; conn: number }[] {
    return [...this.#unregistered].map(([name, u]) => ({ name, port: u.port, conn: u.conn }));
  }
}

/**
 * ALIVE2_X_RESP carries the whole 32-bit counter, where 0..3 are the old
 * 2-bit creations a v6 node must not get (bumped to 4); the old 16-bit
 * ALIVE2_RESP gets 1..3.
 */
export function creationOf(crCounter: number, highestVersion: number): number {
  if (highestVersion < 6) return (crCounter % 3) + 1;
  return crCounter < 4 ? 4 : crCounter;
}
