/**
 * Loads the Kaitai reference parsers (generated/reference/*.cjs, written by
 * `npm run gen` from codegen/kaitai.ts) and parses bytes with them strictly:
 * the whole input must be consumed, because Kaitai itself accepts trailing
 * bytes.
 *
 *   const Epmd = loadReference('Epmd');
 *   const req = parseStrict(referenceType(Epmd, 'Request'), bytes);
 *
 * Tests that must not depend on generated/ compile into a temporary folder
 * with {@link compileReferenceToTemp} and pass that folder as `dir`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileReference } from '../../codegen/kaitai.js';
import type { ValidatedSchema } from '../../codegen/validate.js';

const require = createRequire(import.meta.url);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** generated/reference in this checkout. */
export const REFERENCE_PATH = join(repoRoot, 'generated', 'reference');

interface KaitaiStreamCtor {
  new (buffer: ArrayBuffer, byteOffset?: number): KaitaiIo;
}

/** The part of a KaitaiStream the tests look at. */
export interface KaitaiIo {
  pos: number;
  readonly size: number;
  isEof(): boolean;
}

/**
 * A parsed Kaitai object: its fields under their camelCase names
 * (`port_no` → `portNo`), nested objects, arrays, Uint8Arrays and numbers
 * (u8 fields lose precision above 2^53: Kaitai's JS runtime has no BigInt).
 */
export type KaitaiObject = { readonly _io: KaitaiIo } & Record<string, any>;

/** A compiled Kaitai type: the root class of a file or one of its nested types. */
export type KaitaiType = (new (io: KaitaiIo, parent?: unknown, root?: unknown) => KaitaiObject) &
  // Nested types and enums hang off the class: Epmd.Request, Epmd.RequestTag.
  Record<string, unknown>;

const { KaitaiStream } = require('kaitai-struct') as { KaitaiStream: KaitaiStreamCtor };

/** The root class of `<dir>/<className>.cjs`, e.g. `loadReference('Epmd')`. */
export function loadReference(className: string, dir: string = REFERENCE_PATH): KaitaiType {
  const mod = require(join(dir, `${className}.cjs`)) as Record<string, unknown>;
  const cls = mod[className];
  if (typeof cls !== 'function') throw new Error(`${dir}/${className}.cjs does not export ${className}`);
  return cls as KaitaiType;
}

/** A nested type by its class path below the root: `referenceType(Framing, 'DistHeader')`. */
export function referenceType(root: KaitaiType, ...path: string[]): KaitaiType {
  let t: KaitaiType = root;
  for (const name of path) {
    const next = t[name];
    if (typeof next !== 'function') throw new Error(`no reference type ${[root.name, ...path].join('.')}`);
    t = next as KaitaiType;
  }
  return t;
}

/** An enum table of a type: `referenceEnum(Handshake, 'Dflag')` → `{PUBLISHED: 1, …, 1: 'PUBLISHED', …}`. */
export function referenceEnum(type: KaitaiType, name: string): Readonly<Record<string, number | string>> {
  const e = type[name];
  if (e === null || typeof e !== 'object') throw new Error(`no enum ${type.name}.${name}`);
  return e as Readonly<Record<string, number | string>>;
}

/** Bytes left over after a complete parse; Kaitai alone would accept them. */
export class TrailingBytesError extends Error {
  override readonly name = 'TrailingBytesError';
  constructor(
    readonly pos: number,
    readonly size: number,
  ) {
    super(`${size - pos} trailing bytes after the parse (at ${pos} of ${size})`);
  }
}

/**
 * Parses all of `bytes` as `type`; throws Kaitai's error, or
 * TrailingBytesError if bytes are left over: after the whole parse, or inside
 * the sub-stream of a sized field (`size: length` + a type), which Kaitai
 * alone also accepts.
 */
export function parseStrict(type: KaitaiType, bytes: Uint8Array | readonly number[]): KaitaiObject {
  const copy = Uint8Array.from(bytes); // its own ArrayBuffer, exactly the input
  const parsed = new type(new KaitaiStream(copy.buffer), undefined, undefined);
  const open = unconsumed(parsed, new Set());
  if (open !== undefined) throw new TrailingBytesError(open.pos, open.size);
  return parsed;
}

function isKaitaiObject(v: unknown): v is KaitaiObject {
  return typeof v === 'object' && v !== null && '_io' in v;
}

/** The first stream, depth-first, that a parsed object did not read to its end. */
function unconsumed(obj: KaitaiObject, seen: Set<object>): KaitaiIo | undefined {
  if (seen.has(obj)) return undefined;
  seen.add(obj);
  if (!obj._io.isEof()) return obj._io;
  for (const [key, value] of Object.entries(obj)) {
    if (key.startsWith('_')) continue; // _io, _parent, _root, _raw_*, cached instances
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (!isKaitaiObject(item)) continue;
      const open = unconsumed(item, seen);
      if (open !== undefined) return open;
    }
  }
  return undefined;
}

/**
 * Compiles `schemas` into a fresh folder under node_modules/.cache (so that
 * the parsers' `require('kaitai-struct/KaitaiStream')` resolves) and returns
 * it with a cleanup function.
 */
export async function compileReferenceToTemp(
  schemas: readonly Pick<ValidatedSchema, 'path' | 'ksy'>[],
): Promise<{ dir: string; files: Map<string, string>; cleanup: () => void }> {
  const files = await compileReference(schemas);
  const parent = join(repoRoot, 'node_modules', '.cache', 'beamwire-reference');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'run-'));
  for (const [path, text] of files) writeFileSync(join(dir, basename(path)), text);
  return { dir, files, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
