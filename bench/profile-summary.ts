/**
 * Top self-time functions (and hottest source lines) of a V8 .cpuprofile, for
 * reading a profile of one bench cell without DevTools. Positions in a tsc
 * build are mapped back to the .ts sources through its .js.map files.
 *
 *   npx tsc -p tsconfig.build.json --outDir bench/results/dist.tmp
 *   node --cpu-prof --cpu-prof-dir=bench/results/prof.tmp --import tsx bench/run.ts \
 *        --only beamwire-decode-small --no-erlang --beamwire bench/results/dist.tmp/runtime/index.js
 *   node --import tsx bench/profile-summary.ts bench/results/prof.tmp/*.cpuprofile [TOP]
 *
 * (Profiles taken through tsx alone work too, but tsx puts each module on
 * one line, so every position reads `file:1`.)
 *
 * Caveat: TurboFan inlines small callees, and their self time then counts
 * for the caller; V8 also reports an inlined callee's line numbers against
 * the caller's script, so the by-line list can name lines of the wrong file.
 * For an exact split by function, profile once more with
 * `node --no-turbo-inlining --cpu-prof ...` (slower overall, but each
 * function keeps its own samples).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  positionTicks?: { line: number; ticks: number }[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const maps = new Map<string, SourceMap | null>();

function sourceMapFor(path: string): SourceMap | null {
  let m = maps.get(path);
  if (m === undefined) {
    m = null;
    const mapPath = `${path}.map`;
    if (existsSync(mapPath)) {
      try {
        m = new SourceMap(JSON.parse(readFileSync(mapPath, 'utf8')));
      } catch {
        m = null;
      }
    }
    maps.set(path, m);
  }
  return m;
}

/** `file:line` (1-based) in the original source when a source map says so. */
function where(url: string, line0: number, col0: number): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (!path.startsWith('/')) return `${path}:${line0 + 1}`;
  const m = sourceMapFor(path);
  const e = m?.findEntry(line0, col0) as { originalSource?: string; originalLine?: number } | undefined;
  if (e?.originalSource !== undefined && e.originalLine !== undefined) {
    const src = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : resolve(dirname(path), e.originalSource);
    return `${relative(ROOT, src)}:${e.originalLine + 1}`;
  }
  return `${relative(ROOT, path)}:${line0 + 1}`;
}

// `... | head` closes stdout early; that is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const args = process.argv.slice(2);
const top = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);

for (const file of args.filter((a) => !/^\d+$/.test(a))) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    const us = p.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + us);
    total += us;
  }
  // One function appears under many call paths: sum its nodes.
  const fns = new Map<string, number>();
  // Line-level: a node's self time, split by its position ticks.
  const lines = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'}  ${where(f.url, f.lineNumber, f.columnNumber)}`.trimEnd();
    fns.set(key, (fns.get(key) ?? 0) + us);
    const ticks = n.positionTicks ?? [];
    const sum = ticks.reduce((a, t) => a + t.ticks, 0);
    for (const t of ticks) {
      const at = where(f.url, t.line - 1, 1e6);
      const k = `${at}  (${f.functionName || 'anonymous'})`;
      lines.set(k, (lines.get(k) ?? 0) + (us * t.ticks) / sum);
    }
  }
  if (total === 0) continue;
  const show = (title: string, m: Map<string, number>): void => {
    console.log(`  ${title}`);
    for (const [key, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
    }
  };
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
  show('self time by function', fns);
  show('self time by source line (inlined callees may show under the caller\'s file)', lines);
}
