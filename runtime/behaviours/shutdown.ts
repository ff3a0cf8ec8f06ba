/**
 * How a supervisor ends its children, run inside the supervisor's process
 * (supervisor:shutdown/1, unlink_flush/2, terminate_dynamic_children/1).
 * The child is monitored, not waited for by its EXIT: a child that unlinked
 * itself cannot hang the supervisor.
 */
import { on, P, refKey, type ProcessContext } from '../process/index.js';
import { atom } from '../term/atom.js';

import type { Pid, Reference, Term } from '../term/values.js';
import { isShutdownTuple, NORMAL, SHUTDOWN, type Child } from './children.js';

const KILL = atom('kill');
const KILLED = atom('killed');
const DOWN = atom('DOWN');
const EXIT = atom('EXIT');

const downOf = (ref: Reference) => on(P.tuple(DOWN, P.ref(ref), P.any, P.any, P.bind('reason')), ({ reason }) => reason as Term);

/**
 * Ends `child` (whose pid is set) as its spec says; resolves with undefined
 * when it ended as asked, or with the other reason it ended with (the
 * supervisor reports that as a shutdown_error).
 */
export async function shutdown(self: ProcessContext, child: Child): Promise<Term | undefined> {
  const pid = child.pid!;
  const { shutdown: how, restart } = child.spec;
  const down = downOf(self.monitor(pid));
  const permanent = restart === 'permanent';
  if (how === 'brutal_kill') {
    self.exit(pid, KILL);
    const r = await unlinkFlush(self, pid, await self.receive(down));
    return r === KILLED || (!permanent && (r === SHUTDOWN || r === NORMAL || isShutdownTuple(r))) ? undefined : r;
  }
  self.exit(pid, SHUTDOWN);
  let reason: Term | undefined = how === 'infinity' ? await self.receive(down) : await self.receive(down, { timeout: how, after: () => undefined });
  if (reason === undefined) {
    // No DOWN within the shutdown time: kill it, as supervisor:shutdown/1's `after Time`.
    self.exit(pid, KILL);
    reason = await self.receive(down);
  }
  const r = await unlinkFlush(self, pid, reason);
  return r === SHUTDOWN || (!permanent && (r === NORMAL || isShutdownTuple(r))) ? undefined : r;
}

/** Unlinks and takes the child's EXIT if it came: its reason is the one that counts (supervisor:unlink_flush/2). */
async function unlinkFlush(self: ProcessContext, pid: Pid, otherwise: Term): Promise<Term> {
  self.unlink(pid);
  return self.receive(on(P.tuple(EXIT, P.pid(pid), P.bind('reason')), ({ reason }) => reason as Term), { timeout: 0, after: () => otherwise });
}

/**
 * Dynamic children end all at once, in no order (terminate_dynamic_children/1):
 * each gets its exit signal, then the supervisor waits for every DOWN until
 * the shutdown time, kills those left, and waits for them. Resolves with the
 * children that ended otherwise than asked, and why.
 */
export async function shutdownAll(self: ProcessContext, template: Child, children: readonly Child[]): Promise<[Child, Term][]> {
  const { shutdown: how, restart } = template.spec;
  const permanent = restart === 'permanent';
  const waiting = new Map<string, Child>();
  for (const c of children) {
    if (c.pid === undefined) continue;
    const ref = self.monitor(c.pid);
    waiting.set(refKey(ref), c);
    self.exit(c.pid, how === 'brutal_kill' ? KILL : SHUTDOWN);
  }
  const failed: [Child, Term][] = [];
  const anyDown = on(P.tuple(DOWN, P.bind('ref', P.ref().when((_b, r) => waiting.has(refKey(r)))), P.any, P.any, P.bind('reason')), (b) => b);
  const deadline = typeof how === 'number' ? Date.now() + how : undefined;
  let killed = false;
  while (waiting.size > 0) {
    const left = deadline === undefined || killed ? undefined : Math.max(0, deadline - Date.now());
    const m = left === undefined ? await self.receive(anyDown) : await self.receive(anyDown, { timeout: left, after: () => undefined });
    if (m === undefined) {
      killed = true;
      for (const c of waiting.values()) self.exit(c.pid!, KILL);
      continue;
    }
    const { ref, reason: down } = m;
    const c = waiting.get(refKey(ref))!;
    waiting.delete(refKey(ref));
    const r = await unlinkFlush(self, c.pid!, down);
    const ok = how === 'brutal_kill' ? r === KILLED : r === SHUTDOWN;
    if (!ok && !(!permanent && (r === NORMAL || r === SHUTDOWN || isShutdownTuple(r)))) failed.push([c, r]);
  }
  return failed;
}
