/**
 * Interop tier, pg (lib/kernel/src/pg.erl): beamwire scopes in a cluster of
 * three real erl nodes running kernel's default scope (`-kernel start_pg
 * true`). A visible beamwire node (its scope started after it connected:
 * pg's init discovery) and a hidden one (its scope started before it
 * connected: discovery on nodeup, from our side, since pg never discovers a
 * hidden node). Each case names the pg function it exercises.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, Pid, tuple, type Term } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import type { PgEvent } from '../../runtime/pg/index.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort, until } from '../support/net.js';

const epmdPort = testPort();
const COOKIE = 'pgsecret';
let ts: Node;
let hidden: Node;
let erls: ErlNode[] = [];
const debug: string[] = [];

const erl = (on: ErlNode, src: string): Promise<Term> => evalIn(ts, on.name, src);
const has = (list: Term, p: Pid): boolean => Array.isArray(list) && list.some((q) => q instanceof Pid && q.node === p.node && q.id === p.id && q.serial === p.serial);
/** pg:get_members(Group) on every Erlang node includes (or, with `present` false, no longer includes) `p`. */
async function seenEverywhere(group: string, p: Pid, present = true): Promise<void> {
  for (const e of erls) {
    await until(`${p.toString()} ${present ? 'in' : 'out of'} ${group} on ${e.name}`, 5000, async () => (has(await erl(e, `pg:get_members(${group}).`), p) === present ? true : undefined));
  }
}
/** On `e`, a process that stays until killed joins `group` (Erlang source); kept in ctl's dictionary under `key`. Resolves with its pid. */
const erlJoin = async (e: ErlNode, group: string, key = 'last'): Promise<Pid> =>
  (await erl(e, `P = spawn(fun() -> receive stop -> ok end end), ok = pg:join(${group}, P), put(${key}, P), P.`)) as Pid;

beforeAll(async () => {
  requireErl();
  ts = await Node.start({ name: 'pgts', cookie: COOKIE, epmd: { mode: 'embedded', port: epmdPort }, debug: (l) => debug.push(l) });
  erls = await Promise.all(['pga', 'pgb', 'pgc'].map((n) => startErl(n, COOKIE, epmdPort, ['-kernel', 'start_pg', 'true'])));
  for (const e of erls) await ts.connect(e.name);
  // The Erlang nodes form their own mesh too (global would do it; ping makes it explicit).
  for (const e of erls.slice(1)) expect(await erl(erls[0]!, `net_adm:ping('${e.name}').`)).toBe(atom('pong'));
  hidden = await Node.start({ name: 'pghidden', cookie: COOKIE, hidden: true, epmd: { mode: 'external', port: epmdPort } });
  hidden.pg();
  for (const e of erls) await hidden.connect(e.name);
}, 60_000);

afterAll(async () => {
  await hidden?.stop();
  await Promise.all(erls.map((e) => e.stop()));
  await ts?.stop();
});

describe('pg:join from beamwire', () => {
  it('pg:get_members on every Erlang node includes the beamwire pid; pg:get_local_members does not', async () => {
    const pg = ts.pg();
    const p = ts.spawn((self) => self.receive());
    pg.join(atom('workers'), p.pid);
    expect(pg.localMembers(atom('workers'))).toEqual([p.pid]);
    await seenEverywhere('workers', p.pid);
    for (const e of erls) expect(await erl(e, `pg:get_local_members(workers).`)).toEqual([]);
    expect(pg.leave(atom('workers'), p.pid)).toBe(true);
    expect(pg.leave(atom('workers'), p.pid)).toBe(false);
    await seenEverywhere('workers', p.pid, false);
  });

  it('a hidden beamwire node (discovered from its side) is a member everywhere too', async () => {
    const p = hidden.spawn((self) => self.receive());
    hidden.pg().join(atom('hid'), p.pid);
    await seenEverywhere('hid', p.pid);
  });

  it('a killed beamwire process leaves every group it joined, on every node', async () => {
    const pg = ts.pg();
    const p = ts.spawn((self) => self.receive());
    pg.join(atom('g1'), p.pid);
    pg.join(atom('g2'), [p.pid, p.pid]);
    await seenEverywhere('g1', p.pid);
    await seenEverywhere('g2', p.pid);
    ts.exit(p.pid, atom('kill'));
    await seenEverywhere('g1', p.pid, false);
    await seenEverywhere('g2', p.pid, false);
    expect(pg.members(atom('g2'))).toEqual([]);
  });

  it('pg:monitor_scope subscribers on the Erlang side see our joins and leaves', async () => {
    const e = erls[1]!;
    expect(await erl(e, `{R, _} = pg:monitor_scope(), put(pgmon, R), ok.`)).toBe(atom('ok'));
    expect(await erl(e, `{R, _} = pg:monitor(watched), put(pggroup, R), ok.`)).toBe(atom('ok'));
    const p = ts.spawn((self) => self.receive());
    ts.pg().join(atom('watched'), p.pid);
    const scopeSaw = await erl(e, `R = get(pgmon), receive {R, join, watched, Pids} -> Pids after 5000 -> timeout end.`);
    const groupSaw = await erl(e, `R = get(pggroup), receive {R, join, watched, Pids} -> Pids after 5000 -> timeout end.`);
    expect(scopeSaw).toEqual([p.pid]);
    expect(groupSaw).toEqual([p.pid]);
    ts.pg().leave(atom('watched'), p.pid);
    expect(await erl(e, `R = get(pgmon), receive {R, leave, watched, Pids} -> Pids after 5000 -> timeout end.`)).toEqual([p.pid]);
  });
});

describe('pg:join from Erlang', () => {
  it('joins from each Erlang node are seen by both beamwire nodes, and by pg.monitor', async () => {
    const mon = ts.pg().monitor(atom('erl_workers'));
    expect(mon.members).toEqual([]);
    const pids = await Promise.all(erls.map((e) => erlJoin(e, 'erl_workers')));
    for (const n of [ts, hidden]) await until(`3 Erlang members on ${n.name}`, 5000, () => (pids.every((p) => has(n.pg().members(atom('erl_workers')), p)) ? true : undefined));
    const events: PgEvent[] = [];
    for await (const ev of mon) if (events.push(ev) === 3) break;
    expect(events.map((e) => e.kind)).toEqual(['join', 'join', 'join']);
    expect(mon.closed).toBe(true);
    expect(ts.pg().localMembers(atom('erl_workers'))).toEqual([]);
  });

  it('groups of any term: {room, <<"1">>} from Erlang is the beamwire group tuple(room, "1")', async () => {
    const p = await erlJoin(erls[2]!, '{room, <<"1">>}');
    await until('the tuple group', 5000, () => (has(ts.pg().members(tuple(atom('room'), '1')), p) ? true : undefined));
    expect(ts.pg().groups().length).toBeGreaterThan(0);
  });

  it('an Erlang member that ends, and a stopped Erlang node, leave the beamwire view', async () => {
    const [a, , c] = erls as [ErlNode, ErlNode, ErlNode];
    const mon = ts.pg().monitor(atom('short_lived'));
    const pa = await erlJoin(a, 'short_lived');
    const pc = await erlJoin(c, 'short_lived');
    await until('both members', 5000, () => (ts.pg().members(atom('short_lived')).length === 2 ? true : undefined));
    await erl(a, `exit(get(last), kill).`);
    await until('the killed member gone', 5000, () => (!has(ts.pg().members(atom('short_lived')), pa) ? true : undefined));
    await c.stop();
    erls = erls.filter((e) => e !== c);
    await until('the stopped node gone', 5000, () => (ts.pg().members(atom('short_lived')).length === 0 ? true : undefined));
    const leaves: Pid[][] = [];
    for await (const ev of mon) if (ev.kind === 'leave' && leaves.push(ev.pids) === 2) break;
    expect(leaves).toEqual([[pa], [pc]]);
  });
});

describe('a stopped beamwire node', () => {
  it('leaves every group on every Erlang node', async () => {
    const p = hidden.spawn((self) => self.receive());
    hidden.pg().join(atom('until_stop'), p.pid);
    hidden.pg().join(atom('until_stop2'), p.pid);
    await seenEverywhere('until_stop', p.pid);
    await hidden.stop();
    await seenEverywhere('until_stop', p.pid, false);
    await seenEverywhere('until_stop2', p.pid, false);
    expect(() => hidden.pg()).toThrow(/stopped/);
  });
});

describe('hostile pg messages', () => {
  it('are dropped with a debug line; the scope keeps working', async () => {
    const e = erls[0]!;
    const to = `{pg, '${ts.name}'}`;
    await erl(
      e,
      `${to} ! garbage, ${to} ! {join, self(), g, not_a_pid}, ${to} ! {leave, self()}, ` +
        `${to} ! {'$gen_cast', {sync, self(), [bad]}}, ` +
        `${to} ! {discover, 42}, ${to} ! {join, list_to_pid("<0.1.0>"), g, [self()]}, ok.`,
    );
    await until('the drops', 5000, () => (debug.filter((l) => l.includes('pg scope pg: dropped')).length >= 5 ? true : undefined));
    expect(ts.pg().alive).toBe(true);
    const p = ts.spawn((self) => self.receive());
    ts.pg().join(atom('after_garbage'), p.pid);
    await seenEverywhere('after_garbage', p.pid);
  });
});
