/**
 * global's known nodes with their protocol versions (the atom keys of
 * #state.known), as the connect sends and takes them: `[{Node, Vsn}]` from
 * version 7, bare node names before (make_node_vsn_list/2, add_to_known/2,
 * node_list/1, mk_known_list/2).
 */
import { Atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import { Tuple, type Term } from '../term/values.js';

/** The protocol version we speak (OTP 25-29: 8). */
export const VSN = 8;

/** mk_known_list/2 for version 7+: [{Node, Vsn}]. */
export function knownList(known: ReadonlyMap<Atom, number>): Term[] {
  return [...known].map(([n, v]) => tuple(n, v));
}

/** `{Node, Vsn}` for `N` or `{N, 0}` (the version as we know it), or the pair as given; undefined for anything else. */
export function nodeVsn(t: Term, us: Atom, known: ReadonlyMap<Atom, number>, pending: ReadonlyMap<Atom, number>): Tuple | undefined {
  const [n, v] = t instanceof Atom ? [t, 0] : t instanceof Tuple && t.size === 2 && t.elements[0] instanceof Atom ? [t.elements[0], t.elements[1]] : [undefined, undefined];
  if (n === undefined) return undefined;
  if (typeof v === 'number' && v !== 0) return tuple(n, v);
  return tuple(n, n === us ? VSN : (known.get(n) ?? pending.get(n) ?? 0));
}

/** add_to_known/2: adds the nodes of `nodes` (`N` or `{N, Vsn}`) not known before, and returns them. */
export function addToKnown(known: Map<Atom, number>, us: Atom, nodes: readonly Term[]): Atom[] {
  const added: Atom[] = [];
  for (const t of nodes) {
    const [n, v] = t instanceof Atom ? [t, 0] : t instanceof Tuple && t.size === 2 && t.elements[0] instanceof Atom && typeof t.elements[1] === 'number' ? [t.elements[0], t.elements[1]] : [undefined, 0];
    if (n === undefined || n === us) continue;
    const had = known.get(n);
    if (had === undefined) {
      added.push(n);
      known.set(n, v);
    } else if (had < 0) known.set(n, v);
  }
  return added;
}

/** node_list/1: the node of each `N` or `{N, Vsn}`. */
export function nodeList(list: readonly Term[]): Atom[] {
  return list.map((t) => (t instanceof Atom ? t : t instanceof Tuple && t.elements[0] instanceof Atom ? t.elements[0] : undefined)).filter((n): n is Atom => n !== undefined);
}
