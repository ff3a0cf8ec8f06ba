/**
 * `node.global`: global's names from TypeScript. Registering takes the lock
 * `{global, Registrar}` on every node of the partition (trans_all_known) and
 * then registers on each, as global:register_name does, from a registrar
 * process of our own; looking up reads the local table, as
 * global:whereis_name does. Names are any terms; a string is an atom.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NodeStopped, type Process, type ProcessContext } from '../process/index.js';
import { Atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import type { Pid, Term } from '../term/values.js';
import { global as msg } from '../../generated/global.js';
import { multiCall } from './calls.js';
import type { GlobalHost } from './host.js';
import { deleteGlobalLock, delLock, setLockOnNodes, theBoss } from './locks.js';
import { resolveFun, type ResolveMethod } from './resolve.js';
import { GNS, NameServer } from './server.js';

const GLOBAL = Atom.of('global');
const UNDEFINED = Atom.of('undefined');
const WAKE = Atom.of('wake');

export interface GlobalRegisterOptions {
  /**
   * What global does when this name meets another holder of it as
   * partitions join (OTP's resolve functions): 'random_exit_name' (the
   * default: the pid on the node with the higher name is killed),
   * 'random_notify_name' (it gets `{global_name_conflict, Name}` instead),
   * 'notify_all_name' (both are told and neither keeps the name).
   */
  resolve?: ResolveMethod;
}

const nameTerm = (name: Term): Term => (typeof name === 'string' ? Atom.of(name) : name);

export class Global {
  readonly #server: NameServer;
  readonly #registrar: Registrar;
  readonly #host: GlobalHost;

  constructor(host: GlobalHost) {
    this.#host = host;
    this.#server = new NameServer(host);
    this.#server.start();
    this.#registrar = new Registrar(host, this.#server);
  }

  /** global:register_name/2,3: true (yes) when `name` was free and `pid` held no other name. */
  register(name: Term, pid: Pid, options: GlobalRegisterOptions = {}): Promise<boolean> {
    const n = nameTerm(name);
    const method = resolveFun(options.resolve ?? 'random_exit_name');
    return this.#registrar.transAllKnown(async (self, nodes) => {
      if (this.#server.where(n) !== undefined || this.#server.registry.namesOf(pid).length > 0) return false;
      await multiCall(self, nodes, GNS, msg.register(n, pid, method));
      return true;
    });
  }

  /** global:unregister_name/1. */
  async unregister(name: Term): Promise<void> {
    const n = nameTerm(name);
    if (this.#server.where(n) === undefined) return;
    await this.#registrar.transAllKnown(async (self, nodes) => {
      await multiCall(self, nodes, GNS, msg.unregister(n));
    });
  }

  /** global:whereis_name/1. */
  whereis(name: Term): Pid | undefined {
    return this.#server.where(nameTerm(name));
  }

  /** global:registered_names/0. */
  registeredNames(): Term[] {
    return this.#server.registry.names().map((e) => e.name);
  }

  /** global:sync/0: resolves once every visible node is synced with this one (or gone). */
  sync(): Promise<void> {
    return this.#server.sync(this.#host.nodes().map((n) => Atom.of(n)));
  }

  /** @internal The node is stopping (OTP's prepare_shutdown): its connections going is not reported to the cluster as lost. */
  prepareShutdown(): void {
    this.#server.prepareShutdown();
  }

  /** @internal The node's connection events. */
  nodeUp(node: string): void {
    this.#server.nodeUp(Atom.of(node));
  }
  /** @internal */
  nodeDown(node: string): void {
    this.#server.nodeDown(Atom.of(node));
  }

  /** @internal What the node exposes as module `global` to erpc/rpc: the resolve of a clash over one of our pids, and look-ups. */
  get module(): Record<string, (...args: Term[]) => Term | Promise<Term>> {
    return {
      resolve_it: (method, name, pid1, pid2) => this.#server.resolveIt(method!, name!, pid1!, pid2!),
      whereis_name: (name) => this.#server.where(name!) ?? UNDEFINED,
      registered_names: () => this.registeredNames(),
    };
  }
}

/**
 * global's registrar: one process that runs registrations one at a time,
 * each under the lock `{global, self()}` on every known node.
 */
class Registrar {
  readonly #jobs: ((self: ProcessContext) => Promise<void>)[] = [];
  /** The callers still waiting: told when the registrar ends (only with its node, as every process does). */
  readonly #waiting = new Set<(e: Error) => void>();
  readonly #proc: Process;

  constructor(
    private readonly host: GlobalHost,
    private readonly server: NameServer,
  ) {
    this.#proc = host.table.spawn(async (self) => {
      for (;;) {
        for (let job = this.#jobs.shift(); job !== undefined; job = this.#jobs.shift()) await job(self);
        await self.receive(); // a wake-up (or a late reply, dropped)
      }
    });
    void this.#proc.exited.then(() => {
      const stopped = new NodeStopped(host.table.node.name.name, 'global');
      for (const reject of this.#waiting) reject(stopped);
      this.#waiting.clear();
    });
  }

  /** trans_all_known/1: runs `fn` with the nodes it holds the lock on, then lets go. */
  transAllKnown<T>(fn: (self: ProcessContext, nodes: Atom[]) => Promise<T>): Promise<T> {
    if (!this.#proc.alive) return Promise.reject(new NodeStopped(this.host.table.node.name.name, 'global'));
    return new Promise<T>((resolve, reject) => {
      this.#waiting.add(reject);
      this.#jobs.push(async (self) => {
        const id = tuple(GLOBAL, self.pid);
        let nodes: Atom[] | undefined;
        try {
          nodes = await this.#setLockKnown(self, id);
          resolve(await fn(self, nodes));
        } catch (e) {
          reject(e as Error);
        } finally {
          this.#waiting.delete(reject);
          // It fails only when the registrar ends, and that end releases the lock everywhere (a DOWN).
          if (nodes !== undefined && this.#proc.alive) await deleteGlobalLock(self, id, nodes).catch(() => {});
        }
      });
      this.host.table.send(this.#proc.pid, WAKE);
    });
  }

  /** set_lock_known/2: the boss first, then every known node; again, after a random sleep, until the known nodes stay put. */
  async #setLockKnown(self: ProcessContext, id: Term): Promise<Atom[]> {
    const canHere = (): boolean => this.server.registry.canSetLock(id);
    for (let times = 0; ; times++) {
      const known = this.server.knownNodes();
      const nodes = [self.node.name, ...known];
      const boss = [theBoss(nodes)];
      if (await setLockOnNodes(self, id, boss, canHere)) {
        if ((await setLockOnNodes(self, id, nodes, canHere)) && this.server.knownNodes().every((n) => known.includes(n))) return nodes;
        await delLock(self, id, boss);
      }
      await sleep(randomSleep(times), undefined, { signal: self.signal });
    }
  }
}

/** random_sleep/1: up to 1/8 s doubling with each try, at most 8 s. */
export function randomSleep(times: number): number {
  const max = times > 5 ? 8000 : (2 ** times * 1000) / 8;
  return 1 + Math.floor(Math.random() * max);
}
