/**
 * Interop tier, the `beamwire` command line (runtime/cli/main.ts) run as a
 * child process against a real erl: ping, rpc, names, and stubs reading a
 * module compiled here with -spec, -type and -record attributes and
 * debug_info. The YAML stubs writes must pass the service schema checks
 * (codegen/services.ts) and name the Erlang types it could not map; the
 * generator's output for it must type-check. Fails without erl.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { emitServices } from '../../codegen/emit-services.js';
import { printFile } from '../../codegen/emit.js';
import { validateServices } from '../../codegen/services.js';
import { EpmdServer } from '../../runtime/epmd/index.js';
import { requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { otp } from '../support/otp.js';
import { testPort } from '../support/net.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = join(root, 'runtime', 'cli', 'main.ts');
const epmdPort = testPort();
const COOKIE = 'clisecret';
let epmd: EpmdServer;
let peer: ErlNode;
let dir: string;

const DEMO = `-module(bw_cli_demo).
-export([add/2, greet/1, pair/2, paint/1, lookup/2, origin/0, move/2, port_of/1, untyped/2,
         seq/1, seq/2, user/1, status/1, 'valid?'/1]).
-record(point, {x = 0 :: integer(), y = 0 :: integer(), label = <<>> :: binary()}).
-type color() :: red | green | blue.
-type user() :: #{name := binary(), age => non_neg_integer(), tags => [atom()]}.

-spec add(integer(), integer()) -> integer().
add(A, B) -> A + B.
-spec greet(Name :: string()) -> binary().
greet(Name) -> list_to_binary(["hello ", Name]).
-spec pair(A, B) -> {A, B} when A :: atom(), B :: 1..10.
pair(A, B) -> {A, B}.
-spec paint(color()) -> [color()].
paint(C) -> [C, C].
-spec lookup(Key :: atom(), Table :: #{atom() => float()}) -> {ok, float()} | error.
lookup(K, M) -> maps:find(K, M).
-spec origin() -> #point{}.
origin() -> #point{}.
-spec move(#point{}, {integer(), integer()}) -> #point{}.
move(P = #point{x = X, y = Y}, {DX, DY}) -> P#point{x = X + DX, y = Y + DY}.
-spec port_of(Port :: port()) -> port().
port_of(P) -> P.
untyped(A, B) -> {A, B}.
-spec seq(pos_integer()) -> [pos_integer()].
seq(N) -> lists:seq(1, N).
-spec seq(integer(), integer()) -> [integer()].
seq(A, B) -> lists:seq(A, B).
-spec user(binary()) -> user().
user(Name) -> #{name => Name}.
-spec status(boolean() | 'maybe') -> ok | {error, term()}.
status(true) -> ok;
status(_) -> {error, no}.
'valid?'(X) -> is_atom(X).
`;

const DOCS = `-module(bw_cli_docs).
-export([scale/2, name/0, raw/1]).
-type unit() :: cm | inch.
-spec scale(Value :: float(), Unit :: unit()) -> float().
scale(X, _) -> X.
-spec name() -> binary().
name() -> <<"d">>.
raw(X) -> X.
`;

const ELIXIR = `defmodule BwCli.ExGreeter do
  @type mood :: :happy | :sad
  @spec hello(String.t(), mood()) :: {:ok, binary()}
  def hello(name, _mood), do: {:ok, "hi " <> name}
  @spec valid?(term()) :: boolean()
  def valid?(x), do: is_binary(x)
  def nospec(a), do: a
end
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx runtime/cli/main.ts ...args` (async: the EPMD this test runs must keep answering). */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The repository's, lib and @types files, parsed once for every typeCheck here (parsing them is most of a check's time). */
const parsed = new Map<string, ts.SourceFile | undefined>();

/** TypeScript diagnostics of generated files (repository path → text), read from memory beside the repository's own files. */
function typeCheck(files: Map<string, string>): string[] {
  const byPath = new Map([...files].map(([p, text]) => [join(root, p), text]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noUnusedLocals: true,
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  const exists = host.fileExists.bind(host);
  const getSource = host.getSourceFile.bind(host);
  host.readFile = (f) => byPath.get(f) ?? read(f);
  host.fileExists = (f) => byPath.has(f) || exists(f);
  host.getSourceFile = (f, lang, ...rest) => {
    if (byPath.has(f)) return ts.createSourceFile(f, byPath.get(f)!, lang);
    if (!parsed.has(f)) parsed.set(f, getSource(f, lang, ...rest));
    return parsed.get(f);
  };
  const program = ts.createProgram([...byPath.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

const common = (): string[] => ['--cookie', COOKIE, '--epmd-port', String(epmdPort)];

beforeAll(async () => {
  requireErl();
  dir = mkdtempSync(join(tmpdir(), 'bw-cli-'));
  writeFileSync(join(dir, 'bw_cli_demo.erl'), DEMO);
  // compile:file with debug_info, as a build would; the node finds the .beam through -pa.
  const c = spawnSync(...otp('erl', ['-noshell', '-eval', `{ok, bw_cli_demo} = compile:file("${join(dir, 'bw_cli_demo.erl')}", [debug_info, {outdir, "${dir}"}, report]), halt().`]), { encoding: 'utf8', timeout: 30_000 });
  if (c.status !== 0) throw new Error(`compiling bw_cli_demo failed: ${c.stdout}${c.stderr}`);
  // bw_cli_bare: the same kind of module without debug_info (no abstract code, no docs chunk).
  writeFileSync(join(dir, 'bw_cli_bare.erl'), '-module(bw_cli_bare).\n-export([two/2]).\n-spec two(integer(), integer()) -> integer().\ntwo(A, B) -> A + B.\n');
  const b = spawnSync(...otp('erl', ['-noshell', '-eval', `{ok, bw_cli_bare} = compile:file("${join(dir, 'bw_cli_bare.erl')}", [{outdir, "${dir}"}, report]), halt().`]), { encoding: 'utf8', timeout: 30_000 });
  if (b.status !== 0) throw new Error(`compiling bw_cli_bare failed: ${b.stdout}${b.stderr}`);
  const greeter = join(dir, 'Elixir.BwCli.Greeter.erl');
  writeFileSync(greeter, "-module('Elixir.BwCli.Greeter').\n-export([hello/1, 'reset!'/0]).\n-spec hello(binary()) -> binary().\nhello(N) -> N.\n-spec 'reset!'() -> ok.\n'reset!'() -> ok.\n");
  const g = spawnSync(...otp('erl', ['-noshell', '-eval', `{ok, _} = compile:file("${greeter}", [debug_info, {outdir, "${dir}"}, report]), halt().`]), { encoding: 'utf8', timeout: 30_000 });
  if (g.status !== 0) throw new Error(`compiling Elixir.BwCli.Greeter failed: ${g.stdout}${g.stderr}`);
  // bw_cli_docs: no debug_info, but an EEP-48 "Docs" chunk whose entries carry the -spec/-type forms as `signature`, as OTP's own chunks do.
  writeFileSync(join(dir, 'bw_cli_docs.erl'), DOCS);
  const docsSrc = [
    `{ok, Forms} = epp:parse_file("${join(dir, 'bw_cli_docs.erl')}", [])`,
    '{ok, bw_cli_docs, Bin} = compile:forms(Forms, [binary])',
    'A0 = erl_anno:new(0)',
    'Entries = [{{function, F, Ar}, A0, [], none, #{signature => [S]}} || {attribute, _, spec, {{F, Ar}, _}} = S <- Forms] ++ [{{type, N, length(Ps)}, A0, [], none, #{signature => [T]}} || {attribute, _, type, {N, _, Ps}} = T <- Forms]',
    'Docs = {docs_v1, A0, erlang, <<"application/erlang+html">>, none, #{}, Entries}',
    '{ok, _, Chunks} = beam_lib:all_chunks(Bin)',
    '{ok, Bin2} = beam_lib:build_module(Chunks ++ [{"Docs", term_to_binary(Docs)}])',
    `ok = file:write_file("${join(dir, 'bw_cli_docs.beam')}", Bin2)`,
    'halt().',
  ].join(', ');
  const d = spawnSync(...otp('erl', ['-noshell', '-eval', docsSrc]), { encoding: 'utf8', timeout: 30_000 });
  if (d.status !== 0) throw new Error(`building bw_cli_docs failed: ${d.stdout}${d.stderr}`);
  epmd = await EpmdServer.start({ port: epmdPort, host: '0.0.0.0' });
  peer = await startErl('cli_peer', COOKIE, epmdPort, ['-pa', dir]);
}, 60_000);

afterAll(async () => {
  await peer?.stop();
  await epmd?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('beamwire ping', () => {
  it('prints pong and exits 0 for a running node (net_adm:ping)', async () => {
    const r = await cli(['ping', peer.name, ...common()]);
    expect(r).toMatchObject({ code: 0, stdout: 'pong\n' });
  });

  it('prints pang and exits 1 for a node that is not there; a wrong cookie is pang too', async () => {
    const host = peer.name.split('@')[1]!;
    const [nobody, wrong] = await Promise.all([cli(['ping', `nobody@${host}`, ...common()]), cli(['ping', peer.name, '--cookie', 'wrong', '--epmd-port', String(epmdPort)])]);
    expect(nobody).toMatchObject({ code: 1, stdout: 'pang\n' });
    expect(wrong).toMatchObject({ code: 1, stdout: 'pang\n' });
  });

  it('honours ERL_EPMD_PORT when --epmd-port is not given', async () => {
    expect(await cli(['ping', peer.name, '--cookie', COOKIE], { ERL_EPMD_PORT: String(epmdPort) })).toMatchObject({ code: 0, stdout: 'pong\n' });
  });
});

describe('beamwire rpc', () => {
  it('calls erpc:call and prints the result in Erlang syntax', async () => {
    const [list, add, get, node] = await Promise.all([
      cli(['rpc', peer.name, 'lists', 'reverse', '[[1, 2.5, "ab", <<"x">>, {a, \'B c\'}]]', ...common()]),
      cli(['rpc', peer.name, 'bw_cli_demo', 'add', '[40, 2]', ...common()]),
      cli(['rpc', peer.name, 'maps', 'get', '[k, #{k => <<"v">>}]', ...common()]),
      cli(['rpc', peer.name, 'erlang', 'node', ...common()]),
    ]);
    expect(list.stdout).toBe("[{a,'B c'},<<\"x\">>,[97,98],2.5,1]\n");
    expect(add.stdout).toBe('42\n');
    expect(get.stdout).toBe('<<"v">>\n');
    expect(node.stdout).toBe(`${peer.name}\n`);
  });

  it('reads ARGS (and MODULE) as Elixir with --elixir or when only Elixir reads them, and answers in the same syntax', async () => {
    const [elixir, detected, erlang, forced, floats] = await Promise.all([
      cli(['rpc', peer.name, ':lists', 'reverse', '[[1, "ab", :x, %{a: 1.0e-7}]]', '--elixir', ...common()]),
      cli(['rpc', peer.name, 'lists', 'reverse', '[[1, :x, key: "v"]]', ...common()]),
      cli(['rpc', peer.name, 'lists', 'reverse', '[["ab"]]', ...common()]),
      cli(['rpc', peer.name, 'lists', 'reverse', '[["ab"]]', '--elixir', ...common()]),
      cli(['rpc', peer.name, 'erlang', 'list_to_tuple', '[[1.0e300, 1.0e-7, 0.1]]', ...common()]),
    ]);
    expect(elixir.stdout).toBe('[%{a: 1.0e-7}, :x, "ab", 1]\n');
    expect(detected.stdout).toBe('[{:key, "v"}, :x, 1]\n');
    expect(erlang.stdout).toBe('[[97,98]]\n');
    expect(erlang.stderr).toMatch(/read ARGS as Erlang: "abc" is a charlist; --elixir reads it as a binary/);
    expect(forced.stdout).toBe('["ab"]\n');
    expect(floats.stdout).toBe('{1.0e300,1.0e-7,0.1}\n');
  });

  it('an Erlang exception is one line on stderr and exit 1, no stack trace', async () => {
    const r = await cli(['rpc', peer.name, 'erlang', 'error', '[badarg]', ...common()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/erlang:error\/1 on .* raised error: badarg/);
  });

  it('ARGS that do not parse, or a missing node, are clear one-line errors', async () => {
    const host = peer.name.split('@')[1]!;
    const [bad, gone] = await Promise.all([cli(['rpc', peer.name, 'lists', 'reverse', '[1, 2', ...common()]), cli(['rpc', `nobody@${host}`, 'erlang', 'node', ...common()])]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^beamwire: ARGS .*expected ',', '\|' or '\]' in a list/);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^beamwire: cannot connect to nobody@.*not registered/);
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('beamwire names', () => {
  it('lists what EPMD knows, as epmd -names', async () => {
    const r = await cli(['names', '--epmd-port', String(epmdPort)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`epmd: up and running on port ${epmdPort} with data:`);
    expect(r.stdout).toMatch(/^name cli_peer at port \d+$/m);
  });
});

describe('beamwire stubs', () => {
  let yamlText: string;

  beforeAll(async () => {
    const r = await cli(['stubs', '--node', peer.name, '--module', 'bw_cli_demo', '--out', dir, ...common()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`next: review it, then \`npx beamwire gen --schemas ${dir}\` writes`);
    expect(r.stdout).toContain('from debug_info');
    expect(r.stdout).toMatch(/^wrote .*bw_cli_demo\.service\.yaml: 14 functions \(12 with a -spec\), 2 named types/);
    const again = await cli(['stubs', '--node', peer.name, '--module', 'bw_cli_demo', '--out', dir, ...common()]);
    expect(again.stdout).toMatch(/^replaced .*bw_cli_demo\.service\.yaml/);
    yamlText = readFileSync(join(dir, 'bw_cli_demo.service.yaml'), 'utf8');
  }, 60_000);

  it('writes a file the service schema checks accept', () => {
    const [v] = validateServices([{ path: 'schemas/services/bw_cli_demo.service.yaml', text: yamlText }]);
    expect(v!.service.module).toBe('bw_cli_demo');
  });

  it('maps the -specs to the schema vocabulary', () => {
    const doc = YAML.parse(yamlText) as { types: Record<string, { type: unknown }>; functions: { name: string; ts?: string; args: { name: string; type: unknown }[]; result: unknown }[] };
    const fn = (name: string, arity: number) => doc.functions.find((f) => f.name === name && f.args.length === arity)!;
    expect(fn('add', 2)).toMatchObject({ args: [{ type: 'integer' }, { type: 'integer' }], result: 'integer' });
    expect(fn('greet', 1)).toMatchObject({ args: [{ name: 'name', type: 'charlist' }], result: 'binary' });
    expect(fn('pair', 2)).toMatchObject({ args: [{ name: 'a', type: 'atom' }, { name: 'b', type: 'integer' }], result: { tuple: ['atom', 'integer'] } });
    expect(fn('paint', 1)).toMatchObject({ args: [{ type: { ref: 'color' } }], result: { list: { ref: 'color' } } });
    expect(doc.types['color']!.type).toEqual({ atoms: ['red', 'green', 'blue'] });
    expect(doc.types['user']!.type).toEqual({
      map: [
        { name: 'name', type: 'binary' },
        { name: 'age', type: 'integer', optional: true },
        { name: 'tags', type: { list: 'atom' }, optional: true },
      ],
    });
    expect(fn('lookup', 2)).toMatchObject({ args: [{ name: 'key', type: 'atom' }, { name: 'table', type: { map_of: ['atom', 'float'] } }], result: 'term' });
    const point = { record: { name: 'point', fields: [{ name: 'x', type: 'integer' }, { name: 'y', type: 'integer' }, { name: 'label', type: 'binary' }] } };
    expect(fn('origin', 0)).toMatchObject({ args: [], result: point });
    expect(fn('move', 2)).toMatchObject({ args: [{ type: point }, { type: { tuple: ['integer', 'integer'] } }], result: point });
    expect(fn('untyped', 2)).toMatchObject({ args: [{ name: 'arg1', type: 'term' }, { name: 'arg2', type: 'term' }], result: 'term' });
    expect(fn('seq', 1)).toMatchObject({ result: { list: 'integer' } });
    expect(fn('seq', 2)).toMatchObject({ ts: 'seq2' });
    expect(fn('status', 1)).toMatchObject({ args: [{ type: { atoms: ['true', 'false', 'maybe'] } }], result: 'term' });
  });

  it('says in a comment which Erlang types became term; a name such as valid? gets a ts name', () => {
    expect(yamlText).toMatch(/- \{name: port, type: term\}  # any term for port\(\)/);
    expect(yamlText).toMatch(/result: term {2}# any term for port\(\)/);
    expect(yamlText).toMatch(/result: term {2}# any term for \{ok, float\(\)\} \| error/);
    expect(yamlText).toContain('  - name: "valid?"\n    ts: isValid\n');
  });

  it('emitServices turns it into a stub that type-checks', () => {
    const [v] = validateServices([{ path: 'schemas/services/bw_cli_demo.service.yaml', text: yamlText }]);
    const target = 'generated/services/bw_cli_demo.ts';
    const text = printFile(target, v!.path, emitServices(v!));
    expect(text).toContain('export const bwCliDemo');
    expect(typeCheck(new Map([[target, text]]))).toEqual([]);
  });

  it('a module without debug_info: its exports with term types, and --out - writes the YAML to stdout', async () => {
    const r = await cli(['stubs', '--node', peer.name, '--module', 'bw_cli_bare', '--out', '-', ...common()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^bw_cli_bare: 1 functions \(0 with a -spec\), 0 named types, from exports only/);
    const [v] = validateServices([{ path: 'schemas/services/bw_cli_bare.service.yaml', text: r.stdout }]);
    expect(v!.service.functions).toEqual([{ name: 'two', doc: 'bw_cli_bare:two/2 (no -spec: arguments and result are any term).', args: [{ name: 'arg1', type: 'term' }, { name: 'arg2', type: 'term' }], result: 'term' }]);
  });

  it('a module without debug_info but with an EEP-48 docs chunk: the specs come from its signatures', async () => {
    const r = await cli(['stubs', '--node', peer.name, '--module', 'bw_cli_docs', '--out', '-', ...common()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^bw_cli_docs: 3 functions \(2 with a -spec\), 1 named types, from the EEP-48 docs chunk/);
    const [v] = validateServices([{ path: 'schemas/services/bw_cli_docs.service.yaml', text: r.stdout }]);
    expect(v!.service.types).toEqual({ unit: { doc: '-type unit() :: cm | inch.', type: { atoms: ['cm', 'inch'] } } });
    expect(v!.service.functions.map((f) => [f.name, f.args, f.result])).toEqual([
      ['name', [], 'binary'],
      ['raw', [{ name: 'arg1', type: 'term' }], 'term'],
      ['scale', [{ name: 'value', type: 'float' }, { name: 'unit', type: { ref: 'unit' } }], 'float'],
    ]);
  });

  it('a module named as Elixir names them (Elixir.BwCli.Greeter): the schema takes it, with a ts name for the stub', async () => {
    const r = await cli(['stubs', '--node', peer.name, '--module', 'Elixir.BwCli.Greeter', '--out', dir, ...common()]);
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, 'Elixir.BwCli.Greeter.service.yaml'), 'utf8');
    const [v] = validateServices([{ path: 'schemas/services/Elixir.BwCli.Greeter.service.yaml', text }]);
    expect(v!.service).toMatchObject({ module: 'Elixir.BwCli.Greeter', ts: 'bwCliGreeter' });
    expect(v!.service.functions.map((f) => [f.name, f.ts, f.result])).toEqual([['hello', undefined, 'binary'], ['reset!', 'resetBang', { atoms: ['ok'] }]]);
    expect(printFile('generated/services/Elixir.BwCli.Greeter.ts', v!.path, emitServices(v!))).toContain('export const bwCliGreeter');
  });

  it('an Elixir module on an Elixir node: String.t() is binary, @type becomes a named type, valid? gets a ts name', async () => {
    const r0 = spawnSync(...otp('elixir', ['--version']), { timeout: 20_000 });
    if (r0.error || r0.status !== 0) throw new Error(`the Elixir case needs elixir: ${r0.error?.message ?? `exit ${r0.status}`}; install Debian's elixir`);
    const exdir = join(dir, 'ex');
    mkdirSync(exdir);
    writeFileSync(join(exdir, 'greeter.ex'), ELIXIR);
    const c = spawnSync(...otp('elixirc', ['-o', exdir, join(exdir, 'greeter.ex')]), { encoding: 'utf8', timeout: 60_000 });
    if (c.status !== 0) throw new Error(`elixirc failed: ${c.stdout}${c.stderr}`);
    const child = spawn(...otp('elixir', ['--erl', '-start_epmd false', '--sname', 'cli_ex', '--cookie', COOKIE, '-pa', exdir, '-e', 'IO.puts("ready"); Process.sleep(:infinity)']), {
      env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      for (const deadline = Date.now() + 30_000; !out.includes('ready'); await new Promise((r) => setTimeout(r, 50)))
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`elixir did not start: ${out}`);
      const r = await cli(['stubs', '--node', `cli_ex@${peer.name.split('@')[1]}`, '--module', 'Elixir.BwCli.ExGreeter', '--out', '-', ...common()]);
      expect(r.code).toBe(0);
      const [v] = validateServices([{ path: 'schemas/services/Elixir.BwCli.ExGreeter.service.yaml', text: r.stdout }]);
      expect(v!.service).toMatchObject({ module: 'Elixir.BwCli.ExGreeter', ts: 'bwCliExGreeter', types: { mood: { type: { atoms: ['happy', 'sad'] } } } });
      expect(v!.service.functions.map((f) => [f.name, f.ts, f.args.map((a) => a.type), f.result])).toEqual([
        ['hello', undefined, ['binary', { ref: 'mood' }], { tuple: [{ atoms: ['ok'] }, 'binary'] }],
        ['nospec', undefined, ['term'], 'term'],
        ['valid?', 'isValid', ['term'], 'boolean'],
      ]);
      expect(r.stdout).toContain("# left out '__info__'/1");
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);

  it("OTP's own modules: every file validates and every stub type-checks", async () => {
    const files = new Map<string, string>();
    const modules = ['erlang', 'lists', 'maps', 'queue', 'ets', 'gen_server', 'calendar'];
    // Separate processes with separate node names: run side by side, checked in order.
    const runs = await Promise.all(modules.map((m) => cli(['stubs', '--node', peer.name, '--module', m, '--out', '-', ...common()])));
    for (const [i, m] of modules.entries()) {
      const r = runs[i]!;
      expect(r.code, r.stderr).toBe(0);
      const [v] = validateServices([{ path: `schemas/services/${m}.service.yaml`, text: r.stdout }]);
      files.set(`generated/services/cli_otp_${m}.ts`, printFile(`generated/services/cli_otp_${m}.ts`, v!.path, emitServices(v!)));
    }
    expect(typeCheck(files)).toEqual([]);
  }, 120_000);

  it('a module that is not there, or a name no module has, is a one-line error', async () => {
    const [missing, bad] = await Promise.all([
      cli(['stubs', '--node', peer.name, '--module', 'no_such_mod', '--out', dir, ...common()]),
      cli(['stubs', '--node', peer.name, '--module', 'no such', ...common()]),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`beamwire: module no_such_mod is not loaded on ${peer.name} and not in its code path\n`);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^beamwire: module "no such" cannot have a service schema/);
  });
});

describe('--help', () => {
  it('each command has one', async () => {
    const commands = ['ping', 'rpc', 'names', 'stubs'];
    const runs = await Promise.all(commands.map((c) => cli([c, '--help'])));
    for (const [i, c] of commands.entries()) {
      expect(runs[i]!.code).toBe(0);
      expect(runs[i]!.stdout).toContain(`usage: beamwire ${c}`);
    }
  });
});
