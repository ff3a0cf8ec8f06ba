/**
 * Compiles test/types/stubs.ts with the TypeScript compiler API and the
 * repo's tsconfig.json and demands zero diagnostics: the stubs accept what
 * they should, and every `@ts-expect-error` there marks a real error (an
 * unused one is itself a diagnostic). Then shows the check has teeth: the same
 * file with one directive removed, or one stub argument changed, fails.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const file = resolve(root, 'test/types/stubs.ts');
const source = readFileSync(file, 'utf8');

function options(): ts.CompilerOptions {
  const config = ts.readConfigFile(resolve(root, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  return { ...ts.parseJsonConfigFileContent(config.config, ts.sys, root).options, noEmit: true };
}

/** The diagnostics of the file (with `text` in place of its contents), as `line: message`. */
function diagnose(text: string): string[] {
  const opts = options();
  const host = ts.createCompilerHost(opts);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (resolve(name) === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest));
  const program = ts.createProgram({ rootNames: [file], options: opts, host });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || resolve(d.file.fileName) === file)
    .map((d) => `${d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 : '-'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

describe('test/types/stubs.ts under tsc', () => {
  it('has zero diagnostics: right calls compile, every @ts-expect-error is a real error', () => {
    expect(diagnose(source)).toEqual([]);
  }, 60_000);

  it('fails when a directive is removed, and when a directive has nothing left to excuse', () => {
    const directive = "  // @ts-expect-error a string is not an integer\n";
    expect(source).toContain(directive);
    const bare = diagnose(source.replace(directive, ''));
    expect(bare.join('\n')).toMatch(/Argument of type 'string' is not assignable to parameter of type 'number'/);
    const fixed = diagnose(source.replace("lists.seq(caller, 'erl@h', '1', 10)", "lists.seq(caller, 'erl@h', 1, 10)"));
    expect(fixed.join('\n')).toMatch(/Unused '@ts-expect-error' directive/);
  }, 60_000);
});
