/**
 * Type-level tests' checker: compiles files with the TypeScript compiler
 * API and the repo's tsconfig.json, and gives their diagnostics only (not
 * the whole repo's). Successive calls reuse the last program.
 */
import { resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '../..');

function options(): ts.CompilerOptions {
  const config = ts.readConfigFile(resolve(root, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  return { ...ts.parseJsonConfigFileContent(config.config, ts.sys, root).options, noEmit: true };
}

let last: ts.Program | undefined;

/** The diagnostics of `files` (path → text, on top of the disk), as `file:line: message`, under the repo's tsconfig.json. */
export function diagnostics(files: ReadonlyMap<string, string>): string[] {
  const opts = options();
  const host = ts.createCompilerHost(opts);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(resolve(name)) || fileExists(name);
  host.getSourceFile = (name, lang, ...rest) => {
    const virtual = files.get(resolve(name));
    return virtual === undefined ? getSourceFile(name, lang, ...rest) : ts.createSourceFile(name, virtual, lang);
  };
  // Reusing the last program skips re-checking the files that did not change (the runtime, node types).
  const program = ts.createProgram({ rootNames: [...files.keys()], options: opts, host, ...(last ? { oldProgram: last } : {}) });
  last = program;
  // Only the files under test are checked (what getPreEmitDiagnostics gives for them, without checking the whole repo).
  const roots = [...files.keys()].map((p) => program.getSourceFile(p)!);
  return [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...roots.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)])]
    .map((d) => `${d.file ? `${d.file.fileName.slice(root.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '-'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

