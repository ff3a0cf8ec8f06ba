import type { Atom } from './atom.js';
import { floatText } from './float-text.js';

/**
 * An Erlang float. JavaScript numbers cannot tell `1` from `1.0` or keep
 * `-0.0` apart from `0` in a `Map`, so a decoded float whose value is integral
 * (or is −0.0) arrives as a `Float`; every other float arrives as a plain
 * `number`, which encodes back as a float because it is not an integer.
 */
export class Float {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return floatText(this.value);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** An Erlang tuple. A class of its own, so a tuple is never mistaken for a list. */
export class Tuple<T extends readonly Term[] = Term[]> implements Iterable<Term> {
  constructor(readonly elements: T) {}
  get size(): number {
    return this.elements.length;
  }
  at<I extends number>(i: I): T[I] {
    return this.elements[i] as T[I];
  }
  [Symbol.iterator](): Iterator<Term> {
    return this.elements[Symbol.iterator]();
  }
  [Symbol.for('nodejs.util.inspect.custom')](_d: number, opts: object, inspect: (v: unknown, o: object) => string): string {
    return `{${this.elements.map((e) => inspect(e, opts)).join(', ')}}`;
  }
}

/** `[a, b | tail]`: a list whose tail is not `[]`. Proper lists are plain arrays. */
export class ImproperList {
  /** `elements` is non-empty; `tail` is any term but a proper list. */
  constructor(
    readonly elements: Term[],
    readonly tail: Term,
  ) {}
}

/**
 * A bitstring whose length is not a whole number of bytes: `bytes.length`
 * bytes of which the last holds `bits` (1..8) significant bits, counted from
 * the most significant one. Whole-byte binaries are plain `Uint8Array`s.
 */
export class BitBinary {
  constructor(
    readonly bytes: Uint8Array,
    readonly bits: number,
  ) {}
  /** Length in bits. */
  get bitLength(): number {
    return this.bytes.length === 0 ? 0 : (this.bytes.length - 1) * 8 + this.bits;
  }
}

/** A process identifier. `creation` tells incarnations of one node name apart. */
export class Pid {
  constructor(
    readonly node: Atom,
    readonly id: number,
    readonly serial: number,
    readonly creation: number,
  ) {}
  toString(): string {
    return `<${this.node.name}.${this.id}.${this.serial}>`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** A port identifier. `id` is a bigint because V4 port ids are 64-bit. */
export class Port {
  constructor(
    readonly node: Atom,
    readonly id: bigint,
    readonly creation: number,
  ) {}
  toString(): string {
    return `#Port<${this.node.name}.${this.id}>`;
  }
}

/** A reference: up to 5 opaque 32-bit words (OTP makes 3; V4_NC allows 5), kept exactly as received. */
export class Reference {
  #key: string | undefined;
  constructor(
    readonly node: Atom,
    readonly creation: number,
    readonly ids: readonly number[],
  ) {}
  /**
   * A string equal for two references exactly when they are `=:=`, for Map
   * keys. Kept once made: a call's ref is looked up several times on its way
   * (monitor, reply, DOWN), and private so that structural comparisons
   * (tests' toEqual) do not see it.
   */
  get key(): string {
    if (this.#key === undefined) {
      const i = this.ids;
      this.#key = `${this.node.name}|${this.creation}|${i.length === 3 ? `${i[0]}.${i[1]}.${i[2]}` : i.join('.')}`;
    }
    return this.#key;
  }
  toString(): string {
    return `#Ref<${this.node.name}.${[...this.ids].reverse().join('.')}>`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** `fun M:F/A`. */
export class ExportFun {
  constructor(
    readonly module: Atom,
    readonly name: Atom,
    readonly arity: number,
  ) {}
  toString(): string {
    return `fun ${this.module.name}:${this.name.name}/${this.arity}`;
  }
}

/**
 * A closure made on a BEAM node (NEW_FUN_EXT). TypeScript cannot run it; every
 * field is kept, so it encodes back to a fun that Erlang finds equal.
 */
export class Fun {
  constructor(
    readonly arity: number,
    /** 16-byte MD5 of the module's code. */
    readonly uniq: Uint8Array,
    readonly index: number,
    readonly module: Atom,
    /** OldIndex and OldUniq, integers kept as received. */
    readonly oldIndex: number | bigint,
    readonly oldUniq: number | bigint,
    readonly pid: Pid,
    readonly freeVars: readonly Term[],
  ) {}
  toString(): string {
    return `#Fun<${this.module.name}.${this.index}.${this.arity}>`;
  }
}

/**
 * A term made by `term_to_binary(T, [local])` (LOCAL_EXT, OTP 26+): only the
 * node instance that made it can read it. Kept as its bytes (from the tag to
 * the end of the term), so it can be sent back to that node.
 */
export class LocalTerm {
  constructor(readonly bytes: Uint8Array) {}
}

/** Every value the codec produces or accepts. */
export type Term =
  | number
  | bigint
  | Float
  | boolean
  | Atom
  | string
  | Tuple
  | Term[]
  | ImproperList
  | Uint8Array
  | BitBinary
  | Map<Term, Term>
  | Pid
  | Port
  | Reference
  | ExportFun
  | Fun
  | LocalTerm
  | { readonly [key: string]: Term };
