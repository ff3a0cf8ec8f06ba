/**
 * `beamwire stubs` without a node (runtime/cli/specs.ts): abstract forms,
 * written here as the erl_parse terms `beam_lib:chunks(F, [abstract_code])`
 * gives (read with the CLI's own term parser), mapped to the service schema
 * vocabulary; the YAML passes codegen's checks; odd forms never throw.
 * Also the argv reader and the exit codes of usage errors (runtime/cli/main.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { validateServices } from '../../codegen/services.js';
import { main, parseArgv } from '../../runtime/cli/main.js';
import { buildStubs, collectForms, printType, toYaml, tsFor } from '../../runtime/cli/specs.js';
import { parseTerm } from '../../runtime/cli/term-parser.js';
import { atom, tuple, type Term } from '../../runtime/index.js';

const T = (src: string): Term => parseTerm(src);
const spec = (f: string, a: number, clauses: string): Term => T(`{attribute, 1, spec, {{${f}, ${a}}, ${clauses}}}`);
const fun = (args: string[], result: string): string => `{type, 1, 'fun', [{type, 1, product, [${args.join(', ')}]}, ${result}]}`;
const ty = (name: string, args = '[]'): string => `{type, 1, ${name}, ${args}}`;

/** One function f/N with the spec clause `args -> result`, as YAML-ready model. */
function one(args: string[], result: string, extra: Term[] = []) {
  const forms = collectForms([spec('f', args.length, `[${fun(args, result)}]`), ...extra]);
  const exports = [tuple(atom('f'), args.length)];
  return buildStubs('m', exports, forms, 'test');
}

describe('Erlang types → schema types', () => {
  const cases: [string, unknown][] = [
    [ty('integer'), 'integer'],
    [ty('non_neg_integer'), 'integer'],
    [ty('pos_integer'), 'integer'],
    [ty('range', '[{integer, 1, 1}, {integer, 1, 10}]'), 'integer'],
    [ty('range', '[{integer, 1, 0}, {op, 1, bsl, {integer, 1, 1}, {integer, 1, 64}}]'), 'bigint'],
    [ty('float'), 'float'],
    [ty('number'), 'number'],
    [ty('boolean'), 'boolean'],
    [ty('atom'), 'atom'],
    ['{atom, 1, ok}', { atoms: ['ok'] }],
    [ty('union', '[{atom, 1, a}, {atom, 1, b}]'), { atoms: ['a', 'b'] }],
    [ty('union', '[{atom, 1, true}, {atom, 1, false}]'), 'boolean'],
    [ty('union', `[${ty('integer')}, ${ty('float')}]`), 'number'],
    [ty('union', `[${ty('atom')}, {atom, 1, undefined}]`), 'atom'],
    [ty('binary'), 'binary'],
    [ty('binary', '[{integer, 1, 0}, {integer, 1, 8}]'), 'binary'],
    [ty('binary', '[{integer, 1, 64}, {integer, 1, 0}]'), 'bytes'],
    [ty('string'), 'charlist'],
    [ty('list', `[${ty('atom')}]`), { list: 'atom' }],
    [ty('list'), { list: 'term' }],
    [ty('nil'), { list: 'term' }],
    [ty('nonempty_list', `[${ty('integer')}]`), { list: 'integer' }],
    [ty('tuple', `[{atom, 1, ok}, ${ty('pid')}]`), { tuple: [{ atoms: ['ok'] }, 'pid'] }],
    [ty('map', 'any'), { map_of: ['term', 'term'] }],
    [ty('map', `[{type, 1, map_field_assoc, [${ty('binary')}, ${ty('integer')}]}]`), { map_of: ['binary', 'integer'] }],
    [ty('map', `[{type, 1, map_field_exact, [{atom, 1, a}, ${ty('integer')}]}, {type, 1, map_field_assoc, [{atom, 1, b}, ${ty('float')}]}]`), { map: [{ name: 'a', type: 'integer' }, { name: 'b', type: 'float', optional: true }] }],
    [ty('pid'), 'pid'],
    [ty('reference'), 'reference'],
    [ty('term'), 'term'],
    [ty('any'), 'term'],
    [ty('mfa'), { tuple: ['atom', 'atom', 'integer'] }],
    ['{remote_type, 1, [{atom, 1, unicode}, {atom, 1, unicode_binary}, []]}', 'binary'],
  ];
  it.each(cases)('%s', (form, want) => {
    const m = one([form], ty('term'));
    expect(m.functions[0]!.args[0]!.type).toEqual(want);
    expect(m.functions[0]!.args[0]!.notes).toEqual([]);
  });

  const unmapped: [string, string][] = [
    [ty('port'), 'port()'],
    [ty('tuple', 'any'), 'tuple() (a tuple of any size)'],
    [ty('union', `[{atom, 1, ok}, ${ty('tuple', `[{atom, 1, error}, ${ty('term')}]`)}]`), 'ok | {error, term()}'],
    [ty('fun'), 'fun()'],
    [ty('iodata'), 'iodata()'],
    ['{remote_type, 1, [{atom, 1, gen_server}, {atom, 1, from}, []]}', 'gen_server:from() (a type of another module)'],
    ['{user_type, 1, missing, []}', 'missing() (no -type for it in the forms read)'],
    [ty('binary', '[{integer, 1, 0}, {integer, 1, 1}]'), '<<_:_*1>> (a bitstring)'],
    ['{strange, form}', '{strange,form}'],
    ['42', '42'],
  ];
  it.each(unmapped)('%s becomes term with a note', (form, note) => {
    const m = one([form], ty('term'));
    expect(m.functions[0]!.args[0]!.type).toBe('term');
    expect(m.functions[0]!.args[0]!.notes).toEqual([note]);
  });
});

describe('specs, types, records', () => {
  it('argument names from annotations and bounded_fun variables, constraints resolved', () => {
    const forms = collectForms([
      spec('g', 2, `[{type, 1, bounded_fun, [${fun(['{var, 1, \'KeyList\'}', `{ann_type, 1, [{var, 1, 'Opts'}, ${ty('atom')}]}`], "{var, 1, 'R'}")}, [{type, 1, constraint, [{atom, 1, is_subtype}, [{var, 1, 'KeyList'}, ${ty('list', `[${ty('integer')}]`)}]]}, {type, 1, constraint, [{atom, 1, is_subtype}, [{var, 1, 'R'}, ${ty('boolean')}]]}]]}]`),
    ]);
    const m = buildStubs('m', [tuple(atom('g'), 2)], forms, 'test');
    expect(m.functions[0]).toMatchObject({ args: [{ name: 'key_list', type: { list: 'integer' } }, { name: 'opts_arg', type: 'atom' }], result: 'boolean', hasSpec: true });
    const strict = buildStubs('m', [tuple(atom('a'), 2)], collectForms([spec('a', 2, `[${fun(["{var, 1, 'Arguments'}", "{var, 1, 'Eval'}"], ty('atom'))}]`)]), 'test');
    expect(strict.functions[0]!.args.map((a) => a.name)).toEqual(['arguments_arg', 'eval_arg']); // strict mode forbids them as parameters
  });

  it('a -type becomes a named type (ref); parameterised ones are expanded; recursion and opaque are term', () => {
    const forms = collectForms([
      T(`{attribute, 1, type, {color, {type, 1, union, [{atom, 1, red}, {atom, 1, blue}]}, []}}`),
      T(`{attribute, 1, type, {pair, {type, 1, tuple, [{var, 1, 'A'}, {var, 1, 'A'}]}, [{var, 1, 'A'}]}}`),
      T(`{attribute, 1, type, {tree, {type, 1, union, [{atom, 1, leaf}, {type, 1, tuple, [{user_type, 1, tree, []}, {user_type, 1, tree, []}]}]}, []}}`),
      T(`{attribute, 1, opaque, {handle, ${ty('reference')}, []}}`),
      spec('h', 4, `[${fun(['{user_type, 1, color, []}', `{user_type, 1, pair, [${ty('integer')}]}`, '{user_type, 1, tree, []}', '{user_type, 1, handle, []}'], `{type, 1, union, [{user_type, 1, color, []}, {atom, 1, green}]}`)}]`),
    ]);
    const m = buildStubs('m', [tuple(atom('h'), 4)], forms, 'test');
    const f = m.functions[0]!;
    expect(f.args.map((a) => a.type)).toEqual([{ ref: 'color' }, { tuple: ['integer', 'integer'] }, { ref: 'tree' }, 'term']);
    expect(f.result).toEqual({ atoms: ['red', 'blue', 'green'] });
    expect(m.types.get('color')!.type).toEqual({ atoms: ['red', 'blue'] });
    expect(m.types.get('tree')).toMatchObject({ type: 'term', notes: ['leaf | {tree(), tree()}'] }); // the inner tree() is recursive, so the union cannot be said
    expect(f.args[3]!.notes).toEqual(['handle() (opaque)']);
    const yaml = toYaml(m, 'a test');
    expect(() => validateServices([{ path: 'schemas/services/m.service.yaml', text: yaml }])).not.toThrow();
  });

  it('a -type named like the stub object, its adapter or a reserved word gets another name', () => {
    const forms = collectForms([
      T(`{attribute, 1, type, {queue, ${ty('list', `[${ty('integer')}]`)}, []}}`),
      T(`{attribute, 1, type, {default, {atom, 1, x}, []}}`),
      spec('q', 2, `[${fun(['{user_type, 1, queue, []}', '{user_type, 1, default, []}'], ty('term'))}]`),
    ]);
    const m = buildStubs('queue', [tuple(atom('q'), 2)], forms, 'test');
    expect(m.functions[0]!.args.map((a) => a.type)).toEqual([{ ref: 'queue_t' }, { ref: 'default_t' }]);
  });

  it('records from -record, with field types and spec overrides', () => {
    const forms = collectForms([
      T(`{attribute, 1, record, {pt, [{typed_record_field, {record_field, 1, {atom, 1, x}, {integer, 1, 0}}, ${ty('integer')}}, {record_field, 1, {atom, 1, tag}}]}}`),
      spec('r', 1, `[${fun([ty('record', `[{atom, 1, pt}, {type, 1, field_type, [{atom, 1, tag}, ${ty('atom')}]}]`)], ty('record', '[{atom, 1, pt}]'))}]`),
    ]);
    const m = buildStubs('m', [tuple(atom('r'), 1)], forms, 'test');
    expect(m.functions[0]!.args[0]!.type).toEqual({ record: { name: 'pt', fields: [{ name: 'x', type: 'integer' }, { name: 'tag', type: 'atom' }] } });
    expect(m.functions[0]!.result).toEqual({ record: { name: 'pt', fields: [{ name: 'x', type: 'integer' }, { name: 'tag', type: 'term' }] } });
  });

  it('several clauses: the same type stays, atoms combine, anything else is term with a note', () => {
    const forms = collectForms([spec('k', 1, `[${fun([ty('integer')], '{atom, 1, a}')}, ${fun([ty('atom')], '{atom, 1, b}')}]`)]);
    const f = buildStubs('m', [tuple(atom('k'), 1)], forms, 'test').functions[0]!;
    expect(f.result).toEqual({ atoms: ['a', 'b'] });
    expect(f.args[0]).toMatchObject({ type: 'term', notes: ["integer() | atom() (differs between the spec's clauses)"] });
  });

  it('no spec: term arguments and result; module_info left out; names the schema cannot hold are skipped; ts names where camelCase will not do', () => {
    const exports = ['f/2', 'f/1', 'module_info/0', 'ok?/0', 'reset!/1', 'camelCase/1', 'is_ok?/1', 'Upper/0', 'a-b/0'].map((fa) => {
      const [f, a] = fa.split('/') as [string, string];
      return tuple(atom(f), Number(a));
    });
    const m = buildStubs('m', exports, collectForms([]), 'test');
    expect(m.functions.map((f) => [f.name, f.arity, f.ts])).toEqual([
      ['camelCase', 1, undefined],
      ['f', 1, undefined],
      ['f', 2, 'f2'],
      ['is_ok?', 1, 'isOk'],
      ['ok?', 0, 'isOk0'],
      ['reset!', 1, 'resetBang'],
    ]);
    expect(m.functions[2]).toMatchObject({ args: [{ name: 'arg1', type: 'term' }, { name: 'arg2', type: 'term' }], result: 'term', hasSpec: false });
    expect(m.skipped).toHaveLength(2);
    const yaml = toYaml(m, 'a test');
    expect(yaml).toContain("# left out 'Upper'/0");
    expect(yaml).toContain("# left out 'a-b'/0");
    const [v] = validateServices([{ path: 'schemas/services/m.service.yaml', text: yaml }]);
    expect(v!.service.functions).toHaveLength(6);
  });

  it('an Elixir module gets a ts name for its stub object', () => {
    const m = buildStubs('Elixir.MyApp.Greeter', [tuple(atom('hello'), 1), tuple(atom('__info__'), 1)], collectForms([]), 'test');
    expect(m.ts).toBe('myAppGreeter');
    expect(m.doc).toContain('Elixir module Elixir.MyApp.Greeter');
    const yaml = toYaml(m, 'a test');
    expect(yaml).toContain('module: "Elixir.MyApp.Greeter"\nts: myAppGreeter\n');
    const [v] = validateServices([{ path: 'schemas/services/Elixir.MyApp.Greeter.service.yaml', text: yaml }]);
    expect(v!.service.functions.map((f) => f.name)).toEqual(['hello']);
    expect(tsFor('valid?')).toBe('isValid');
    expect(tsFor('is_valid?')).toBe('isValid');
    expect(tsFor('put!')).toBe('putBang');
    expect(tsFor('MyApp.Greeter')).toBe('myAppGreeter');
    expect(tsFor('a@b')).toBe('aAtB');
  });

  it('YAML quotes what YAML would misread (true, null, y) and keeps notes on one line', () => {
    const forms = collectForms([spec('true', 1, `[${fun([`{ann_type, 1, [{var, 1, 'Y'}, ${ty('union', '[{atom, 1, null}, {atom, 1, \'x y\'}]')}]}`], ty('port'))}]`)]);
    const m = buildStubs('m', [tuple(atom('true'), 1)], forms, 'test');
    const yaml = toYaml(m, 'a test');
    const doc = YAML.parse(yaml) as { functions: { name: unknown; args: { name: unknown; type: unknown }[] }[] };
    expect(doc.functions[0]!.name).toBe('true');
    expect(doc.functions[0]!.args[0]).toEqual({ name: 'y', type: { atoms: ['null', 'x y'] } });
    expect(yaml).toMatch(/result: term {2}# any term for port\(\)\n/);
    validateServices([{ path: 'schemas/services/m.service.yaml', text: yaml }]);
  });

  it('printType prints the forms it is given as Erlang source', () => {
    expect(printType(T(ty('map', `[{type, 1, map_field_exact, [{atom, 1, a}, ${ty('binary')}]}]`)))).toBe('#{a := binary()}');
    expect(printType(T(`{remote_type, 1, [{atom, 1, m}, {atom, 1, t}, [${ty('integer')}]]}`))).toBe('m:t(integer())');
    expect(printType(T(ty('fun', `[${ty('product', `[${ty('atom')}]`)}, ${ty('integer')}]`)))).toBe('fun((atom()) -> integer())');
    expect(printType(T("{atom, 1, 'Q x'}"))).toBe("'Q x'");
  });
});

describe('argv and usage errors', () => {
  it('options as --k v or --k=v, flags, positionals', () => {
    const p = parseArgv(['rpc', 'a@b', '--cookie', 'c', 'lists', '--epmd-port=4370', 'reverse', '[[1]]', '--debug']);
    expect(p.command).toBe('rpc');
    expect(p.positional).toEqual(['a@b', 'lists', 'reverse', '[[1]]']);
    expect(Object.fromEntries(p.options)).toEqual({ cookie: 'c', 'epmd-port': '4370' });
    expect([...p.flags]).toEqual(['debug']);
  });

  it('-h, -v and --elixir are flags; after -- everything is positional', () => {
    expect([...parseArgv(['rpc', '-h', '--elixir', '-v']).flags]).toEqual(['help', 'elixir', 'version']);
    expect(parseArgv(['rpc', 'a@b', '--', '--cookie']).positional).toEqual(['a@b', '--cookie']);
    expect(Object.fromEntries(parseArgv(['gen', '--schemas=s', '--out', 'o']).options)).toEqual({ schemas: 's', out: 'o' });
    expect(parseArgv(['stubs', '--out', '-']).options.get('out')).toBe('-');
  });

  it('usage errors are one line on stderr and exit 2; --help exits 0', async () => {
    const run = async (argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out, err };
    };
    expect(await run(['frobnicate'])).toMatchObject({ code: 2, err: ['beamwire: unknown command "frobnicate": ping, rpc, names, stubs, gen or ca (beamwire --help)'] });
    expect(await run(['ping', '--nope'])).toMatchObject({ code: 2, err: ['beamwire: unknown option --nope'] });
    expect(await run(['ping', 'a@b', '--cookie'])).toMatchObject({ code: 2, err: ['beamwire: --cookie needs a value'] });
    expect(await run(['ping', 'a@b', '--cookie', '--name', 'n'])).toMatchObject({ code: 2, err: ['beamwire: --cookie needs a value, not the option --name (write --cookie=--name if that is the value)'] });
    expect(await run(['ping', 'a@b', '--debug=yes'])).toMatchObject({ code: 2, err: ['beamwire: --debug takes no value'] });
    expect(await run(['ping', '-x'])).toMatchObject({ code: 2, err: ['beamwire: unknown option -x'] });
    expect(await run(['ping', '--toString'])).toMatchObject({ code: 2, err: ['beamwire: unknown option --toString'] });
    expect(await run(['gen', 'extra'])).toMatchObject({ code: 2, err: ['beamwire: gen takes options only: [--schemas DIR] [--out DIR] [--check] (see beamwire gen --help)'] });
    expect(await run(['ping', 'nohost', '--cookie', 'c'])).toMatchObject({ code: 2, err: ['beamwire: the node name "nohost" must be alive@host'] });
    expect(await run(['rpc', 'a@b', 'm', 'f', '[1,', '--cookie', 'c'])).toMatchObject({ code: 2 });
    expect(await run(['ping', 'a@b', '--cookie', 'c', '--epmd-port', 'x'])).toMatchObject({ code: 2, err: ['beamwire: --epmd-port must be an integer in 0..65535, not "x"'] });
    expect(await run(['stubs', '--node', 'a@b'])).toMatchObject({ code: 2, err: ['beamwire: stubs needs --node NODE and --module M'] });
    expect((await run([])).code).toBe(2);
    const help = await run(['stubs', '--help']);
    expect(help.code).toBe(0);
    expect(help.out[0]).toMatch(/^usage: beamwire stubs/);
    expect((await run(['help', 'rpc'])).out[0]).toMatch(/^usage: beamwire rpc/);
    expect((await run(['gen', '--help'])).out[0]).toMatch(/^usage: beamwire gen/);
  });

  it('--version and -v print the version in package.json and exit 0', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const argv of [['--version'], ['-v'], ['ping', '-v']]) {
      const out: string[] = [];
      expect(await main(argv, { out: (l) => out.push(l), err: () => {} })).toBe(0);
      expect(out).toEqual([version]);
    }
  });
});
