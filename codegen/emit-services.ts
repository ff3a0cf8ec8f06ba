/**
 * Emits a service schema (schemas/services/<module>.service.yaml) as
 * generated/services/<module>.ts: per named type a TS type and its converter;
 * `<module>Functions`, one runtime/stubs Fn per function; the client stub
 * `<module>` (each method takes the caller, the target node, the typed
 * arguments and options); the server interface `<Module>Server` and
 * `expose<Module>(impl)`, the record node.expose takes. Everything that
 * converts or checks lives in runtime/stubs, reached through one entry
 * (runtime/codegen/v1.ts): relatively in this repository, as
 * `beamwire/codegen/v1` in a user's project; this file only writes tables.
 */
import { StructureKind, VariableDeclarationKind, type CodeBlockWriter } from 'ts-morph';
import { stubNames } from '../runtime/stubs/names.js';
import type { Statement } from './emit-term.js';
import { camel, lit, pascal } from './ksy.js';
import { refsOf, tsModule, tsName, type ServiceField, type ServiceType, type ValidatedService } from './services.js';

const TS: Record<string, string> = {
  atom: 'string',
  integer: 'number',
  bigint: 'bigint',
  float: 'number',
  number: 'number',
  boolean: 'boolean',
  binary: 'string',
  bytes: 'Uint8Array',
  charlist: 'string',
  pid: 'Pid',
  reference: 'Reference',
  term: 'Term',
};

/** The TS type of a schema type. */
export function tsType(t: ServiceType): string {
  if (typeof t === 'string') return TS[t]!;
  if ('atoms' in t) return t.atoms.map(lit).join(' | ');
  if ('ref' in t) return pascal(t.ref);
  if ('list' in t) {
    const of = tsType(t.list);
    return of.includes('|') ? `Array<${of}>` : `${of}[]`;
  }
  if ('tuple' in t) return `[${t.tuple.map(tsType).join(', ')}]`;
  if ('map_of' in t) return `Map<${tsType(t.map_of[0])}, ${tsType(t.map_of[1])}>`;
  const fields = 'map' in t ? t.map : t.record.fields;
  return fields.length ? `{ ${fields.map((f) => `${f.name}${f.optional ? '?' : ''}: ${tsType(f.type)}`).join('; ')} }` : 'Record<string, never>';
}

/** The runtime/stubs converter expression of a schema type. */
export function convExpr(t: ServiceType): string {
  if (typeof t === 'string') return `C.${t}`;
  if ('atoms' in t) return `C.atoms(${t.atoms.map(lit).join(', ')})`;
  if ('ref' in t) return camel(t.ref);
  if ('list' in t) return `C.list(${convExpr(t.list)})`;
  if ('tuple' in t) return `C.tuple(${t.tuple.map(convExpr).join(', ')})`;
  if ('map_of' in t) return `C.mapOf(${convExpr(t.map_of[0])}, ${convExpr(t.map_of[1])})`;
  const fields = (fs: readonly ServiceField[]): string => `{ ${fs.map((f) => `${f.name}: ${f.optional ? `C.optional(${convExpr(f.type)})` : convExpr(f.type)}`).join(', ')} }`;
  return 'map' in t ? `C.map(${fields(t.map)})` : `C.record(${lit(t.record.name)}, ${fields(t.record.fields)})`;
}

/** Named types with the ones they refer to first (the schema check has ruled out loops). */
function typeOrder(types: Readonly<Record<string, { type: ServiceType }>>): string[] {
  const out: string[] = [];
  const visit = (n: string): void => {
    if (out.includes(n)) return;
    for (const r of refsOf(types[n]!.type)) visit(r);
    out.push(n);
  };
  for (const n of Object.keys(types)) visit(n);
  return out;
}

const docLine = (s: string): string => s.replace(/\*\//g, '*\\/').replace(/\s*\n\s*/g, ' ').trim();

/** The stubs' runtime entry from generated/services/ in this repository; `beamwire gen` passes `beamwire/codegen/v1`. */
export const REPO_RUNTIME = '../../runtime/codegen/v1.js';

export function emitServices(v: ValidatedService, runtime = REPO_RUNTIME): Statement[] {
  const s = v.service;
  const { stub: mod, table, server, expose } = stubNames(tsModule(s));
  const types = s.types ?? {};
  const out: Statement[] = [
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: runtime, namespaceImport: 'C' },
    {
      kind: StructureKind.ImportDeclaration,
      moduleSpecifier: runtime,
      namedImports: [{ name: 'Pid', isTypeOnly: true }, { name: 'Reference', isTypeOnly: true }, { name: 'Term', isTypeOnly: true }],
    },
  ];
  for (const name of typeOrder(types)) {
    const t = types[name]!;
    out.push({ kind: StructureKind.TypeAlias, isExported: true, name: pascal(name), docs: [docLine(t.doc ?? name)], type: tsType(t.type) });
    out.push({
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [`Converts and checks ${pascal(name)}: \`C.decode(${camel(name)}, term)\`, \`C.encode(${camel(name)}, value)\`, \`C.is(${camel(name)}, term)\`.`],
      declarations: [{ name: camel(name), type: `C.Conv<${pascal(name)}>`, initializer: convExpr(t.type) }],
    });
  }
  const fns = s.functions.map((f) => {
    const params = f.args.map((a) => ({ name: camel(a.name), type: tsType(a.type), doc: a.doc }));
    return { f, method: tsName(f), params, result: tsType(f.result), mfa: `${s.module}:${f.name}/${f.args.length}` };
  });
  out.push({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [`Each function of ${s.module}: its argument and result converters, for calling and serving.`],
    declarations: [
      {
        name: table,
        initializer: (w: CodeBlockWriter) =>
          w.inlineBlock(() => {
            for (const { f, method, params, result } of fns)
              w.writeLine(`${method}: C.fn<[${params.map((p) => `${p.name}: ${p.type}`).join(', ')}], ${result}>(${lit(s.module)}, ${lit(f.name)}, [${f.args.map((a) => convExpr(a.type)).join(', ')}], ${convExpr(f.result)}),`);
          }),
      },
    ],
  });
  out.push({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [`${docLine(s.doc)}\n\nClient stub: \`${mod}.${fns[0]!.method}(node, 'app@host', ...)\` calls ${fns[0]!.mfa} through node.rpc and checks the result (BadArgError before sending, BadResultError on a result of the wrong shape); \`C.bind(${mod}, node, 'app@host')\` fixes the first two.`],
    declarations: [
      {
        name: mod,
        initializer: (w: CodeBlockWriter) =>
          w.inlineBlock(() => {
            for (const { f, method, params, result, mfa } of fns) {
              w.writeLine(`/** \`${mfa}\`: ${docLine(f.doc)} */`);
              const ps = ['caller: C.RpcCaller', 'target: string', ...params.map((p) => `${p.name}: ${p.type}`), 'opts?: C.CallOptions'];
              w.writeLine(`${method}: (${ps.join(', ')}): Promise<${result}> => ${table}.${method}.call(caller, target, [${params.map((p) => p.name).join(', ')}], opts),`);
            }
          }),
      },
    ],
  });
  out.push({
    kind: StructureKind.Interface,
    isExported: true,
    name: server,
    docs: [`${s.module} implemented in TypeScript; \`node.expose(${lit(s.module)}, ${expose}(impl))\` serves it to Erlang.`],
    methods: fns.map(({ f, method, params, result, mfa }) => ({
      // `new(...)` in an interface is a construct signature; quoted, it is the method (impl.new stays plain).
      name: method === 'new' ? lit(method) : method,
      docs: [`\`${mfa}\`: ${docLine(f.doc)}`],
      parameters: params.map((p) => ({ name: p.name, type: p.type })),
      returnType: `${result} | Promise<${result}>`,
    })),
  });
  out.push({
    kind: StructureKind.Function,
    isExported: true,
    name: expose,
    docs: [`The record node.expose takes for ${s.module}: incoming arguments checked and converted (BadArgError names the argument), the implementation's result checked (BadResultError), an undeclared arity refused (UndefError).`],
    parameters: [{ name: 'impl', type: server }],
    returnType: 'C.Exposed',
    statements: (w: CodeBlockWriter) => {
      w.writeLine('return C.expose([').indent(() => {
        for (const { method, params } of fns) {
          const ps = params.map((p) => p.name).join(', ');
          w.writeLine(`C.serve(${table}.${method}, (${ps}) => impl.${method}(${ps})),`);
        }
      });
      w.writeLine(']);');
    },
  });
  return out;
}
