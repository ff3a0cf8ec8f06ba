import { Reader } from '../wire/reader.js';
import type { Atom } from './atom.js';

/** A byte cursor carrying the decode options the generated term decoder consults. */
export class TermReader extends Reader {
  /** Nesting allowed below the top-level term. */
  maxDepth = 1000;
  /** Copy binaries out of the input instead of returning views into it. */
  copyBinaries = false;
  /** The atoms of the enclosing distribution header; ATOM_CACHE_REF is invalid without one. */
  atomCache: readonly Atom[] | undefined = undefined;
  /** Offset of the top-level term's tag: LOCAL_EXT is valid only there. */
  topPos = 0;
}
