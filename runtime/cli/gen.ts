/**
 * `beamwire gen`: the project's *.service.yaml → typed stubs. The generator
 * (codegen/gen-services.ts) and what it needs (ts-morph, yaml, ajv: ~20 MB)
 * load only here, so `import 'beamwire'` and the other commands stay light.
 * Those three are optional peer dependencies: a service that only runs stubs
 * does not install them; `gen` names the ones missing and the command that
 * installs them.
 */
import { createRequire } from 'node:module';
import type { Io } from './io.js';

export const GEN_HELP = `usage: beamwire gen [--schemas schemas/services] [--out generated/services] [--check]

Turns every <M>.service.yaml in --schemas (what \`beamwire stubs\` writes) into
<out>/<M>.ts: the typed client stub, the server interface and the expose
adapter, importing the runtime from beamwire/codegen/v1 only. Writes only the
files that change; removes the stubs it wrote earlier whose schema is gone.
Needs ts-morph, yaml and ajv in the project (npm install --save-dev ts-morph@28 yaml@2 ajv@8).

  --schemas DIR     where the *.service.yaml files are (default schemas/services)
  --out DIR         where the stubs go (default generated/services)
  --check           write nothing; exit 1 if a stub is missing, differs or is stale (for CI)
  --debug           stack traces`;

export interface GenArgs {
  readonly schemas: string;
  readonly out: string;
  readonly check: boolean;
}

const PEERS = ['ts-morph', 'yaml', 'ajv'] as const;

type Generator = typeof import('../../codegen/gen-services.js');

/** The generator, or an error naming the peer dependencies to install. */
async function loadGenerator(): Promise<Generator> {
  const require = createRequire(import.meta.url);
  const missing = PEERS.filter((p) => {
    try {
      require.resolve(p);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    const ranges = (require('beamwire/package.json') as { peerDependencies: Record<string, string> }).peerDependencies;
    const specs = missing.map((p) => `${p}@${/\d+/.exec(ranges[p] ?? '')?.[0] ?? 'latest'}`);
    throw new Error(`beamwire gen needs ${missing.join(', ')} (optional peer dependencies, not installed with beamwire): npm install --save-dev ${specs.join(' ')}`);
  }
  return import('../../codegen/gen-services.js');
}

/** Runs `beamwire gen`; resolves with the exit code. */
export async function gen(args: GenArgs, io: Io): Promise<number> {
  const g = await loadGenerator();
  const options = { schemas: args.schemas, out: args.out, cwd: process.cwd() };
  let plan;
  try {
    plan = g.planServices(options);
  } catch (e) {
    if (!(e instanceof g.SchemaError)) throw e;
    // One line per problem: each names its file, JSON path and line.
    for (const p of e.problems) io.err(`beamwire: ${p.file}: ${p.path} ${p.message}${p.line === undefined ? '' : ` (line ${p.line})`}`);
    return 1;
  }
  const { files, changed, stale } = plan;
  if (args.check) {
    for (const p of changed) io.err(`differs: ${p}`);
    for (const p of stale) io.err(`stale:   ${p}`);
    if (changed.length || stale.length) {
      io.err(`beamwire: ${args.out} is out of date with ${args.schemas}: run \`npx beamwire gen\``);
      return 1;
    }
    io.out(`${args.out}: ${files.size} stubs, all current`);
    return 0;
  }
  g.writeServices(options, plan);
  for (const p of changed) io.out(`wrote ${p}`);
  for (const p of stale) io.out(`removed ${p}`);
  io.out(`${files.size} stubs from ${args.schemas}: ${changed.length} written, ${stale.length} removed`);
  return 0;
}
