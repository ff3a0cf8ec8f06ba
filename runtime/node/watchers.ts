/**
 * `node.link` and `node.monitor` for code outside any process: each is a
 * small watcher process that holds the link (trapping exits) or the monitor
 * and hands the outcome to a callback or a promise. When the node stops
 * under a watcher, the outcome is the reason its processes end with.
 */
import { on, P, type MonitorTarget, type ProcessContext, type ProcessTable } from '../process/index.js';
import { atom } from '../term/atom.js';
import type { Pid, Reference, Term } from '../term/values.js';

const NORMAL = atom('normal');
const KILL = atom('kill');

export interface NodeMonitor {
  readonly ref: Promise<Reference>;
  /** The DOWN reason (noproc, noconnection, ...). Never rejects. */
  readonly down: Promise<Term>;
  demonitor(): void;
}

/** Links `pid` to a watcher; `onExit` gets the reason once. Returns the unlink. */
export function linkWatcher(table: ProcessTable, pid: Pid, onExit: (reason: Term) => void): () => void {
  let done = false;
  const report = (reason: Term): void => {
    if (!done) (done = true), onExit(reason);
  };
  let self: ProcessContext | undefined;
  const watcher = table.spawn(async (ctx) => {
    if (done) return; // unlinked before it ran
    self = ctx;
    ctx.trapExit(true);
    ctx.link(pid);
    report((await ctx.receive([on(P.tuple(atom('EXIT'), P.pid(pid), P.bind('reason')), ({ reason }) => reason)])) as Term);
  });
  void watcher.exited.then((why) => why !== NORMAL && report(why));
  return () => {
    if (done) return;
    done = true;
    // Unlink first: the watcher's end must not reach `pid` as an exit signal.
    if (self !== undefined && watcher.alive) {
      self.unlink(pid);
      table.exit(watcher.pid, KILL);
    }
  };
}

/** Monitors `target` from a watcher: `down` resolves with the DOWN reason. */
export function monitorWatcher(table: ProcessTable, target: MonitorTarget): NodeMonitor {
  let setRef!: (r: Reference) => void;
  const ref = new Promise<Reference>((r) => (setRef = r));
  let cancelled = false;
  let stop = (): void => {};
  const down = new Promise<Term>((resolve) => {
    const watcher = table.spawn(async (self) => {
      if (cancelled) return; // demonitored before it ran
      const r = self.monitor(target);
      setRef(r);
      stop = () => {
        if (!watcher.alive) return; // DOWN came already
        self.demonitor(r);
        table.exit(watcher.pid, KILL);
      };
      resolve((await self.receive([on(P.tuple(atom('DOWN'), P.ref(r), P.any, P.any, P.bind('reason')), ({ reason }) => reason)])) as Term);
    });
    void watcher.exited.then((why) => !cancelled && why !== NORMAL && resolve(why));
  });
  return {
    ref,
    down,
    demonitor: () => {
      if (cancelled) return;
      cancelled = true;
      stop();
    },
  };
}
