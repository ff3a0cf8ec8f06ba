/**
 * The names a generated service file (generated/services/<module>.ts) binds
 * itself, and the words no name there may take. The generator's schema check
 * (codegen/services.ts) refuses a schema whose names would collide with them;
 * `beamwire stubs` (runtime/cli/specs.ts) picks names that pass it. No stub
 * imports this at run time.
 */

/** What the file declares for the stub object `stub` (camelCase): the stub, its function table, the server interface, the expose adapter. */
export function stubNames(stub: string): { readonly stub: string; readonly table: string; readonly server: string; readonly expose: string } {
  const Stub = stub.charAt(0).toUpperCase() + stub.slice(1);
  return { stub, table: `${stub}Functions`, server: `${Stub}Server`, expose: `expose${Stub}` };
}

/** Parameters bound beside a function's arguments: the stub method's caller, target and opts, the adapter's impl. */
export const STUB_PARAMS: ReadonlySet<string> = new Set(['caller', 'target', 'opts', 'impl']);

/** Words strict mode (every module) forbids as a binding name that are not keywords. */
export const STRICT_RESERVED: ReadonlySet<string> = new Set(['arguments', 'eval', 'implements', 'interface', 'package', 'private', 'protected', 'public']);

/** Every word that cannot name a const, a function or a parameter in a module: the keywords and literals, and STRICT_RESERVED. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  ...'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static await'.split(' '),
  ...STRICT_RESERVED,
]);

/** Type names the file imports (C, Term, Pid, Reference) or writes as globals (Array, Map, Promise, Record, Uint8Array): no named type may take them. */
export const TAKEN_TYPES: ReadonlySet<string> = new Set(['C', 'Term', 'Pid', 'Reference', 'Array', 'Map', 'Promise', 'Record', 'Uint8Array']);
