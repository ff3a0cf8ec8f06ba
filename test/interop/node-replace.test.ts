/**
 * Interop tier: an OTP 25 node that comes back under the same name while a
 * beamwire Node still has links and monitors to its old incarnation. As in
 * OTP (net_kernel and dist_util: a restarted node's connection replaces the
 * old one), those links and monitors fire `noconnection`, 'nodedown' comes
 * before the new 'nodeup', and the new node is reachable at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, EpmdClient, EpmdServer, equals, format, Pid, tuple, type Term } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import { evalIn, requireErl, startErl } from '../support/erl-node.js';
import { testPort } from '../support/net.js';

const epmdPort = testPort();
let node: Node;
let events: string[] = [];
/** The Node's debug lines. */
let debug: string[] = [];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `p`, or a failure naming what never happened. */
function within<T>(what: string, p: Promise<T>, ms = 5000): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`${what}: nothing after ${ms} ms`)))]);
}

/** A process on `target` that waits for `never`, linked and monitored from beamwire; resolves once Erlang shows both. */
async function watched(target: string): Promise<{ pid: Pid; linked: Promise<Term>; down: Promise<Term> }> {
  const pid = (await evalIn(node, target, `P = spawn(fun() -> receive never -> ok end end), register(watched, P), P.`)) as Pid;
  const linked = new Promise<Term>((r) => node.link(pid, r));
  const m = node.monitor(pid);
  await m.ref;
  const both = `{links, L} = process_info(whereis(watched), links), {monitored_by, M} = process_info(whereis(watched), monitored_by), {length(L), length(M)}.`;
  const deadline = Date.now() + 3000;
  for (let got = await evalIn(node, target, both); !equals(got, tuple(1, 1)); got = await evalIn(node, target, both)) {
    if (Date.now() > deadline) throw new Error(`the link and monitor to ${pid.toString()} did not reach ${target}: ${format(got)}`);
    await sleep(20);
  }
  return { pid, linked, down: m.down };
}

beforeAll(async () => {
  requireErl();
  node = await Node.start({ name: 'tsreplace', cookie: 'secret', epmd: { mode: 'embedded', port: epmdPort }, ticktime: 60, debug: (l) => debug.push(l) });
  node.on('nodeup', (n: string) => events.push(`nodeup ${n}`));
  node.on('nodedown', (n: string, why: string) => events.push(`nodedown ${n} ${why}`));
}, 60_000);

afterAll(async () => {
  await node?.stop();
});

describe("a node that restarts under the same name (dist_util 'alive', net_kernel replacing the connection)", () => {
  it("the restarted node reaches us while the old connection is still open: the 'alive' path; old links and monitors fire noconnection first", async () => {
    events = [];
    debug = [];
    const old = await startErl('phoenix', 'secret', epmdPort);
    // A second EPMD where the new incarnation registers and finds us, while the frozen one still holds its name in the first.
    const epmd2 = await EpmdServer.start({ port: 0, host: '0.0.0.0' });
    const [alive] = node.name.split('@');
    const ours = await new EpmdClient({ port: epmdPort }).portPlease(alive!);
    const registration = await new EpmdClient({ port: epmd2.port }).register({ name: alive!, port: ours!.port, hidden: false });
    let fresh: Awaited<ReturnType<typeof startErl>> | undefined;
    try {
      const w = await watched(old.name);
      // Frozen, not dead: its socket stays open, so nothing tells us it is gone (ticktime is 60 s).
      old.child.kill('SIGSTOP');
      await sleep(200);
      expect(node.nodes()).toContain(old.name);
      // The new incarnation dials us as it starts; our acceptor sees the name still up and answers 'alive'; it says "true".
      fresh = await startErl('phoenix', 'secret', epmd2.port, ['-eval', `pong = net_adm:ping('${node.name}')`]);
      expect(fresh.name).toBe(old.name);

      expect(await within('the link to the old incarnation', w.linked)).toBe(atom('noconnection'));
      expect(await within('the monitor of the old incarnation', w.down)).toBe(atom('noconnection'));
      expect(events).toEqual([`nodeup ${old.name}`, `nodedown ${old.name} replaced`, `nodeup ${old.name}`]);
      // The replacement, not a socket close, took the old connection down.
      expect(debug.filter((l) => l.includes('replaces'))).toEqual([`[${node.name}] a new connection from ${old.name} replaces the one still up`]);

      // The new incarnation is the one we talk to now: ping, send and eval go to it.
      expect(await node.ping(fresh.name)).toBe('pong');
      expect(await evalIn(node, fresh.name, `nodes().`)).toEqual([atom(node.name)]);
      // The old incarnation registered `watched`; the new one never did. (Creations may match: each EPMD counts from the clock.)
      expect(await evalIn(node, fresh.name, `whereis(watched).`)).toBe(atom('undefined'));
      const w2 = await watched(fresh.name);
      node.send(w2.pid, atom('never'));
      expect(await within('the link to the new incarnation', w2.linked)).toBe(atom('normal'));
      expect(events).toHaveLength(3);
    } finally {
      old.kill9();
      await old.stop();
      await fresh?.stop();
      await registration.close();
      await epmd2.close();
    }
  }, 60_000);

  it('kill -9 and an immediate restart: links and monitors fire noconnection; the new node answers ping and messages', async () => {
    events = [];
    const victim = await startErl('lazarus', 'secret', epmdPort);
    let reborn: Awaited<ReturnType<typeof startErl>> | undefined;
    try {
      const w = await watched(victim.name);
      victim.kill9();
      // Restarted at once with the same name; it dials us as it starts, whether or not we saw the old socket close yet.
      reborn = await startErl('lazarus', 'secret', epmdPort, ['-eval', `pong = net_adm:ping('${node.name}')`]);
      expect(await within('the link to the killed node', w.linked)).toBe(atom('noconnection'));
      expect(await within('the monitor of the killed node', w.down)).toBe(atom('noconnection'));
      expect(events[0]).toBe(`nodeup ${victim.name}`);
      expect(events[1]).toMatch(new RegExp(`^nodedown ${victim.name} (closed|replaced)$`));
      expect(events[2]).toBe(`nodeup ${victim.name}`);
      expect(await node.ping(reborn.name)).toBe('pong');
      const ctl = (await evalIn(node, reborn.name, `whereis(ctl).`)) as Pid;
      expect(ctl.creation).not.toBe(w.pid.creation);
      node.send(['ctl', reborn.name], tuple(atom('use'), atom('after_restart')));
      expect(await evalIn(node, reborn.name, `receive {use, X} -> X after 3000 -> no_use end.`)).toBe(atom('after_restart'));
      expect(node.nodes()).toEqual([reborn.name]);
    } finally {
      await victim.stop();
      await reborn?.stop();
    }
  }, 60_000);
});
