/**
 * global's locker (global.erl loop_the_locker and its helpers). Before two
 * nodes exchange names, each side takes the lock
 * `{global, lists:sort([TheLocker, HisTheLocker])}` on every node of its
 * partition (the boss, the highest node name, first; then itself and the
 * peer; then the rest), and tells the other side's name server with
 * `lock_set`. Both lockers try, at random moments, and the lock's requester
 * id is the same on both sides, so the two meet. The locker keeps the lock
 * until its name server cancels it (the connect is resolved, or failed).
 */
import { on, P, ProcessExit, type Process, type ProcessContext, type ProcessTable } from '../process/index.js';
import { Atom } from '../term/atom.js';
import { equals } from '../term/compare.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { Pid, Tuple, type Term } from '../term/values.js';
import { gen } from '../../generated/gen.js';
import { global as msg } from '../../generated/global.js';
import { deleteGlobalLock, delLock, setLockOnNodes, theBoss, without } from './locks.js';

const GLOBAL = Atom.of('global');
const GNS = Atom.of('global_name_server');
const LOCK_SET = Atom.of('lock_set');
const CANCEL = Atom.of('cancel');
const HIS_THE_LOCKER = Atom.of('his_the_locker');
const ADD_TO_KNOWN = Atom.of('add_to_known');
const REMOVE_FROM_KNOWN = Atom.of('remove_from_known');
const TIMEOUT = Symbol('timeout');

/** A peer locker met through init_connect (global.erl's #him). */
interface Him {
  readonly node: Atom;
  readonly locker: Pid;
  readonly vsn: number;
  readonly myTag: Term;
  readonly hisTag: Term;
}

/** What the locker asks of its name server. */
export interface LockerServer {
  readonly node: Atom;
  canSetLock(id: Term): boolean;
  isGlobalLockSet(): boolean;
  /** The lock is set on our side for the connect with `node` under our tag: exchange names. */
  lockIsSet(node: Atom, myTag: Term, lockId: Term): void;
  debug(line: string): void;
}

// The messages the name server sends its locker (local only: they never cross the wire).
export const lockerMessages = {
  hisTheLocker: (locker: Pid, vsn: number, hisTag: Term, myTag: Term): Tuple => tuple(HIS_THE_LOCKER, locker, vsn, hisTag, myTag),
  cancel: (node: Atom, tag: Term): Tuple => tuple(CANCEL, node, tag ?? Atom.of('undefined')),
  addToKnown: (nodes: Atom[]): Tuple => tuple(ADD_TO_KNOWN, nodes),
  removeFromKnown: (node: Atom): Tuple => tuple(REMOVE_FROM_KNOWN, node),
};

/**
 * Erlang's term order for two pids (what lists:sort gives, the same in OTP
 * 25, 27 and 29): serial, then number, then node name, then creation.
 */
export function comparePids(a: Pid, b: Pid): number {
  if (a.serial !== b.serial) return a.serial - b.serial;
  if (a.id !== b.id) return a.id - b.id;
  if (a.node !== b.node) return a.node.name < b.node.name ? -1 : 1;
  return a.creation - b.creation;
}

/** locker_lock_id/2: `{global, lists:sort([A, B])}`. */
export function lockerLockId(a: Pid, b: Pid): Tuple {
  return tuple(GLOBAL, [a, b].sort(comparePids));
}


export function startLocker(table: ProcessTable, server: LockerServer): Process {
  return table.spawn((self) => new Locker(self, server).loop());
}

class Locker {
  #hims: Him[] = [];
  #known: Atom[] = [];
  #justSynced = false;

  constructor(
    private readonly self: ProcessContext,
    private readonly server: LockerServer,
  ) {}

  async loop(): Promise<never> {
    for (;;) {
      const m = await this.self.receive(undefined, { timeout: this.#timeout(), after: () => TIMEOUT });
      this.#justSynced = false;
      try {
        if (m === TIMEOUT) {
          if (!this.server.isGlobalLockSet()) await this.#selectNode();
        } else await this.#message(m as Term);
      } catch (e) {
        // A peer's locker waits for our lock_set: the locker must outlive a bug, and end only with its node.
        if (e instanceof ProcessExit) throw e;
        this.server.debug(`global locker: ${(e as Error).stack ?? String(e)}`);
      }
    }
  }

  /** loop_the_locker's wait before trying a peer itself: at once after a sync, longer as the partition grows. */
  #timeout(): number {
    if (this.#hims.length === 0) return 2 ** 31 - 1;
    if (this.#justSynced) return 0;
    return this.#known.length === 0 ? 200 : Math.min(1000 + 100 * this.#known.length, 3000);
  }

  async #message(m: Term): Promise<void> {
    const e = m instanceof Tuple ? m.elements : [];
    if (e[0] === HIS_THE_LOCKER && e[1] instanceof Pid && typeof e[2] === 'number') {
      this.#hims.push({ node: e[1].node, locker: e[1], vsn: e[2], hisTag: e[3]!, myTag: e[4]! });
    } else if (e[0] === CANCEL && e[1] instanceof Atom) {
      this.#remove(e[1], e[2]!);
    } else if (e[0] === LOCK_SET && e[1] instanceof Pid && (e.length === 4 || e.length === 5)) {
      if (e[2] === true) await this.#lockSetTrue(e[1], e.length === 5 ? e[4] : undefined);
    } else if (!this.#updateKnown(m)) this.server.debug(`global locker ignored ${format(m).slice(0, 120)}`);
  }

  #updateKnown(m: Term): boolean {
    const e = m instanceof Tuple ? m.elements : [];
    if (e[0] === ADD_TO_KNOWN && Array.isArray(e[1])) this.#known = [...(e[1].filter((n) => n instanceof Atom) as Atom[]), ...this.#known];
    else if (e[0] === REMOVE_FROM_KNOWN && e[1] instanceof Atom) this.#known = this.#known.filter((n) => n !== e[1]);
    else return false;
    return true;
  }

  /** update_locker_known/1: takes the known-node updates already queued. */
  async #drainKnown(): Promise<void> {
    for (;;) {
      const m = await this.self.receive([on(P.tuple(ADD_TO_KNOWN, P.any), (_b, v) => v), on(P.tuple(REMOVE_FROM_KNOWN, P.any), (_b, v) => v)], { timeout: 0, after: () => undefined });
      if (m === undefined) return;
      this.#updateKnown(m);
    }
  }

  #remove(node: Atom, tag: Term): void {
    this.#hims = this.#hims.filter((h) => !(h.node === node && equals(h.myTag, tag)));
  }

  /** A peer's locker set the lock on its side: set it on ours and answer (the_locker_message, lock_set true). */
  async #lockSetTrue(pid: Pid, myTag: Term | undefined): Promise<void> {
    const him = this.#hims.find((h) => h.node === pid.node && (myTag === undefined || equals(h.myTag, myTag)));
    if (him === undefined) {
      this.self.send(pid, msg.lockSet(this.self.pid, false, this.#known));
      return;
    }
    const lockId = lockerLockId(this.self.pid, pid);
    const isSet = await this.#lockNodesSafely(lockId, []);
    this.#sendLockSet(isSet, pid, him);
    if (!isSet) return;
    const known = [this.server.node, ...this.#known];
    this.server.lockIsSet(him.node, him.myTag, lockId);
    await this.#waitCancel(him.node, him.myTag);
    await this.#deleteGlobalLock(lockId, known);
    this.#justSynced = true;
    this.#remove(him.node, him.myTag);
  }

  /** select_node/1: try a peer ourselves; the peer's answer comes as lock_set through its name server. */
  async #selectNode(): Promise<void> {
    const candidates = this.#hims.filter((h) => !this.#known.includes(h.node));
    if (candidates.length === 0) return;
    const him = candidates[Math.floor(Math.random() * candidates.length)]!;
    const lockId = lockerLockId(this.self.pid, him.locker);
    if (!(await this.#lockNodesSafely(lockId, [him.node]))) return;
    const known = [this.server.node, him.node, ...this.#known];
    this.#sendLockSet(true, him.locker, him);
    // lock_is_set/5: the answer from that node (an old tag's is dropped), or a cancel.
    const fromHim = ({ p }: { p: Pid }): boolean => p.node === him.node;
    for (;;) {
      const a = await this.self.receive([
        on(P.tuple(LOCK_SET, P.bind('p', P.pid()), P.bind('set'), P.any, P.bind('tag')).when(fromHim), ({ set, tag }) => ({ set, tag })),
        on(P.tuple(LOCK_SET, P.bind('p', P.pid()), P.bind('set'), P.any).when(fromHim), ({ set }) => ({ set, tag: him.myTag })),
        on(P.tuple(CANCEL, him.node, P.lit(him.myTag)), () => 'cancel' as const),
      ]);
      if (a !== 'cancel' && !equals(a.tag, him.myTag)) continue;
      if (a !== 'cancel' && a.set === true) {
        this.server.lockIsSet(him.node, him.myTag, lockId);
        await this.#waitCancel(him.node, him.myTag);
        this.#justSynced = true;
      }
      break;
    }
    await this.#deleteGlobalLock(lockId, known);
    this.#remove(him.node, him.myTag);
  }

  async #waitCancel(node: Atom, tag: Term): Promise<void> {
    await this.self.receive(on(P.tuple(CANCEL, node, P.lit(tag)), () => undefined));
  }

  /** send_lock_set/5: through the peer's name server (version 6 and later), tagged from version 8. */
  #sendLockSet(isSet: boolean, to: Pid, him: Him): void {
    const m = him.vsn < 8 ? msg.lockSet(this.self.pid, isSet, this.#known) : msg.lockSetTagged(this.self.pid, isSet, this.#known, him.hisTag);
    if (him.vsn < 6) this.self.send(to, m);
    else this.self.send(new Tuple<[Atom, Atom]>([GNS, to.node]), gen.genCast(m));
  }

  /** lock_nodes_safely/3: the boss first, then us and `extra`, then the rest of the partition. */
  async #lockNodesSafely(lockId: Term, extra: Atom[]): Promise<boolean> {
    const us = this.server.node;
    const first = [theBoss([us, ...this.#known])];
    if (!(first[0] === us || this.server.canSetLock(lockId))) return false;
    if (!(await this.#setLock(lockId, first))) return false;
    await this.#drainKnown();
    const second = without([us, ...extra], first);
    if (!(await this.#setLock(lockId, second))) {
      await this.#delLock(lockId, first);
      return false;
    }
    if (!(await this.#setLock(lockId, without(this.#known, first)))) {
      await this.#delLock(lockId, [...first, ...second]);
      return false;
    }
    return true;
  }

  /** set_lock(Id, Nodes, 0): one try. */
  #setLock(lockId: Term, nodes: Atom[]): Promise<boolean> {
    return setLockOnNodes(this.self, lockId, nodes, () => this.server.canSetLock(lockId));
  }
  #delLock(lockId: Term, nodes: Atom[]): Promise<void> {
    return delLock(this.self, lockId, nodes);
  }
  #deleteGlobalLock(lockId: Term, nodes: Atom[]): Promise<void> {
    return deleteGlobalLock(this.self, lockId, nodes);
  }
}
