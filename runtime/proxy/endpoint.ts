/**
 * A node's side of the proxy protocol (messages.ts): what it exposes and
 * exports (the owner's role) and the pushes it waits on (the holder's).
 * One per node, on a tap, so a call costs two messages and no process.
 * Sessions are per peer node; a peer that goes takes its holds, its kept
 * results and our pending pushes to it with it.
 */
import type { Node } from '../node/node.js';
import { fullName } from '../node/names.js';
import { CallError, valueFromTerm, valueToTerm, type EncodeHooks } from '../router/index.js';
import { CallTimeoutError } from '../rpc/index.js';
import { Tuple, type Term } from '../term/values.js';
import { EncodeError } from '../wire/errors.js';
import * as msg from './messages.js';
import { Op, type CallOptions, type Pushes } from './ops.js';

export type { CallOptions } from './ops.js';
import { Policy, walk } from './policy.js';
import { makeRemote, refOf } from './remote.js';
import type { Remote } from './types.js';
import { remoteStream } from './stream.js';
import { Exports, Imports, type RefKind } from './tables.js';

/** Results kept for pipelining per peer; past it the oldest goes: a bound on what a peer can make us hold. */
export const MAX_KEPT = 100_000;

interface Exposed {
  readonly value: object;
  readonly policy: Policy;
  /** ctx.exposeObject: only this node may reach it. */
  readonly only: string | undefined;
}

/** Messages in one message at most (a batch), so that one turn's pushes never make a packet without bound. */
const BATCH_MAX = 256;

interface QueuedPush {
  readonly op: Op;
  /** Kept alive until sent: its result is named by this push. */
  readonly base: Op | undefined;
  readonly options: CallOptions;
  readonly target: msg.Target;
  readonly path: readonly string[];
  readonly kind: msg.OpKind;
  readonly terms: Term[];
}
type Outgoing = QueuedPush | Tuple;

/** A push's result as its owner keeps it for pushes that name it: `value` is the promise while pending, the error on error. */
interface Kept {
  state: 'pending' | 'ok' | 'error';
  value: unknown;
}

/** What is its own term under the values mapping: no walk, no hooks. */
const isPlain = (v: unknown): v is string | boolean | number =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v) && !Object.is(v, -0));

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';

/** A pipelined argument: the result of an earlier push, awaited before the call. */
class Pipelined {
  constructor(readonly result: Promise<unknown>) {}
}

const endpoints = new WeakMap<Node, Endpoint>();

export class Endpoint implements Pushes {
  readonly exports = new Exports();
  readonly imports: Imports;
  readonly #exposed = new Map<string, Exposed>();
  readonly #kept = new Map<string, Map<number, Kept>>();
  readonly #pending = new Map<number, Op>();
  readonly #acks = new Map<string, number[]>();
  readonly #releases = new Map<string, Map<number, number>>();
  readonly #up = new Set<string>();
  readonly #connecting = new Map<string, Promise<void>>();
  readonly #outbox = new Map<string, Outgoing[]>();
  /** Pushes sent without asking for their results: when their promises are collected, the owner may drop those results. */
  readonly #unasked = new FinalizationRegistry<{ peer: string; id: number }>((h) => this.#ack(h.peer, h.id));
  #nextOp = 1;
  #flushQueued = false;
  #received = 0;
  #answered = 0;

  static of(node: Node): Endpoint {
    let e = endpoints.get(node);
    if (e === undefined) endpoints.set(node, (e = new Endpoint(node)));
    return e;
  }

  private constructor(readonly node: Node) {
    this.imports = new Imports((owner, id, count) => this.#queueRelease(owner, id, count));
    node.tap(msg.PROXY, (peer, m) => this.#onMessage(peer, m));
    for (const n of node.nodes()) this.#up.add(n);
    node.on('nodeup', (peer) => this.#up.add(peer));
    node.on('nodedown', (peer) => this.#down(peer));
  }

  expose(name: string, value: object, options: { allow?: readonly string[] | undefined; only?: string | undefined }): void {
    if (this.#exposed.has(name)) throw refusal(this.node.name, name, 'EXPOSED', 'a name exposed already');
    this.#exposed.set(name, { value, policy: new Policy(options.allow), only: options.only });
  }

  unexpose(name: string): boolean {
    return this.#exposed.delete(name);
  }

  exposed(name: string): Exposed | undefined {
    return this.#exposed.get(name);
  }

  /** node.proxy: checks that `name` is exposed on `peer` (one round trip), then gives its proxy. */
  async proxy<T>(name: string, peer: string | undefined, options: CallOptions): Promise<Remote<T>> {
    const p = peer === undefined ? this.node.name : fullName(peer);
    await this.push(p, { name }, [], 'probe', [], options).promise;
    return makeRemote(this, p, { name }, options) as Remote<T>;
  }

  // ---- the holder's side

  /**
   * Queues a push and gives the op that settles with its result. Never
   * throws: a bad argument fails the op. Pushes leave together at the end of
   * the turn (one message), by when a chain's middle steps are known: their
   * results are not asked for.
   */
  push(peer: string, target: msg.Target, path: readonly string[], kind: msg.OpKind, args: readonly unknown[], o: CallOptions, base?: Op): Op {
    const op = new Op(this.#nextOp++, peer);
    let terms: Term[];
    try {
      terms = args.map((a, i) => (isPlain(a) ? a : this.encode(a, `args[${i}]`, peer, true)));
    } catch (e) {
      op.fail(e);
      return op;
    }
    if (base !== undefined) base.usedAsBase = true;
    this.#queue(peer, { op, base, options: o, target, path, kind, terms });
    return op;
  }

  /** Waits for `m`'s result; a timeout or a signal may end the wait first. */
  #await(op: Op, m: QueuedPush): void {
    this.#pending.set(op.id, op);
    const { timeout, signal } = m.options;
    if (timeout === undefined && signal === undefined) return;
    if (signal?.aborted === true) return void this.#abandon(op, signal.reason);
    const timer = timeout === undefined ? undefined : setTimeout(() => this.#abandon(op, new CallTimeoutError(`${describeTarget(m.target, m.path)} on ${op.peer}`, timeout)), timeout);
    const onAbort = (): void => this.#abandon(op, signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    op.onDone(() => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  }

  /** A timeout or an abort: the result, if it ever comes, is dropped; a kept one is let go now. */
  #abandon(op: Op, why: unknown): void {
    if (op.state !== 'pending') return;
    if (op.kept) this.#ack(op.peer!, op.id);
    this.#pending.delete(op.id);
    op.fail(why);
  }

  #onResult(peer: string, id: number, ok: boolean, value: Term): void {
    const op = this.#pending.get(id);
    if (op === undefined || op.peer !== peer) return;
    this.#pending.delete(id);
    if (op.kept) this.#ack(peer, id);
    let v: unknown = value;
    // Numbers and booleans are themselves; anything else goes through the values mapping.
    if (typeof value === 'object') {
      try {
        v = valueFromTerm(value, { node: this.node, reference: (t) => this.#import(t, peer, undefined) });
      } catch (e) {
        return op.fail(e);
      }
    }
    if (ok) op.settle(v);
    else op.fail(remoteError(v, peer));
  }

  // ---- the owner's side

  #onPush(peer: string, p: msg.Push): void {
    this.#received++;
    let kept = this.#kept.get(peer);
    if (kept === undefined) this.#kept.set(peer, (kept = new Map()));
    // A holder settles a middle step's result only when its promise is collected: at the bound, the
    // oldest kept result goes (a call on it later is refused), so what a peer makes us hold stays bounded.
    if (p.keep && kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value!);
    let out: unknown;
    let threw = false;
    try {
      out = this.#run(peer, kept, p);
    } catch (e) {
      out = e;
      threw = true;
    }
    // A method that answers at once is answered at once: no promise on the way (the common case).
    if (threw || !isThenable(out)) {
      if (p.keep) kept.set(p.id, threw ? { state: 'error', value: out } : { state: 'ok', value: out });
      if (p.want) this.#reply(peer, p.id, !threw, out);
      return;
    }
    const entry: Kept = { state: 'pending', value: Promise.resolve(out) };
    if (p.keep) kept.set(p.id, entry);
    (entry.value as Promise<unknown>).then(
      (v) => {
        entry.state = 'ok';
        entry.value = v;
        if (p.want) this.#reply(peer, p.id, true, v);
      },
      (e: unknown) => {
        entry.state = 'error';
        entry.value = e;
        if (p.want) this.#reply(peer, p.id, false, e);
      },
    );
  }

  #onPull(peer: string, id: number): void {
    const k = this.#kept.get(peer)?.get(id);
    if (k === undefined) return this.#reply(peer, id, false, badRequest(this.node.name, `a pull of push ${id}, whose result is not kept (settled, or never sent)`));
    if (k.state !== 'pending') return this.#reply(peer, id, k.state === 'ok', k.value);
    (k.value as Promise<unknown>).then(
      (v) => this.#reply(peer, id, true, v),
      (e: unknown) => this.#reply(peer, id, false, e),
    );
  }

  /** The push's value: at once when it can be, else a promise (a pending base, a pipelined argument, an async method). */
  #run(peer: string, kept: Map<number, Kept>, p: msg.Push): unknown {
    const where = new Where(p.target, this.node.name);
    if ('op' in p.target) {
      const k = kept.get(p.target.op);
      if (k === undefined) throw badRequest(this.node.name, `a call on push ${p.target.op}, whose result is not kept (settled, evicted, or never sent)`);
      if (k.state === 'error') throw k.value;
      if (k.state === 'pending') return (k.value as Promise<unknown>).then((base) => this.#step(peer, kept, p, base, Policy.open, where));
      return this.#step(peer, kept, p, k.value, Policy.open, where);
    }
    if ('name' in p.target) {
      const e = this.#exposed.get(p.target.name);
      if (e === undefined || (e.only !== undefined && e.only !== peer)) throw refusal(this.node.name, p.target.name, 'NO_SUCH_NAME', `nothing is exposed as ${p.target.name}`);
      return p.kind === 'probe' ? true : this.#step(peer, kept, p, e.value, e.policy, where);
    }
    const e = this.exports.get(p.target.ref);
    if (e === undefined || !e.holders.has(peer)) throw refusal(this.node.name, `reference ${p.target.ref}`, 'NO_SUCH_REF', `${peer} holds no reference ${p.target.ref} here (released, or never given)`);
    if (e.kind === 'stream') return this.#streamStep(e, p, where);
    return p.kind === 'probe' ? true : this.#step(peer, kept, p, e.value, Policy.open, where);
  }

  #step(peer: string, kept: Map<number, Kept>, p: msg.Push, base: unknown, policy: Policy, where: Where): unknown {
    if (p.kind === 'probe') return true;
    const args = this.#decodeArgs(p.args, peer, kept);
    if (args instanceof Promise) return args.then((a) => this.#apply(p, base, policy, where, a));
    return this.#apply(p, base, policy, where, args);
  }

  #apply(p: msg.Push, base: unknown, policy: Policy, where: Where, args: unknown[]): unknown {
    const { value, holder } = walk(base, p.path, policy, where);
    if (p.kind === 'get') return value;
    if (typeof value !== 'function') throw new TypeError(`${p.path.join('.') || 'the reference'} on ${String(where)} is not a function`);
    return Reflect.apply(value, holder, args) as unknown;
  }

  async #streamStep(e: { value: object; iterator?: AsyncIterator<unknown> }, p: msg.Push, where: Where): Promise<unknown> {
    const step = p.path.length === 1 && p.kind === 'call' ? p.path[0] : undefined;
    if (step !== 'next' && step !== 'return') throw refusal(this.node.name, p.path.join('.'), 'NOT_ALLOWED', `a stream on ${where} answers next and return only`);
    e.iterator ??= (e.value as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const r = step === 'next' ? await e.iterator.next() : await (e.iterator.return?.() ?? { done: true, value: undefined });
    return { done: r.done === true, value: r.value };
  }

  /** The arguments, or a promise of them when one is a pipelined result. */
  #decodeArgs(terms: Term[], peer: string, kept: Map<number, Kept>): unknown[] | Promise<unknown[]> {
    if (terms.length === 0) return [];
    let pipelined = false;
    const ctx = {
      node: this.node,
      reference: (r: Tuple) => {
        const v = this.#import(r, peer, kept);
        if (v instanceof Pipelined) pipelined = true;
        return v;
      },
    };
    const args = terms.map((t) => valueFromTerm(t, ctx));
    return pipelined ? Promise.all(args.map((a) => (a instanceof Pipelined ? a.result : a))) : args;
  }

  #reply(peer: string, id: number, ok: boolean, v: unknown): void {
    if (this.node.isStopped) return;
    this.#answered++;
    let term: Term;
    try {
      term = ok ? this.encode(v, 'result', peer, false) : this.#encodeError(v, peer);
    } catch (e) {
      ok = false;
      term = this.#encodeError(e, peer);
    }
    this.#queue(peer, msg.result(id, ok, term));
  }

  #encodeError(e: unknown, peer: string): Term {
    const err = e instanceof Error ? e : new Error(`threw a non-Error: ${String(e)}`);
    try {
      return this.encode(err, 'error', peer, false);
    } catch {
      return valueToTerm(new Error(`${err.name}: ${err.message}`));
    }
  }

  // ---- values, with references

  /** `v` as a term for `peer`: functions, class instances and streams become references it holds. */
  encode(v: unknown, path: string, peer: string, isArgs: boolean): Term {
    if (isPlain(v)) return v;
    const hooks: EncodeHooks = { byReference: (o, at) => this.#refTerm(o, at, peer, isArgs) };
    return valueToTerm(v, path, hooks);
  }

  #refTerm(o: object, at: string, peer: string, isArgs: boolean): Term {
    const held = refOf(o);
    if (held !== undefined) {
      if ('op' in held) {
        const op = held.op;
        if (op.state === 'ok' && held.path.length === 0) return this.encode(op.value, at, peer, isArgs);
        if (op.pipelinable && op.peer === peer && held.path.length === 0 && isArgs && /^args\[\d+\]$/.test(at)) {
          op.usedAsBase = true;
          return msg.opTerm(op.id);
        }
        throw new EncodeError('UNSUPPORTED_VALUE', at, 'a pipelined result crosses only as a whole argument of a call to the node it came from; await it first');
      }
      if (held.owner === peer && held.path.length === 0) return msg.refTerm(held.owner, held.id, held.kind);
      throw new EncodeError('UNSUPPORTED_VALUE', at, `a reference from ${held.owner} goes back to its owner only, not to ${peer}`);
    }
    const kind: RefKind = typeof o === 'function' ? 'function' : Symbol.asyncIterator in o ? 'stream' : 'object';
    return msg.refTerm(this.node.name, this.exports.add(o, kind, peer), kind);
  }

  /** A reference tuple in a value from `peer`; `kept` only on the owner's side, where a pipelined argument may be. */
  #import(t: Tuple, peer: string, kept: Map<number, Kept> | undefined): unknown {
    const r = msg.readRef(t);
    if (r === undefined) throw badRequest(this.node.name, 'a malformed reference');
    if ('op' in r) {
      const k = kept?.get(r.op);
      if (k === undefined) throw badRequest(this.node.name, `an argument names push ${r.op}, whose result is not kept`);
      return new Pipelined(k.state === 'pending' ? (k.value as Promise<unknown>) : k.state === 'ok' ? Promise.resolve(k.value) : Promise.reject(k.value));
    }
    if (r.owner === this.node.name && peer !== this.node.name) {
      const e = this.exports.get(r.id);
      if (e === undefined || !e.holders.has(peer)) throw refusal(this.node.name, `reference ${r.id}`, 'NO_SUCH_REF', `${peer} holds no reference ${r.id} here`);
      return e.value;
    }
    return this.imports.take(r.owner, r.id, () => (r.kind === 'stream' ? remoteStream(this, r.owner, r.id) : makeRemote(this, r.owner, { ref: { owner: r.owner, id: r.id, kind: r.kind } }, {})));
  }

  // ---- the wire

  #onMessage(peer: string, m: Term, nested = false): void {
    const parsed = msg.readMessage(m);
    if (parsed === undefined) return; // hostile or foreign: dropped, as a node drops what it cannot read
    switch (parsed.tag) {
      case 'batch':
        if (!nested) for (const one of parsed.messages) this.#onMessage(peer, one, true);
        return;
      case 'pull':
        return this.#onPull(peer, parsed.id);
      case 'push':
        return this.#onPush(peer, parsed);
      case 'result':
        return this.#onResult(peer, parsed.id, parsed.ok, parsed.value);
      case 'settled': {
        const kept = this.#kept.get(peer);
        if (kept !== undefined) for (const id of parsed.ids) kept.delete(id);
        return;
      }
      case 'release':
        for (const [id, n] of parsed.counts) this.exports.release(id, peer, n);
        return;
    }
  }

  #queue(peer: string, m: Outgoing): void {
    let box = this.#outbox.get(peer);
    if (box === undefined) this.#outbox.set(peer, (box = []));
    box.push(m);
    if (box.length >= BATCH_MAX) this.#flushPeer(peer);
    else this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // Two turns of the microtask queue: after `await` has asked for a result, and after the
    // continuations a result wakes have made their pushes, so acknowledgements ride along.
    queueMicrotask(() => queueMicrotask(() => this.#flush()));
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.node.isStopped) return;
    const peers = new Set([...this.#outbox.keys(), ...this.#acks.keys(), ...this.#releases.keys()]);
    for (const peer of peers) this.#flushPeer(peer);
  }

  #flushPeer(peer: string): void {
    const box = this.#outbox.get(peer) ?? [];
    this.#outbox.delete(peer);
    const terms: Term[] = [];
    const ops: (Op | undefined)[] = [];
    const acks = this.#takeAcks(peer);
    if (acks.length > 0) (terms.push(msg.settled(acks)), ops.push(undefined));
    const released = this.#releases.get(peer);
    this.#releases.delete(peer);
    if (released !== undefined) (terms.push(msg.release([...released])), ops.push(undefined));
    for (const m of box) {
      if (m instanceof Tuple) {
        terms.push(m);
        ops.push(undefined);
        continue;
      }
      const { op } = m;
      if (op.state !== 'pending') continue; // aborted before it left
      const want = op.asked || !op.usedAsBase;
      const keep = op.usedAsBase;
      op.sent = true;
      op.kept = keep;
      if (want) {
        this.#await(op, m);
      } else {
        op.sentUnasked(() => this.#pullLater(peer, op, m));
        this.#unasked.register(op, { peer, id: op.id }, op);
      }
      terms.push(msg.push(op.id, m.target, m.path, m.kind, m.terms, want, keep));
      ops.push(op);
    }
    for (let i = 0; i < terms.length; i += BATCH_MAX) {
      const chunk = terms.slice(i, i + BATCH_MAX);
      this.#send(peer, chunk.length === 1 ? (chunk[0] as Tuple) : msg.batch(chunk), ops.slice(i, i + BATCH_MAX));
    }
  }

  /** An op sent without asking for its result, asked for now. */
  #pullLater(peer: string, op: Op, m: QueuedPush): void {
    this.#unasked.unregister(op);
    this.#await(op, m);
    this.#queue(peer, msg.pull(op.id));
  }

  #send(peer: string, m: Tuple, ops: readonly (Op | undefined)[]): void {
    const fail = (e: unknown): void => {
      for (const op of ops) {
        if (op === undefined) continue;
        this.#pending.delete(op.id);
        op.fail(e);
      }
    };
    if (peer === this.node.name) return void queueMicrotask(() => this.#onMessage(peer, m));
    if (this.#up.has(peer)) {
      try {
        return this.node.send([msg.PROXY, peer], m);
      } catch (e) {
        return fail(e);
      }
    }
    // Not connected: a send would be dropped silently, and the push wait for ever. Connect first, in order.
    const before = this.#connecting.get(peer) ?? this.node.connect(peer);
    const after = before.then(() => {
      this.#up.add(peer);
      this.node.send([msg.PROXY, peer], m);
    });
    this.#connecting.set(peer, after.catch(() => undefined));
    after.then(
      () => this.#connecting.get(peer) === after && this.#connecting.delete(peer),
      (e: unknown) => fail(new CallError(peer, 'connect', 'Error', `cannot reach ${peer}: ${(e as Error).message}`, undefined, { code: 'NODEDOWN', where: `from ${this.node.name}`, cause: e })),
    );
  }

  #down(peer: string): void {
    this.#up.delete(peer);
    this.#kept.delete(peer);
    this.#acks.delete(peer);
    this.#releases.delete(peer);
    this.exports.dropHolder(peer);
    this.imports.dropOwner(peer);
    for (const op of [...this.#pending.values()]) {
      if (op.peer !== peer) continue;
      this.#pending.delete(op.id);
      op.fail(new CallError(peer, 'call', 'Error', `${peer} went down before it answered`, undefined, { code: 'NODEDOWN', where: `on ${peer}` }));
    }
  }

  #ack(peer: string, id: number): void {
    const list = this.#acks.get(peer);
    if (list === undefined) this.#acks.set(peer, [id]);
    else list.push(id);
    this.#scheduleFlush();
  }

  #takeAcks(peer: string): number[] {
    const list = this.#acks.get(peer);
    if (list === undefined) return [];
    this.#acks.delete(peer);
    return list;
  }

  #queueRelease(owner: string, id: number, count: number): void {
    if (this.node.isStopped) return;
    let m = this.#releases.get(owner);
    if (m === undefined) this.#releases.set(owner, (m = new Map()));
    m.set(id, (m.get(id) ?? 0) + count);
    this.#scheduleFlush();
  }

  /** Pushes waiting for a result, results kept per peer: for tests and status. */
  stats(): { pending: number; kept: number; received: number; answered: number; exports: number; imports: number } {
    let kept = 0;
    for (const m of this.#kept.values()) kept += m.size;
    return { pending: this.#pending.size, kept, received: this.#received, answered: this.#answered, exports: this.exports.size, imports: this.imports.size };
  }
}

/** `calc on a@host`, made only when an error needs it. */
class Where {
  constructor(
    readonly target: msg.Target,
    readonly node: string,
  ) {}
  toString(): string {
    return `${describeTarget(this.target, [])} on ${this.node}`;
  }
}

function describeTarget(t: msg.Target, path: readonly string[]): string {
  const base = 'name' in t ? t.name : 'ref' in t ? `reference ${t.ref}` : `the result of push ${t.op}`;
  return path.length === 0 ? base : `${base}.${path.join('.')}`;
}

function refusal(where: string, target: string, code: string, why: string): CallError {
  return new CallError(where, target, 'CallError', why, undefined, { code, message: `${target} on ${where}: ${why}` });
}

function badRequest(where: string, why: string): CallError {
  return refusal(where, 'request', 'BAD_REQUEST', why);
}

/** A rejection as the remote error was (its name, message, stack, cause); a refusal is a CallError again. */
function remoteError(v: unknown, peer: string): Error {
  if (!(v instanceof Error)) return new CallError(peer, 'call', 'Error', `threw ${String(v)}`, undefined, { where: `on ${peer}` });
  if (v.name !== 'CallError') return v;
  const c = (v as { code?: unknown }).code;
  const code = typeof c === 'string' ? c : 'CALL_ERROR';
  return new CallError(peer, 'call', 'CallError', v.message, v.stack, { code, message: v.message });
}
