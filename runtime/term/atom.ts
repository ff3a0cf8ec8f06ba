/**
 * Erlang atoms. Interned: `atom('ok') === atom('ok')`, so atoms compare by
 * identity and work as `Map` keys. The table only grows, as in the BEAM; the
 * decoder bounds each atom to 255 code points, so one hostile term cannot add
 * more atoms than it has bytes.
 */
export class Atom {
  /** @internal use {@link atom}; the constructor does not intern. */
  private constructor(readonly name: string) {}

  static readonly #table = new Map<string, Atom>();

  /** The interned atom for `name`. */
  static of(name: string): Atom {
    let a = Atom.#table.get(name);
    if (a === undefined) {
      a = new Atom(name);
      Atom.#table.set(name, a);
    }
    return a;
  }

  toString(): string {
    return this.name;
  }

  /** Shown as Erlang prints it, so logs read like Erlang's. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return /^[a-z][A-Za-z0-9_@]*$/.test(this.name) ? this.name : `'${this.name.replace(/[\\']/g, '\\$&')}'`;
  }
}

/** The interned atom for `name` (no length check here: see {@link MAX_ATOM_CHARS}). */
export const atom = (name: string): Atom => Atom.of(name);

/** OTP's limit on an atom's length, in code points (not bytes). */
export const MAX_ATOM_CHARS = 255;
