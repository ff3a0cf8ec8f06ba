#!/usr/bin/env node
/**
 * `beamwire`: the command line. `ping`, `rpc` and `stubs` start a hidden
 * beamwire node (on a running epmd, else the embedded one; $ERL_EPMD_PORT
 * or --epmd-port), `names` asks EPMD, `gen` turns the schemas `stubs`
 * writes into typed stubs (runtime/cli/gen.ts), `ca` makes TLS distribution
 * certificates (runtime/cli/ca.ts). Errors are one line on
 * stderr and a non-zero exit (2: usage, 1: everything else); --debug adds
 * the stack and the node's debug lines.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, hostname } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs as parseCommandLine, type ParseArgsConfig } from 'node:util';
import { EpmdClient, portFromEnv } from '../epmd/index.js';
import { Node } from '../node/node.js';
import { splitName } from '../node/names.js';
import { CallTimeoutError, RpcError } from '../rpc/index.js';
import { Atom, atom } from '../term/atom.js';
import { format } from '../term/format.js';
import { Tuple, type Term } from '../term/values.js';
import { BeamwireError } from '../wire/errors.js';
import { ca, CA_HELP, DEFAULT_CA_DIR } from './ca.js';
import { gen, GEN_HELP } from './gen.js';
import { buildStubs, collectForms, MODULE_NAME, toYaml, type Forms } from './specs.js';
import { formatElixir } from './elixir-format.js';
import { detectSyntax, moduleName, parseTermList, TermSyntaxError, type Syntax } from './term-parser.js';

export type { Io } from './io.js';
import type { Io } from './io.js';

/** A command line the CLI cannot run (unknown command, missing argument). Code 'USAGE'. */
class UsageError extends BeamwireError {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

const COMMON = `  --cookie C        the cookie (default: ~/.erlang.cookie)
  --epmd-port P     EPMD's port (default: $ERL_EPMD_PORT, else 4369); an embedded EPMD starts there if none answers
  --name N          this node's name (default: beamwire_cli_<pid>, long when NODE's host has a dot)
  --debug           stack traces and the node's debug lines`;

const HELP: Record<string, string> = {
  '': `beamwire: an Erlang distribution node in Node.js, from the command line

usage: beamwire <command> [options]

commands:
  ping NODE           net_adm:ping: prints pong (exit 0) or pang (exit 1)
  rpc NODE M F [ARGS] erpc:call(NODE, M, F, ARGS), ARGS an Erlang list literal such as '[1, "two", three]'
  names               the names EPMD knows (epmd -names)
  stubs               reads a module's exports and -specs from a running node and writes schemas/services/<M>.service.yaml
  gen                 turns schemas/services/*.service.yaml into typed stubs (generated/services/<M>.ts)
  ca init|issue|show  a certificate authority for TLS distribution (erl -proto_dist inet_tls)

\`beamwire <command> --help\` for each; \`beamwire --version\` (-v) prints the version.`,
  ping: `usage: beamwire ping NODE [--cookie C] [--epmd-port P] [--timeout MS]

Connects a hidden node to NODE and asks its net_kernel (net_adm:ping/1).
Prints pong and exits 0, or pang and exits 1.

${COMMON}
  --timeout MS      how long to wait for the answer (default 7000)`,
  rpc: `usage: beamwire rpc NODE MODULE FUNCTION [ARGS] [--elixir | --erlang] [--cookie C] [--epmd-port P] [--timeout MS]

Calls MODULE:FUNCTION(ARGS...) on NODE with erpc:call and prints the result.
ARGS is a list literal (default []) in Erlang's or Elixir's syntax:
  Erlang: integers, floats, atoms, 'quoted atoms', "strings" (charlists),
    <<"binaries">>, [lists], {tuples}, #{maps}: '[[3, 1, 2]]', '[<<"key">>, #{a => 1}]'
  Elixir: "binaries", :atoms, 'charlists', keyword lists, %{maps}, MyApp.Foo:
    '[[3, 1, 2]]', '["key", %{a: 1}]', '[name: "x"]'
Without a flag the syntax is detected: Elixir if ARGS has something only
Elixir reads (:atom, key: value, %{...}, MyApp.Foo, ?a, 0xFF, ~c"..."),
Erlang if it has something only Erlang reads (a bare atom, #{...}, $a, 16#ff,
<<"x"/utf8>>); with neither it is Erlang, so "abc" is a charlist. Both at
once is an error. Read as Elixir, MODULE may be an alias (Enum is
'Elixir.Enum') and the result prints in Elixir's syntax, else in Erlang's.
An exception prints as "MODULE:FUNCTION/N on NODE raised CLASS: REASON", exit 1.

${COMMON}
  --elixir          read ARGS and MODULE as Elixir, print the result as Elixir
  --erlang          read ARGS as Erlang whatever they look like
  --timeout MS      give up after MS milliseconds (default: wait as erpc does)`,
  names: `usage: beamwire names [--epmd-port P] [--host H]

Lists the names registered with EPMD at H (default 127.0.0.1), as epmd -names.

  --epmd-port P     EPMD's port (default: $ERL_EPMD_PORT, else 4369)
  --host H          EPMD's host (default 127.0.0.1)
  --debug           stack traces`,
  stubs: `usage: beamwire stubs --node NODE --module M [--out schemas/services] [--cookie C] [--epmd-port P]

Reads module M's exported functions (M:module_info(exports)) and its -spec,
-type and -record attributes (the debug_info abstract code, else the EEP-48
docs chunk's signatures) from the running node NODE, and writes
<out>/M.service.yaml in the service schema format (schemas/service.schema.json).
Erlang types the schema cannot say become term, with a "# any term for ..."
comment naming them; functions without a -spec take and return terms.
Then \`npx beamwire gen\` turns the file into generated/services/M.ts.

  --node NODE       the node that runs M
  --module M        the module: an Erlang one, or an Elixir one as Elixir.MyApp.Greeter
  --out DIR         where to write (default schemas/services); - writes the YAML to stdout
${COMMON}`,
  gen: GEN_HELP,
  ca: CA_HELP,
};

const COMMANDS = 'ping, rpc, names, stubs, gen or ca';

/** Every option of every command; a command ignores the ones it does not read. */
const OPTIONS = {
  cookie: { type: 'string' },
  'epmd-port': { type: 'string' },
  name: { type: 'string' },
  timeout: { type: 'string' },
  node: { type: 'string' },
  module: { type: 'string' },
  out: { type: 'string' },
  host: { type: 'string' },
  schemas: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  debug: { type: 'boolean' },
  elixir: { type: 'boolean' },
  erlang: { type: 'boolean' },
  check: { type: 'boolean' },
  dir: { type: 'string' },
  days: { type: 'string' },
  ip: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

interface Parsed {
  command: string;
  positional: string[];
  options: Map<string, string>;
  flags: Set<string>;
}

/**
 * argv (without node and the script) → command, positionals, `--key value`/`--key=value` options and flags.
 * parseArgs runs non-strict and its tokens are checked here, so each usage error is one short line
 * naming the option as typed (its strict errors are paragraphs).
 */
export function parseArgv(argv: readonly string[]): Parsed {
  const { tokens } = parseCommandLine({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const positional: string[] = [];
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (const t of tokens) {
    if (t.kind === 'positional') positional.push(t.value);
    else if (t.kind === 'option') {
      const spec = Object.hasOwn(OPTIONS, t.name) ? (OPTIONS as Record<string, { type: 'string' | 'boolean' }>)[t.name] : undefined;
      if (spec === undefined) throw new UsageError(`unknown option ${t.rawName}`);
      if (spec.type === 'boolean') {
        if (t.value !== undefined) throw new UsageError(`${t.rawName} takes no value`);
        flags.add(t.name);
      } else {
        if (t.value === undefined) throw new UsageError(`${t.rawName} needs a value`);
        // `--cookie --debug` is a forgotten value more likely than a cookie (parseArgs' strict mode says so too); `--out -` is stdout.
        if (!t.inlineValue && /^(--.|-[A-Za-z]$)/.test(t.value)) throw new UsageError(`${t.rawName} needs a value, not the option ${t.value} (write ${t.rawName}=${t.value} if that is the value)`);
        options.set(t.name, t.value);
      }
    }
  }
  const [command = '', ...rest] = positional;
  return { command, positional: rest, options, flags };
}

function intOption(p: Parsed, key: string, min: number, max: number): number | undefined {
  const v = p.options.get(key);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${key} must be an integer in ${min}..${max}, not ${JSON.stringify(v)}`);
  return Number(v);
}

function cookieOf(p: Parsed): string {
  const c = p.options.get('cookie');
  if (c !== undefined) return c;
  const file = join(homedir(), '.erlang.cookie');
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (text) return text;
  } catch {
    // no cookie file: say so below
  }
  throw new UsageError(`no --cookie given and no cookie in ${file}`);
}

/** Starts the hidden node that talks to `peer`. */
async function startNode(p: Parsed, peer: string, io: Io): Promise<Node> {
  const [, host] = splitName(peer);
  const given = p.options.get('name');
  const alive = `beamwire_cli_${process.pid}`;
  const own = hostname();
  // A short-named OTP node refuses long-named peers and the other way round: match NODE's kind.
  const name = given ?? (host.includes('.') ? `${alive}@${own.includes('.') ? own : host}` : alive);
  const port = intOption(p, 'epmd-port', 0, 65535) ?? portFromEnv();
  const debug = p.flags.has('debug') ? (l: string) => io.err(l) : undefined;
  return Node.start({ name, cookie: cookieOf(p), hidden: true, epmd: { mode: 'auto', port }, ...(debug ? { debug } : {}) });
}

function needPositional(p: Parsed, n: number, what: string): void {
  if (p.positional.length < n) throw new UsageError(`${p.command} needs ${what} (see beamwire ${p.command} --help)`);
}

function peerName(text: string): string {
  if (!text.includes('@')) throw new UsageError(`the node name ${JSON.stringify(text)} must be alive@host`);
  splitName(text);
  return text;
}

async function withNode<T>(p: Parsed, peer: string, io: Io, run: (node: Node) => Promise<T>): Promise<T> {
  const node = await startNode(p, peer, io);
  try {
    return await run(node);
  } finally {
    await node.stop();
  }
}

async function ping(p: Parsed, io: Io): Promise<number> {
  if (p.positional.length !== 1) throw new UsageError('ping takes one NODE (see beamwire ping --help)');
  const peer = peerName(p.positional[0]!);
  const timeout = intOption(p, 'timeout', 1, 2 ** 31 - 1) ?? 7000;
  const answer = await withNode(p, peer, io, (node) => node.ping(peer, timeout));
  io.out(answer);
  return answer === 'pong' ? 0 : 1;
}

async function rpc(p: Parsed, io: Io): Promise<number> {
  needPositional(p, 3, 'NODE MODULE FUNCTION');
  if (p.positional.length > 4) throw new UsageError(`rpc takes NODE MODULE FUNCTION [ARGS]: quote ARGS as one argument, e.g. '[1, 2]'`);
  const [nodeText, moduleText, fun, argsText] = p.positional as [string, string, string, string | undefined];
  const peer = peerName(nodeText);
  if (p.flags.has('elixir') && p.flags.has('erlang')) throw new UsageError('--elixir and --erlang: choose one');
  const asked: Syntax | 'auto' = p.flags.has('elixir') ? 'elixir' : p.flags.has('erlang') ? 'erlang' : 'auto';
  let args: Term[];
  let syntax: Syntax = asked === 'auto' ? 'erlang' : asked;
  try {
    if (argsText !== undefined && asked === 'auto') {
      const detected = detectSyntax(argsText);
      syntax = detected.syntax;
      // Only a string tells the two apart here, and no mark says which: say which reading was taken.
      if (detected.mark === undefined && argsText.includes('"')) io.err('read ARGS as Erlang: "abc" is a charlist; --elixir reads it as a binary');
    }
    args = argsText === undefined ? [] : parseTermList(argsText, { syntax });
  } catch (e) {
    if (e instanceof TermSyntaxError) throw new UsageError(`ARGS ${JSON.stringify(argsText)}: ${e.message}`);
    throw e;
  }
  const timeout = intOption(p, 'timeout', 1, 2 ** 31 - 1);
  const value = await withNode(p, peer, io, async (node) => {
    await mustConnect(node, peer);
    return node.rpc(peer, moduleName(moduleText, { syntax: asked }), fun, args, timeout === undefined ? {} : { timeout });
  });
  io.out(syntax === 'elixir' ? formatElixir(value) : format(value));
  return 0;
}

/** A clear error when the node is not there (instead of erpc's noconnection). */
async function mustConnect(node: Node, peer: string): Promise<void> {
  try {
    await node.connect(peer);
  } catch (e) {
    throw new Error(`cannot connect to ${peer}: ${(e as Error).message}`);
  }
}

async function names(p: Parsed, io: Io): Promise<number> {
  if (p.positional.length) throw new UsageError('names takes no arguments (see beamwire names --help)');
  const port = intOption(p, 'epmd-port', 1, 65535) ?? portFromEnv();
  const host = p.options.get('host') ?? '127.0.0.1';
  const r = await new EpmdClient({ host, port }).names();
  io.out(`epmd: up and running on port ${r.epmdPort} with data:`);
  for (const n of r.nodes) io.out(`name ${n.name} at port ${n.port}`);
  return 0;
}

async function stubs(p: Parsed, io: Io): Promise<number> {
  if (p.positional.length) throw new UsageError('stubs takes options only: --node NODE --module M (see beamwire stubs --help)');
  const nodeText = p.options.get('node');
  const module = p.options.get('module');
  if (nodeText === undefined || module === undefined) throw new UsageError('stubs needs --node NODE and --module M');
  if (!MODULE_NAME.test(module) || module.length > 255)
    throw new UsageError(`module ${JSON.stringify(module)} cannot have a service schema: its name must match ${MODULE_NAME.source} (schemas/service.schema.json)`);
  const peer = peerName(nodeText);
  const outDir = p.options.get('out') ?? DEFAULT_SCHEMAS;
  const m = atom(module);
  const { exports, forms, source } = await withNode(p, peer, io, async (node) => {
    await mustConnect(node, peer);
    let exports: Term;
    try {
      exports = await node.rpc(peer, m, 'module_info', [atom('exports')], { timeout: 30_000 });
    } catch (e) {
      if (e instanceof RpcError && e.reason === atom('undef')) throw new Error(`module ${module} is not loaded on ${peer} and not in its code path`);
      throw e;
    }
    const { forms, source } = await readForms(node, peer, m);
    return { exports, forms, source };
  });
  if (!Array.isArray(exports)) throw new Error(`${module}:module_info(exports) on ${peer} gave ${format(exports)}, not a list`);
  const model = buildStubs(module, exports, forms, source);
  if (model.functions.length === 0) throw new Error(`${module} on ${peer} exports no function a service schema can hold`);
  const yaml = toYaml(model, `${module} on ${peer} (${source})`);
  const specced = model.functions.filter((f) => f.hasSpec).length;
  if (outDir === '-') {
    // The file on stdout, the summary on stderr: `beamwire stubs ... --out - > x.service.yaml`.
    io.out(yaml.replace(/\n$/, ''));
    io.err(`${module}: ${model.functions.length} functions (${specced} with a -spec), ${model.types.size} named types, from ${source}`);
    return 0;
  }
  const file = join(outDir, `${module}.service.yaml`);
  mkdirSync(outDir, { recursive: true });
  const replaced = existsSync(file);
  writeFileSync(file, yaml);
  const notes = model.functions.reduce((n, f) => n + f.args.reduce((k, a) => k + a.notes.length, 0) + f.resultNotes.length, 0) + [...model.types.values()].reduce((n, t) => n + t.notes.length, 0);
  const shown = relative(process.cwd(), file);
  io.out(`${replaced ? 'replaced' : 'wrote'} ${shown.startsWith('..') ? file : shown}: ${model.functions.length} functions (${specced} with a -spec), ${model.types.size} named types, from ${source}`);
  if (notes) io.out(`${notes} Erlang types have no equivalent in the schema and became term: see the "# any term for" comments`);
  if (model.skipped.length) io.out(`left out ${model.skipped.length} exports whose names the schema cannot hold (listed as comments)`);
  const genArgs = outDir === DEFAULT_SCHEMAS ? '' : ` --schemas ${outDir}`;
  io.out(`next: review it, then \`npx beamwire gen${genArgs}\` writes generated/services/${module}.ts (the typed stub)`);
  return 0;
}

/** The -spec/-type/-record forms of `m`: debug_info first, then the EEP-48 docs chunk. */
async function readForms(node: Node, peer: string, m: Atom): Promise<{ forms: Forms; source: string }> {
  const empty = collectForms([]);
  const call = (mod: string, fun: string, args: Term[]): Promise<Term> => node.rpc(peer, mod, fun, args, { timeout: 30_000 });
  // code:which gives the .beam path; a module loaded from a binary has none, code:get_object_code may.
  let beam: Term = await call('code', 'which', [m]);
  if (!Array.isArray(beam)) {
    const obj = await call('code', 'get_object_code', [m]);
    beam = obj instanceof Tuple ? (obj.elements[1] ?? atom('error')) : atom('error');
  }
  if (Array.isArray(beam) || beam instanceof Uint8Array) {
    const r = await call('beam_lib', 'chunks', [beam, [atom('abstract_code')]]);
    // {ok, {M, [{abstract_code, {raw_abstract_v1, Forms}}]}}
    const chunk = r instanceof Tuple && r.elements[0] === atom('ok') ? (r.elements[1] as Tuple | undefined)?.elements[1] : undefined;
    const code = Array.isArray(chunk) && chunk[0] instanceof Tuple ? chunk[0].elements[1] : undefined;
    if (code instanceof Tuple && code.elements[0] === atom('raw_abstract_v1') && Array.isArray(code.elements[1]))
      return { forms: collectForms(code.elements[1]), source: 'debug_info' };
  }
  // {ok, {docs_v1, Anno, Lang, Format, ModDoc, Meta, [{{Kind, F, A}, Anno, Sig, Doc, #{signature => Forms}}]}}
  const doc = await call('code', 'get_doc', [m]);
  const docs = doc instanceof Tuple && doc.elements[0] === atom('ok') && doc.elements[1] instanceof Tuple ? doc.elements[1].elements[6] : undefined;
  if (Array.isArray(docs)) {
    const forms: Term[] = [];
    for (const entry of docs) {
      const meta = entry instanceof Tuple ? entry.elements[4] : undefined;
      const sig = meta instanceof Map ? meta.get(atom('signature')) : undefined;
      if (Array.isArray(sig)) forms.push(...sig);
    }
    if (forms.length) return { forms: collectForms(forms), source: 'the EEP-48 docs chunk' };
  }
  return { forms: empty, source: 'exports only: no debug_info and no docs with signatures, so every type is term' };
}

const DEFAULT_SCHEMAS = join('schemas', 'services');

function genCommand(p: Parsed, io: Io): Promise<number> {
  if (p.positional.length) throw new UsageError('gen takes options only: [--schemas DIR] [--out DIR] [--check] (see beamwire gen --help)');
  return gen({ schemas: p.options.get('schemas') ?? DEFAULT_SCHEMAS, out: p.options.get('out') ?? join('generated', 'services'), check: p.flags.has('check') }, io);
}

const CA_SUBCOMMANDS = ['init', 'issue', 'show'] as const;

function caCommand(p: Parsed, io: Io): Promise<number> {
  const [sub, target, ...extra] = p.positional;
  if (!CA_SUBCOMMANDS.includes(sub as (typeof CA_SUBCOMMANDS)[number])) throw new UsageError(`ca needs init, issue or show${sub === undefined ? '' : `, not ${JSON.stringify(sub)}`} (see beamwire ca --help)`);
  const s = sub as (typeof CA_SUBCOMMANDS)[number];
  if (s === 'init' ? target !== undefined : target === undefined || extra.length)
    throw new UsageError(s === 'init' ? 'ca init takes options only (see beamwire ca --help)' : `ca ${s} takes one ${s === 'issue' ? 'NODE@HOST' : 'FILE'} (see beamwire ca --help)`);
  if (s === 'issue') peerName(target!);
  const ipText = p.options.get('ip');
  const ips = ipText === undefined ? undefined : ipText.split(',').map((a) => a.trim()).filter((a) => a !== '');
  const days = intOption(p, 'days', 1, 36500);
  const name = p.options.get('name');
  const out = p.options.get('out');
  return ca(
    {
      sub: s,
      ...(target === undefined ? {} : { target }),
      dir: p.options.get('dir') ?? DEFAULT_CA_DIR,
      ...(out === undefined ? {} : { out }),
      ...(name === undefined ? {} : { name }),
      ...(days === undefined ? {} : { days }),
      ...(ips === undefined ? {} : { ips }),
    },
    io,
  );
}

/** The installed package's version: its own package.json, found by the package's name (the depth below it differs in dist/). */
export function version(): string {
  return (createRequire(import.meta.url)('beamwire/package.json') as { version: string }).version;
}

/** Runs one command line; resolves with the exit code. */
export async function main(argv: readonly string[], io: Io = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  let debug = argv.includes('--debug');
  try {
    const p = parseArgv(argv);
    debug = p.flags.has('debug');
    if (p.flags.has('version') && !p.flags.has('help')) {
      io.out(version());
      return 0;
    }
    if (p.flags.has('help') || p.command === '' || p.command === 'help') {
      const topic = p.command === 'help' ? (p.positional[0] ?? '') : p.command;
      if (HELP[topic] === undefined) throw new UsageError(`unknown command ${JSON.stringify(topic)}: ${COMMANDS}`);
      io.out(HELP[topic]);
      return p.command === '' && !p.flags.has('help') ? 2 : 0;
    }
    switch (p.command) {
      case 'ping':
        return await ping(p, io);
      case 'rpc':
        return await rpc(p, io);
      case 'names':
        return await names(p, io);
      case 'stubs':
        return await stubs(p, io);
      case 'gen':
        return await genCommand(p, io);
      case 'ca':
        return await caCommand(p, io);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(p.command)}: ${COMMANDS} (beamwire --help)`);
    }
  } catch (e) {
    io.err(`beamwire: ${oneLine(e)}`);
    if (debug && e instanceof Error && e.stack) io.err(e.stack);
    return e instanceof UsageError ? 2 : 1;
  }
}

function oneLine(e: unknown): string {
  if (e instanceof CallTimeoutError) return `timed out: ${e.message}`;
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Run as a program (also through npm's bin symlink, hence realpath), not imported. */
function isEntry(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

// No top-level await: the module stays loadable through require() (Node 20.19 refuses ESM that awaits at the top).
if (isEntry()) void main(process.argv.slice(2)).then((code) => process.exit(code));
