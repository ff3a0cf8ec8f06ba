/**
 * The proxy protocol: terms sent to the name `beamwire_proxy` of the other
 * node (a tap: no process per call). capnweb's push/resolve/release, in ETF:
 * - `{push, Id, Target, Path, Kind, Args, Want, Keep}`: evaluate `Kind`
 *   (`call`, `get` or `probe`) at `Path` (a list of binaries) from `Target`
 *   (`{name, Name}`, `{ref, RefId}` or `{op, Id}`: the result of an earlier
 *   push of the same sender, which is how a call on a promise is sent before
 *   that promise resolves). `Want` is false for a chain's middle steps,
 *   whose results only their successors take; `Keep` is true for a push
 *   that later pushes may name, whose result the owner keeps until the
 *   sender settles it.
 * - `{result, Id, ok | error, Value}`: the answer to a push that wants it.
 * - `{pull, Id}`: the answer to a push sent without `Want` after all.
 * - `{settled, [Id]}`: the sender will never name these pushes again (it
 *   took their results, or dropped their promises): they are not kept.
 * - `{batch, [Message]}`: what one turn of the event loop made, in order.
 * - `{release, [{RefId, Count}]}`: the holder gives back counts of references.
 * In values, a reference is `{'$bw_ref', OwnerNode, RefId, object | function | stream}`
 * and a pipelined argument `{'$bw_op', Id}`.
 */
import { atom, Atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import { Tuple, type Term } from '../term/values.js';
import type { RefKind } from './tables.js';

export const PROXY = atom('beamwire_proxy');
const PUSH = atom('push');
const RESULT = atom('result');
const SETTLED = atom('settled');
const PULL = atom('pull');
const BATCH = atom('batch');
const RELEASE = atom('release');
const NAME = atom('name');
const REF = atom('ref');
const OP = atom('op');
const OK = atom('ok');
const ERROR = atom('error');
const KINDS = { call: atom('call'), get: atom('get'), probe: atom('probe') } as const;
const REF_KINDS = { object: atom('object'), function: atom('function'), stream: atom('stream') } as const;

export type OpKind = keyof typeof KINDS;
export type Target = { readonly name: string } | { readonly ref: number } | { readonly op: number };

export interface Push {
  readonly tag: 'push';
  readonly id: number;
  readonly target: Target;
  readonly path: string[];
  readonly kind: OpKind;
  readonly args: Term[];
  readonly want: boolean;
  readonly keep: boolean;
}
export type Message =
  | Push
  | { readonly tag: 'result'; readonly id: number; readonly ok: boolean; readonly value: Term }
  | { readonly tag: 'settled'; readonly ids: number[] }
  | { readonly tag: 'pull'; readonly id: number }
  | { readonly tag: 'batch'; readonly messages: Term[] }
  | { readonly tag: 'release'; readonly counts: [number, number][] };

/** `{name, Name}` made once per name: every call on an exposed object names it. */
const nameTargets = new Map<string, Tuple>();

export function push(id: number, target: Target, path: readonly string[], kind: OpKind, args: Term[], want: boolean, keep: boolean): Tuple {
  let t: Tuple;
  if ('name' in target) {
    t = nameTargets.get(target.name) ?? tuple(NAME, target.name);
    if (nameTargets.size < 1024) nameTargets.set(target.name, t);
  } else t = 'ref' in target ? tuple(REF, target.ref) : tuple(OP, target.op);
  return tuple(PUSH, id, t, path as string[], KINDS[kind], args, want, keep);
}
export const pull = (id: number): Tuple => tuple(PULL, id);
export const batch = (messages: Term[]): Tuple => tuple(BATCH, messages);
export const result = (id: number, ok: boolean, value: Term): Tuple => tuple(RESULT, id, ok ? OK : ERROR, value);
export const settled = (ids: number[]): Tuple => tuple(SETTLED, ids);
export const release = (counts: [number, number][]): Tuple => tuple(RELEASE, counts.map(([id, n]) => tuple(id, n)));

export const refTerm = (owner: string, id: number, kind: RefKind): Tuple => tuple(atom('$bw_ref'), atom(owner), id, REF_KINDS[kind]);
export const opTerm = (id: number): Tuple => tuple(atom('$bw_op'), id);

/** A `{'$bw_ref', …}` tuple read back; undefined when it is not one. */
export function readRef(t: Tuple): { owner: string; id: number; kind: RefKind } | { op: number } | undefined {
  const [, a, b, c] = t.elements;
  if (t.elements.length === 2 && isId(a)) return { op: a };
  if (t.elements.length !== 4 || !(a instanceof Atom) || !isId(b) || !(c instanceof Atom)) return undefined;
  const kind = c.name as RefKind;
  return kind in REF_KINDS ? { owner: a.name, id: b, kind } : undefined;
}

const isId = (t: Term | undefined): t is number => typeof t === 'number' && Number.isSafeInteger(t) && t > 0;

function text(t: Term | undefined): string | undefined {
  if (typeof t === 'string') return t;
  if (t instanceof Uint8Array) return t.length <= 32 && isAscii(t) ? String.fromCharCode.apply(null, t as unknown as number[]) : Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('utf8');
  if (t instanceof Atom) return t.name;
  return undefined;
}

/** A path's names are short ASCII: read them without a Buffer each. */
function isAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) return false;
  return true;
}

/** A path from the wire or from Erlang: a list of binaries, strings or atoms. */
export function readPath(t: Term | undefined): string[] | undefined {
  if (!Array.isArray(t)) return undefined;
  const out: string[] = [];
  for (const e of t) {
    const s = text(e);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

function readIds(t: Term | undefined): number[] | undefined {
  return Array.isArray(t) && t.every(isId) ? (t as number[]) : undefined;
}

function readTarget(t: Term | undefined): Target | undefined {
  if (!(t instanceof Tuple) || t.elements.length !== 2) return undefined;
  const [tag, v] = t.elements;
  if (tag === NAME) {
    const name = text(v);
    return name === undefined ? undefined : { name };
  }
  if (tag === REF && isId(v)) return { ref: v };
  if (tag === OP && isId(v)) return { op: v };
  return undefined;
}

/** The message `m` is, or undefined for anything malformed (hostile input is dropped, never thrown). */
export function readMessage(m: Term): Message | undefined {
  if (!(m instanceof Tuple) || !(m.elements[0] instanceof Atom)) return undefined;
  const [tag, ...f] = m.elements;
  if (tag === PUSH && f.length === 7 && isId(f[0])) {
    const target = readTarget(f[1]);
    const path = readPath(f[2]);
    const kind = f[3] instanceof Atom ? (f[3].name as OpKind) : undefined;
    if (target === undefined || path === undefined || kind === undefined || !(kind in KINDS) || !Array.isArray(f[4]) || typeof f[5] !== 'boolean' || typeof f[6] !== 'boolean') return undefined;
    return { tag: 'push', id: f[0], target, path, kind, args: f[4], want: f[5], keep: f[6] };
  }
  if (tag === PULL && f.length === 1 && isId(f[0])) return { tag: 'pull', id: f[0] };
  if (tag === BATCH && f.length === 1 && Array.isArray(f[0])) return { tag: 'batch', messages: f[0] };
  if (tag === RESULT && f.length === 3 && isId(f[0]) && (f[1] === OK || f[1] === ERROR)) return { tag: 'result', id: f[0], ok: f[1] === OK, value: f[2]! };
  if (tag === SETTLED && f.length === 1) {
    const ids = readIds(f[0]);
    return ids === undefined ? undefined : { tag: 'settled', ids };
  }
  if (tag === RELEASE && f.length === 1 && Array.isArray(f[0])) {
    const counts: [number, number][] = [];
    for (const p of f[0]) {
      if (!(p instanceof Tuple) || p.elements.length !== 2 || !isId(p.elements[0]) || !isId(p.elements[1])) return undefined;
      counts.push([p.elements[0], p.elements[1]]);
    }
    return { tag: 'release', counts };
  }
  return undefined;
}
