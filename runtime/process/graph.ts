/**
 * paragram's `graph`: the link graph as Graphviz dot. Every local process
 * with a link, and every process it is linked to, clustered by node (where
 * paragram clusters by OS pid); a registered process is labelled with its
 * name too. Links are undirected, so the graph is (`--`).
 */
import type { Pid } from '../term/values.js';
import type { Proc } from './state.js';

export interface GraphSource {
  readonly procs: ReadonlyMap<number, Proc>;
}

export function linkGraph(table: GraphSource, title = 'links'): string {
  const clusters = new Map<string, Map<string, string>>(); // node → pid text → label
  const edges = new Set<string>();
  const place = (pid: Pid, name?: string): string => {
    const id = pid.toString();
    let c = clusters.get(pid.node.name);
    if (c === undefined) clusters.set(pid.node.name, (c = new Map()));
    if (name !== undefined || !c.has(id)) c.set(id, name === undefined ? id : `${id}\\n${name}`);
    return id;
  };
  for (const p of table.procs.values()) {
    const active = [...p.someLinks.values()].filter((l) => l.active);
    if (active.length === 0) continue;
    const a = place(p.pid, p.name?.name);
    for (const l of active) {
      const b = place(l.pid);
      edges.add(a < b ? `${quote(a)} -- ${quote(b)}` : `${quote(b)} -- ${quote(a)}`);
    }
  }
  const lines = [`graph ${quote(title)} {`];
  for (const [node, members] of clusters) {
    lines.push(`  subgraph ${quote(`cluster_${node}`)} {`, `    label=${quote(node)};`);
    for (const [id, label] of members) lines.push(`    ${quote(id)} [label=${quote(label)}];`);
    lines.push('  }');
  }
  for (const e of edges) lines.push(`  ${e};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** A dot ID: a double-quoted string (a label's `\n` is dot's own escape, kept). */
function quote(s: string): string {
  return `"${s.replace(/\\(?!n)|"/g, (c) => `\\${c}`)}"`;
}
