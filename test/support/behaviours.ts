/**
 * Helpers for the behaviour tests: in-memory nodes, a logger that keeps what
 * it got, and a worker whose life is written to a log (start, stop) and who
 * crashes, ends or exits when told.
 */
import { atom, MemoryCarrier, Node, Tuple, type Logger, type LogLevel, type Pid, type Term } from '../../runtime/index.js';

export interface Kept {
  readonly level: LogLevel;
  readonly message: string;
  readonly report: Readonly<Record<string, unknown>> | undefined;
}

export function keepingLogger(): Logger & { readonly lines: Kept[] } {
  const lines: Kept[] = [];
  return { lines, log: (level, message, report) => void lines.push({ level, message, report }) };
}

let seq = 0;
export async function memoryNode(logger: Logger, carrier = new MemoryCarrier()): Promise<Node> {
  return Node.start({ name: `bh${++seq}@mem`, cookie: 'c', transport: carrier, epmd: 'none', logger });
}

export interface WorkerOptions {
  /** Takes the parent's `shutdown` as a message and ignores it (for the shutdown timeout). */
  readonly deaf?: boolean;
}

/**
 * A child `start`: a process linked to the supervisor that traps exits
 * (so its stop is seen), logs `start <name>` and `stop <name>`, and on a
 * message: `crash` throws, `quit` ends normally, `{exit, R}` exits with R.
 */
export function worker(node: Node, log: string[], name: string, options: WorkerOptions = {}) {
  return (sup: Pid) =>
    node.spawnLink(sup, async (self) => {
      log.push(`start ${name}`);
      self.trapExit(true);
      for (;;) {
        const m = await self.receive();
        if (m instanceof Tuple && m.elements[0] === atom('EXIT')) {
          if (options.deaf) continue;
          log.push(`stop ${name}`);
          return self.exit(m.elements[2]!);
        }
        if (m === atom('crash')) throw new Error(`${name} crashed`);
        if (m === atom('quit')) return;
        if (m instanceof Tuple && m.elements[0] === atom('exit')) return self.exit(m.elements[1]!);
      }
    });
}

/** Waits until `cond()` holds (or fails after `ms`). */
export async function until(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The rejection of `p` (throws if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

export const send = (node: Node, pid: Pid | undefined | 'restarting', m: Term): void => {
  if (pid === undefined || pid === 'restarting') throw new Error('no pid');
  node.send(pid, m);
};
