/**
 * How contexts call each other: mitogen's CALL_FUNCTION, one message each
 * way. A call is `{call, Id, Hash, Fun, Args, Bundle, Chain}` sent to the
 * tap `beamwire_call` of the context's node, and its answer `{reply, Id,
 * Result}` comes back to the caller's: no process, monitor or alias per
 * call, so a round trip costs two packets. The tap knows which node a call
 * came over, which is the caller. A context that goes fails every call
 * still waiting on it with ChannelError `context_gone`; timeouts and
 * AbortSignals are the caller's own. (Erlang calls the same functions as
 * `beamwire_context:call/6`, an erpc spawn request: service.ts.)
 */
import type { Node } from '../node/node.js';
import { atom, Atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import { Tuple, type Term } from '../term/values.js';
import { ChannelError, TimeoutError } from './channel-errors.js';

export const CALLS = atom('beamwire_call');
const CALL = atom('call');
const REPLY = atom('reply');
const UNDEFINED = atom('undefined');

export interface CallRequest {
  readonly hash: string;
  readonly fn: string;
  readonly args: Term;
  readonly bundle: Term;
  readonly chain: string | undefined;
}

/** What serves calls on this node: the context service's `call`. */
export type CallServer = (request: CallRequest, caller: string) => Promise<Term>;

interface Pending {
  readonly peer: string;
  resolve(t: Term): void;
  reject(e: Error): void;
}

export class Calls {
  readonly #node: Node;
  readonly #pending = new Map<number, Pending>();
  #id = 0;

  constructor(node: Node, serve: CallServer, debug: (line: string) => void) {
    this.#node = node;
    node.tap(CALLS, (peer, m) => {
      if (!(m instanceof Tuple) || !(m.elements[0] instanceof Atom) || typeof m.elements[1] !== 'number') return debug(`calls: ignored a malformed message from ${peer}`);
      const [tag, id, ...f] = m.elements as [Atom, number, ...Term[]];
      if (tag === REPLY) return this.#reply(peer, id, f[0]!);
      if (tag !== CALL || f.length !== 5) return debug(`calls: ignored ${tag.name} from ${peer}`);
      let request: CallRequest;
      try {
        request = { hash: text(f[0]), fn: text(f[1]), args: f[2]!, bundle: f[3]!, chain: f[4] === UNDEFINED ? undefined : text(f[4]) };
      } catch (e) {
        return debug(`calls: ignored a malformed call from ${peer}: ${(e as Error).message}`);
      }
      void serve(request, peer).then((result) => {
        if (id === 0 || node.isStopped) return;
        try {
          node.send([CALLS, peer], tuple(REPLY, id, result));
        } catch (e) {
          // A result the codec refuses (the service has mapped it already: this is a last resort) still gets an answer.
          node.send([CALLS, peer], tuple(REPLY, id, tuple(atom('dead'), atom('undeliverable'), `the result could not be sent: ${(e as Error).message}`)));
        }
      });
    });
    node.on('nodedown', (peer) => {
      for (const [id, p] of this.#pending) {
        if (p.peer !== peer) continue;
        this.#pending.delete(id);
        p.reject(new ChannelError('context_gone', `a call in ${peer}`, 'its connection went down before the reply'));
      }
    });
  }

  /** Sends a call to `peer` and resolves with its result term. `reply: false`: nothing comes back (callNoReply). */
  async call(peer: string, r: CallRequest, o: { timeout?: number | undefined; signal?: AbortSignal | undefined; reply?: boolean } = {}): Promise<Term> {
    // Connected first: a send to a node that cannot be reached is dropped silently, and the call would wait for ever.
    await this.#node.connect(peer);
    const id = o.reply === false ? 0 : ++this.#id;
    const message = tuple(CALL, id, r.hash, r.fn, r.args, r.bundle, r.chain ?? UNDEFINED);
    if (id === 0) {
      this.#node.send([CALLS, peer], message);
      return UNDEFINED;
    }
    o.signal?.throwIfAborted();
    return new Promise<Term>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => settle(() => reject(o.signal!.reason));
      const settle = (f: () => void): void => {
        if (!this.#pending.delete(id)) return;
        if (timer !== undefined) clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        f();
      };
      this.#pending.set(id, { peer, resolve: (t) => settle(() => resolve(t)), reject: (e) => settle(() => reject(e)) });
      if (o.timeout !== undefined) timer = setTimeout(() => settle(() => reject(new TimeoutError(`a call of ${r.fn} in ${peer}`, o.timeout!))), o.timeout);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      this.#node.send([CALLS, peer], message);
    });
  }

  #reply(peer: string, id: number, result: Term): void {
    const p = this.#pending.get(id);
    // Only the node called answers: a reply from elsewhere is forged, a late one (timed out) is dropped.
    if (p === undefined || p.peer !== peer) return;
    p.resolve(result);
  }
}

function text(t: Term | undefined): string {
  if (typeof t === 'string') return t;
  if (t instanceof Uint8Array) return Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('utf8');
  throw new TypeError('expected a binary');
}
