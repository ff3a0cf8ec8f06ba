/**
 * runtime/global's state logic: the name and lock tables (global.erl's ETS
 * tables), name clashes (exchange_names/4, the resolve functions), the
 * locker's lock id and boss, a name server fed hostile terms, and beamwire
 * nodes running global's protocol among themselves over a MemoryCarrier
 * (no Erlang: both lockers are ours, so the active side is exercised too).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { atom, ExportFun, MemoryCarrier, Node, on, P, Pid, Reference, tuple, type Term } from '../../runtime/index.js';
import { addToKnown, comparePids, exchangeNames, nodeVsn, lockerLockId, NameServer, randomSleep, Registry, resolveFun, resolveIt, theBoss, type ResolveSide } from '../../runtime/global/index.js';
import { ProcessTable, silentLogger } from '../../runtime/process/index.js';
import { until } from '../support/net.js';

const pid = (node: string, id: number, serial = 0): Pid => new Pid(atom(node), id, serial, 1);
let refs = 0;
const fakeWatcher = () => {
  const watched = new Map<string, Pid>();
  return {
    watched,
    watch: (p: Pid): Reference => {
      const r = new Reference(atom('a@h'), 1, [++refs, 0, 0]);
      watched.set(String(refs), p);
      return r;
    },
    unwatch: (r: Reference): void => void watched.delete(String(r.ids[0])),
  };
};
const GLOBAL = atom('global');

describe('Registry: names', () => {
  it('insertName replaces the holder, monitors the pid, and deleteName lets the monitor go', () => {
    const w = fakeWatcher();
    const r = new Registry(w);
    const e1 = r.insertName(atom('n'), pid('a@h', 1), atom('m'));
    r.insertName(tuple(atom('n'), 2), pid('b@h', 2), atom('m'));
    expect(r.lookup(tuple(atom('n'), 2))?.pid).toEqual(pid('b@h', 2)); // a tuple name found by value
    const e2 = r.insertName(atom('n'), pid('a@h', 3), atom('m'));
    expect(r.lookup(atom('n'))?.pid).toEqual(pid('a@h', 3));
    expect(w.watched.has(String(e1.ref.ids[0]))).toBe(false);
    expect(r.deleteName(atom('n'))).toBe(e2);
    expect(r.deleteName(atom('n'))).toBeUndefined();
    expect(w.watched.size).toBe(1);
  });

  it('a DOWN releases the name of that monitor only; dropNode releases what pids of a node held', () => {
    const r = new Registry(fakeWatcher());
    const e = r.insertName(atom('x'), pid('a@h', 1), atom('m'));
    r.insertName(atom('y'), pid('b@h', 1), atom('m'));
    r.insertName(atom('z'), pid('b@h', 2), atom('m'));
    expect(r.down(e.ref).map((n) => n.name)).toEqual([atom('x')]);
    expect(r.down(e.ref)).toEqual([]);
    expect(r.dropNode(atom('b@h')).map((n) => n.name)).toEqual([atom('y'), atom('z')]);
    expect(r.names()).toEqual([]);
  });
});

describe('Registry: locks', () => {
  it('one requester may hold a resource from several pids; another requester is refused until all let go', () => {
    const r = new Registry(fakeWatcher());
    const id = tuple(atom('res'), atom('req1'));
    expect(r.setLock(id, pid('a@h', 1))).toBe(true);
    expect(r.setLock(id, pid('a@h', 1))).toBe(true); // again: no second holder
    expect(r.setLock(id, pid('b@h', 1))).toBe(true);
    expect(r.lock(atom('res'))?.holders.length).toBe(2);
    expect(r.setLock(tuple(atom('res'), atom('req2')), pid('c@h', 1))).toBe(false);
    expect(r.canSetLock(tuple(atom('res'), atom('req2')))).toBe(false);
    r.delLock(id, pid('a@h', 1));
    r.delLock(tuple(atom('res'), atom('req2')), pid('b@h', 1)); // not its requester: no change
    expect(r.setLock(tuple(atom('res'), atom('req2')), pid('c@h', 1))).toBe(false);
    r.delLock(id, pid('b@h', 1));
    expect(r.setLock(tuple(atom('res'), atom('req2')), pid('c@h', 1))).toBe(true);
  });

  it('a lock id that is not {ResourceId, LockRequesterId} is refused, never thrown on', () => {
    const r = new Registry(fakeWatcher());
    expect(r.setLock(atom('bad'), pid('a@h', 1))).toBe(false);
    expect(r.setLock(tuple(1, 2, 3), pid('a@h', 1))).toBe(false);
    r.delLock(atom('bad'), pid('a@h', 1));
  });

  it('lockStillSet: a registrar must hold the global lock; a connect must come under the lock id that holds it', () => {
    const r = new Registry(fakeWatcher());
    expect(r.lockStillSet({ pid: pid('a@h', 1) })).toBe(true); // no lock and none lost
    const lockers = [pid('a@h', 7), pid('b@h', 7)];
    const lockId = tuple(GLOBAL, lockers);
    expect(r.setLock(lockId, pid('a@h', 7))).toBe(true);
    expect(r.lockStillSet({ lockId })).toBe(true);
    expect(r.lockStillSet({ lockId: tuple(GLOBAL, [pid('c@h', 1)]) })).toBe(false);
    expect(r.lockStillSet({ pid: pid('a@h', 7) })).toBe(true);
    expect(r.lockStillSet({ pid: pid('a@h', 8) })).toBe(false);
    // The holder goes (a DOWN, not a del_lock): until the next global lock, nothing inserted keeps.
    r.down(r.lock(GLOBAL)!.holders[0]!.ref);
    expect(r.isGlobalLockSet()).toBe(false);
    expect(r.lockStillSet({ pid: pid('a@h', 1) })).toBe(false);
    r.setLock(tuple(GLOBAL, atom('x')), pid('a@h', 1));
    r.delLock(tuple(GLOBAL, atom('x')), pid('a@h', 1));
    expect(r.lockStillSet({ pid: pid('a@h', 1) })).toBe(true);
  });
});

describe('name clashes', () => {
  const side = (node: string, log: string[] = []) => {
    const exits: [Pid, Term][] = [];
    const sends: [Pid, Term][] = [];
    const rpcs: [string, Term[]][] = [];
    const s: ResolveSide = {
      node: atom(node),
      exit: (p, why) => void exits.push([p, why]),
      send: (p, m) => void sends.push([p, m]),
      rpc: async (n, args) => (rpcs.push([n.name, args]), args[3]!),
      info: (l) => void log.push(l),
    };
    return { s, exits, sends, rpcs, log };
  };

  it('exchangeNames: a new name is inserted, the same pid is nothing, a clash is for the smaller node to resolve', async () => {
    const r = new Registry(fakeWatcher());
    r.insertName(atom('same'), pid('a@h', 1), atom('m'));
    r.insertName(atom('clash'), pid('a@h', 2), resolveFun('random_exit_name'));
    const theirs = [tuple(atom('new'), pid('z@h', 1), atom('m')), tuple(atom('same'), pid('a@h', 1), atom('m')), tuple(atom('clash'), pid('z@h', 2), atom('m')), atom('junk')];
    const big = side('zz@h');
    expect(await exchangeNames(big.s, r, atom('a@h'), theirs)).toEqual({ ops: [tuple(atom('insert'), tuple(atom('new'), pid('z@h', 1), atom('m')))], resolved: [] });
    expect(big.log.some((l) => l.includes('malformed'))).toBe(true);
    // We are a@h, smaller than z@h: our method (random_exit_name) keeps a@h's pid and kills z@h's.
    const small = side('a@h');
    const out = await exchangeNames(small.s, r, atom('z@h'), theirs);
    expect(out.resolved).toEqual([tuple(atom('insert'), tuple(atom('clash'), pid('a@h', 2), resolveFun('random_exit_name')))]);
    expect(small.exits).toEqual([[pid('z@h', 2), atom('kill')]]);
  });

  it('a clash over a pid of another node asks that node (rpc global:resolve_it/4); a failed rpc gives the name to the peer', async () => {
    const r = new Registry(fakeWatcher());
    r.insertName(atom('n'), pid('b@h', 1), atom('m'));
    const s = side('a@h');
    expect((await exchangeNames(s.s, r, atom('z@h'), [tuple(atom('n'), pid('z@h', 1), atom('m'))])).resolved).toEqual([tuple(atom('insert'), tuple(atom('n'), pid('b@h', 1), atom('m')))]);
    expect(s.rpcs).toEqual([['b@h', [atom('m'), atom('n'), pid('z@h', 1), pid('b@h', 1)]]]);
    s.s.rpc = () => Promise.reject(new Error('noconnection'));
    expect(await exchangeNames(s.s, r, atom('z@h'), [tuple(atom('n'), pid('z@h', 1), atom('m'))])).toEqual({ ops: [tuple(atom('insert'), tuple(atom('n'), pid('z@h', 1), atom('m')))], resolved: [] });
  });

  it('resolveIt runs OTP resolve functions natively: exit the higher node pid, notify it, notify both', async () => {
    const lo = pid('a@h', 1);
    const hi = pid('b@h', 1);
    const s = side('a@h');
    expect(await resolveIt(s.s, resolveFun('random_exit_name'), atom('n'), hi, lo)).toEqual(lo);
    expect(s.exits).toEqual([[hi, atom('kill')]]);
    expect(await resolveIt(s.s, resolveFun('random_notify_name'), atom('n'), lo, hi)).toEqual(lo);
    expect(s.sends).toEqual([[hi, tuple(atom('global_name_conflict'), atom('n'))]]);
    expect(await resolveIt(s.s, resolveFun('notify_all_name'), atom('n'), lo, hi)).toBe(atom('none'));
    expect(s.sends.slice(1)).toEqual([
      [lo, tuple(atom('global_name_conflict'), atom('n'), hi)],
      [hi, tuple(atom('global_name_conflict'), atom('n'), lo)],
    ]);
    // Any other fun is Erlang code: it runs elsewhere; with nowhere to run it, it fails as catch would.
    expect(await resolveIt(s.s, new ExportFun(atom('my'), atom('resolve'), 3), atom('n'), lo, hi)).toEqual(hi);
    expect(s.rpcs[0]![0]).toBe('b@h');
    expect(await resolveIt(s.s, atom('nofun'), atom('n'), lo, pid('a@h', 2))).toEqual(tuple(atom('EXIT'), atom('badfun')));
  });
});

describe('the locker', () => {
  it('sorts pids as lists:sort does on OTP 25, 27 and 29 (serial, number, node, creation), as both lockers must', () => {
    const mk = (n: string, id: number, serial: number, cr = 1): Pid => new Pid(atom(n), id, serial, cr);
    const input = [mk('ts@vm', 5, 0), mk('app@vm', 56, 0), mk('ts@vm', 100, 0), mk('app@vm', 3, 0), mk('ts@vm', 3, 1), mk('app@vm', 3, 1), mk('zz@vm', 1, 0), mk('ts@vm', 5, 0, 7), mk('zz@vm', 5, 0, 2)];
    // What erl printed for lists:sort(binary_to_term(term_to_binary of `input`)).
    const erlang = [mk('zz@vm', 1, 0), mk('app@vm', 3, 0), mk('ts@vm', 5, 0), mk('ts@vm', 5, 0, 7), mk('zz@vm', 5, 0, 2), mk('app@vm', 56, 0), mk('ts@vm', 100, 0), mk('app@vm', 3, 1), mk('ts@vm', 3, 1)];
    expect([...input].sort(comparePids)).toEqual(erlang);
    expect(lockerLockId(pid('a@h', 9), pid('b@h', 2))).toEqual(tuple(GLOBAL, [pid('b@h', 2), pid('a@h', 9)]));
    expect(theBoss([atom('b@h'), atom('c@h'), atom('a@h')])).toBe(atom('c@h'));
    for (const t of [0, 3, 6, 12]) {
      const ms = randomSleep(t);
      expect(ms).toBeGreaterThanOrEqual(1);
      expect(ms).toBeLessThanOrEqual(t > 5 ? 8000 : (2 ** t * 1000) / 8);
    }
  });
});

describe('known nodes', () => {
  it('addToKnown adds what is new (names or {Node, Vsn}), never us; nodeVsn gives the version as known', () => {
    const known = new Map([[atom('b@h'), 8]]);
    expect(addToKnown(known, atom('a@h'), [atom('a@h'), tuple(atom('b@h'), 7), tuple(atom('c@h'), 8), atom('d@h'), 42, tuple(1, 2)])).toEqual([atom('c@h'), atom('d@h')]);
    expect([...known]).toEqual([[atom('b@h'), 8], [atom('c@h'), 8], [atom('d@h'), 0]]);
    const pending = new Map([[atom('p@h'), 7]]);
    expect(nodeVsn(atom('a@h'), atom('a@h'), known, pending)).toEqual(tuple(atom('a@h'), 8));
    expect(nodeVsn(tuple(atom('p@h'), 0), atom('a@h'), known, pending)).toEqual(tuple(atom('p@h'), 7));
    expect(nodeVsn(tuple(atom('x@h'), 6), atom('a@h'), known, pending)).toEqual(tuple(atom('x@h'), 6));
    expect(nodeVsn(atom('y@h'), atom('a@h'), known, pending)).toEqual(tuple(atom('y@h'), 0));
    expect(nodeVsn(17, atom('a@h'), known, pending)).toBeUndefined();
  });
});

describe('a name server fed hostile terms', () => {
  it('drops what it does not understand and keeps answering', async () => {
    const table = new ProcessTable({ name: atom('s@h'), creation: 1 }, { logger: silentLogger });
    const lines: string[] = [];
    const server = new NameServer({
      table,
      nodes: () => [],
      visible: () => false,
      connect: () => Promise.reject(new Error('no')),
      disconnect: () => {},
      rpc: () => Promise.reject(new Error('no')),
      debug: (l) => void lines.push(l),
    });
    const proc = server.start();
    const gns = atom('global_name_server');
    for (const m of [
      atom('junk'),
      tuple(atom('$gen_cast'), tuple(atom('init_connect'), atom('bad'))),
      tuple(atom('$gen_cast'), tuple(atom('init_connect'), 7, atom('x@h'), atom('no_locker'))),
      tuple(atom('$gen_cast'), tuple(atom('exchange'), atom('x@h'), atom('notalist'), [], 1)),
      tuple(atom('$gen_cast'), tuple(atom('new_nodes'), atom('x@h'), [atom('garbage'), tuple(atom('insert'), 1)], [], [5, tuple(1, 2)], [])),
      tuple(atom('$gen_call'), atom('notafrom'), atom('get_known')),
      tuple(atom('$gen_call'), tuple(pid('x@h', 1), 1), tuple(atom('set_lock'))),
      tuple(atom('lock_set'), atom('notapid'), true, [], 1),
      tuple(atom('lost_connection'), atom('x@h'), 1, 2, atom('y@h')),
      tuple(atom('remove_connection'), atom('x@h')),
      tuple(atom('DOWN'), atom('notaref'), atom('process'), atom('x'), atom('normal')),
    ])
      table.send(gns, m);
    const answers: Term[] = [];
    await table.spawn(async (self) => {
      for (const req of [atom('get_protocol_version'), atom('get_known'), tuple(atom('set_lock'), tuple(atom('r'), atom('q'))), tuple(atom('del_lock'), tuple(atom('r'), atom('q')))]) {
        const ref = self.makeRef();
        self.send(gns, tuple(atom('$gen_call'), tuple(self.pid, ref), req));
        answers.push(await self.receive(on(P.tuple(P.ref(ref), P.bind('v')), ({ v }) => v), { timeout: 1000 }));
      }
    }).exited;
    expect(proc.alive).toBe(true);
    expect(answers).toEqual([8, [], true, true]);
    expect(lines.length).toBeGreaterThan(5);
    table.shutdown(atom('shutdown'));
  });
});

describe('beamwire nodes running global among themselves (MemoryCarrier)', () => {
  const nodes: Node[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });
  const start = async (name: string, net: MemoryCarrier): Promise<Node> => {
    const n = await Node.start({ name, cookie: 'g', transport: net, epmd: 'none', logger: 'silent' });
    nodes.push(n);
    return n;
  };
  const waiter = (n: Node): Pid => n.spawn(async (self) => void (await self.receive())).pid;
  const bounded = (p: Promise<void>): Promise<string> => Promise.race([p.then(() => 'ok'), new Promise<string>((r) => setTimeout(() => r('timeout'), 5000))]);

  it('sync returns, the third node is meshed, names reach every node, and go with their node', async () => {
    const net = new MemoryCarrier();
    const [a, b, c] = [await start('ga@mem', net), await start('gb@mem', net), await start('gc@mem', net)];
    await a.connect('gb@mem');
    expect(await bounded(a.global.sync())).toBe('ok');
    expect(await bounded(b.global.sync())).toBe('ok');
    expect(await a.global.register('from_a', waiter(a))).toBe(true);
    await c.connect('gb@mem');
    await until('gc meshed with ga', 3000, () => (c.nodes().includes('ga@mem') ? true : undefined));
    for (const n of [a, b, c]) expect(await bounded(n.global.sync())).toBe('ok');
    await until('from_a on gc', 3000, () => c.global.whereis('from_a'));
    expect(await c.global.register('from_c', waiter(c))).toBe(true);
    expect(a.global.whereis('from_c')).toEqual(c.global.whereis('from_c'));
    await c.stop();
    await until('from_c gone from ga', 3000, () => (a.global.whereis('from_c') === undefined ? true : undefined));
    // A node that stops reports no lost connections (prepare_shutdown): ga and gb keep theirs.
    await new Promise((r) => setTimeout(r, 200));
    expect(a.nodes()).toEqual(['gb@mem']);
    expect(b.global.registeredNames()).toEqual([atom('from_a')]);
  });

  it('two partitions with the same name join: the pid on the higher node is killed (random_exit_name)', async () => {
    const net = new MemoryCarrier();
    const [a, z] = [await start('ga@mem', net), await start('gz@mem', net)];
    const pa = a.spawn(async (self) => void (await self.receive()));
    const pz = z.spawn(async (self) => void (await self.receive()));
    expect(await a.global.register('dup', pa.pid)).toBe(true);
    expect(await z.global.register('dup', pz.pid)).toBe(true);
    await z.connect('ga@mem');
    expect(await bounded(z.global.sync())).toBe('ok');
    expect(await pz.exited).toBe(atom('killed'));
    await until('dup resolved on gz', 3000, () => (z.global.whereis('dup')?.node === atom('ga@mem') ? true : undefined));
    expect(a.global.whereis('dup')).toEqual(pa.pid);
  });

  it('a visible peer that runs no global_name_server is left out: sync does not wait for it', async () => {
    const net = new MemoryCarrier();
    const [a, b] = [await start('gn@mem', net), await start('gm@mem', net)];
    b.unregister('global_name_server'); // as a C or Java node: visible, without global
    await a.connect('gm@mem');
    expect(await bounded(a.global.sync())).toBe('ok');
    expect(await a.global.register('alone', waiter(a))).toBe(true);
  });

  it('a stopped node: register rejects with NodeStopped, sync resolves (no peers), whereis finds nothing', async () => {
    const a = await start('gs@mem', new MemoryCarrier());
    const p = waiter(a);
    await a.stop();
    await expect(a.global.register('late', p)).rejects.toMatchObject({ name: 'NodeStopped', code: 'NODE_STOPPED' });
    expect(await bounded(a.global.sync())).toBe('ok');
    expect(a.global.whereis('late')).toBeUndefined();
  });
});
