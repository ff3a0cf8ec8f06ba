// The seam to the distribution layer, driven by a fake remote that records what the table asks of it.
import { describe, expect, it } from 'vitest';
import { atom, equals, format, tuple, Pid, Reference, type Term } from '../../runtime/index.js';
import { ProcessTable, ProcessError, P, _, on, type ProcessContext, type RemoteSignals } from '../../runtime/process/index.js';

const other = atom('erl@box');
const remotePid = (id: number) => new Pid(other, id, 0, 99);
const tick = () => new Promise((r) => setTimeout(r, 0));
const idle = async (self: ProcessContext): Promise<Term> => self.receive(on(atom('never'), () => 0));

/** Records every outbound call as `verb arg arg …`, terms formatted as Erlang prints them. */
function fakeRemote(): { remote: RemoteSignals; calls: string[] } {
  const calls: string[] = [];
  const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : format(v as Term));
  const rec =
    (verb: string) =>
    (...args: unknown[]) =>
      void calls.push([verb, ...args.map(show)].join(' '));
  const remote: RemoteSignals = {
    send: rec('send'),
    regSend: rec('regSend'),
    aliasSend: rec('aliasSend'),
    link: rec('link'),
    unlink: rec('unlink'),
    unlinkAck: rec('unlinkAck'),
    exit: rec('exit'),
    exit2: rec('exit2'),
    monitor: rec('monitor'),
    demonitor: rec('demonitor'),
    down: rec('down'),
    spawnRequest: rec('spawnRequest'),
    spawnReply: rec('spawnReply'),
  };
  return { remote, calls };
}

function setup() {
  const t = new ProcessTable({ name: atom('ts@host'), creation: 7 });
  const { remote, calls } = fakeRemote();
  const inbound = t.attachRemote(remote);
  return { t, calls, inbound };
}

describe('outbound signals to other nodes', () => {
  it('send, {Name, Node} and alias sends go to the remote layer; without one they throw NO_REMOTE', async () => {
    const bare = new ProcessTable({ name: atom('ts@host'), creation: 7 });
    expect(() => bare.send(remotePid(5), 1)).toThrowError(ProcessError);
    expect(() => bare.send(remotePid(5), 1)).toThrow(/send: <erl@box\.5\.0> is on node erl@box and no remote layer is attached/);
    const { t, calls } = setup();
    const p = t.spawn(async (self) => {
      self.send(remotePid(5), tuple(atom('hi'), 1));
      self.send(tuple(atom('rex'), other), 'call');
      self.send(new Reference(other, 99, [1, 2, 3]), 'reply');
      self.exit(remotePid(6), atom('shutdown'));
    });
    await p.exited;
    const me = p.pid.toString();
    expect(calls).toEqual([
      `send ${me} <erl@box.5.0> {hi,1}`,
      `regSend ${me} rex erl@box <<"call">>`,
      `aliasSend ${me} #Ref<erl@box.3.2.1> <<"reply">>`,
      `exit2 ${me} <erl@box.6.0> shutdown`,
    ]);
  });

  it('links: LINK once; EXIT to the peer when the local process dies; UNLINK_ID makes the link inactive until its ack', async () => {
    const { t, calls, inbound } = setup();
    let unlinked = false;
    const a = t.spawn(async (self) => {
      self.link(remotePid(1));
      self.link(remotePid(1)); // already active: nothing sent
      self.link(remotePid(2));
      self.unlink(remotePid(2));
      unlinked = true;
      await idle(self);
    });
    await tick();
    expect(unlinked).toBe(true);
    const me = a.pid.toString();
    expect(calls).toEqual([`link ${me} <erl@box.1.0>`, `link ${me} <erl@box.2.0>`, `unlink ${me} <erl@box.2.0> 1n`]);
    // An EXIT over the inactive link is ignored (the peer had not yet seen the unlink).
    inbound.deliverExit(remotePid(2), a.pid, atom('late'));
    await tick();
    expect(a.alive).toBe(true);
    inbound.deliverUnlinkAck(1n, remotePid(2), a.pid);
    calls.length = 0;
    t.exit(a.pid, atom('stopping'));
    await a.exited;
    expect(calls).toEqual([`exit ${me} <erl@box.1.0> stopping`]);
  });

  it('an inbound EXIT over an active link ends a non-trapping process, and is a message to a trapping one', async () => {
    const { t, inbound } = setup();
    const plain = t.spawn(idle);
    let msg: Term | undefined;
    const trapping = t.spawn(async (self) => {
      self.trapExit(true);
      msg = await self.receive();
    });
    await tick();
    inbound.deliverLink(remotePid(3), plain.pid);
    inbound.deliverLink(remotePid(3), trapping.pid);
    inbound.deliverExit(remotePid(3), plain.pid, atom('remote_crash'));
    inbound.deliverExit(remotePid(3), trapping.pid, atom('remote_crash'));
    expect(await plain.exited).toBe(atom('remote_crash'));
    await trapping.exited;
    expect(equals(msg!, tuple(atom('EXIT'), remotePid(3), atom('remote_crash')))).toBe(true);
  });

  it('inbound LINK to a dead pid answers noproc; inbound UNLINK_ID removes the link and acks at once', async () => {
    const { t, calls, inbound } = setup();
    const gone = t.spawn(() => {});
    await gone.exited;
    inbound.deliverLink(remotePid(4), gone.pid);
    const p = t.spawn(idle);
    inbound.deliverLink(remotePid(4), p.pid);
    inbound.deliverUnlink(7n, remotePid(4), p.pid);
    expect(calls).toEqual([`exit ${gone.pid.toString()} <erl@box.4.0> noproc`, `unlinkAck ${p.pid.toString()} <erl@box.4.0> 7n`]);
    inbound.deliverExit(remotePid(4), p.pid, atom('after_unlink'));
    await tick();
    expect(p.alive).toBe(true);
    inbound.deliverExit2(remotePid(4), p.pid, atom('kill'));
    expect(await p.exited).toBe(atom('killed'));
  });
});

describe('a remote layer that throws', () => {
  it('the error reaches the caller, and the exit still completes for everyone else', async () => {
    const { t } = setup();
    const broken = { ...fakeRemote().remote, exit: () => {
      throw new Error('wire down');
    } };
    t.attachRemote(broken);
    const p = t.spawn(async (self) => {
      self.link(remotePid(1));
      await idle(self);
    });
    let down: Term | undefined;
    const watcher = t.spawn(async (self) => {
      self.monitor(p.pid);
      down = await self.receive();
    });
    await tick();
    expect(() => t.exit(p.pid, atom('bye'))).toThrow('wire down');
    expect(await p.exited).toBe(atom('bye'));
    await watcher.exited;
    expect(format(down!)).toMatch(/,bye\}$/);
  });
});

describe('monitors across the seam', () => {
  it('a remote monitor: MONITOR_P out, DOWN in; by name the DOWN names {Name, Node}; a dying watcher demonitors', async () => {
    const { t, calls, inbound } = setup();
    const refs: Reference[] = [];
    const got: string[] = [];
    const w = t.spawn(async (self) => {
      refs.push(self.monitor(remotePid(8)), self.monitor(tuple(atom('db'), other)), self.monitor(remotePid(9)));
      for (let i = 0; i < 2; i++) got.push(format(await self.receive(on(P.tuple(atom('DOWN'), _, _, P.bind('who'), P.bind('why')), ({ who, why }) => tuple(who, why)))));
      await idle(self);
    });
    await tick();
    inbound.deliverDown(refs[0]!, remotePid(8), w.pid, atom('gone'));
    inbound.deliverDown(refs[1]!, atom('db'), w.pid, atom('noproc'));
    await tick();
    expect(got).toEqual(['{<erl@box.8.0>,gone}', '{{db,erl@box},noproc}']);
    t.exit(w.pid, atom('kill'));
    await w.exited;
    const me = w.pid.toString();
    expect(calls).toEqual([
      `monitor ${me} <erl@box.8.0> erl@box ${refs[0]!.toString()}`,
      `monitor ${me} db erl@box ${refs[1]!.toString()}`,
      `monitor ${me} <erl@box.9.0> erl@box ${refs[2]!.toString()}`,
      `demonitor ${me} <erl@box.9.0> erl@box ${refs[2]!.toString()}`,
    ]);
  });

  it('an inbound monitor: DOWN to the remote watcher when the process ends; noproc at once for a missing name', async () => {
    const { t, calls, inbound } = setup();
    const p = t.spawn(idle);
    t.register(atom('svc'), p.pid);
    const r1 = new Reference(other, 99, [1, 0, 0]);
    const r2 = new Reference(other, 99, [2, 0, 0]);
    const r3 = new Reference(other, 99, [3, 0, 0]);
    inbound.deliverMonitor(remotePid(1), atom('missing'), r1);
    inbound.deliverMonitor(remotePid(1), atom('svc'), r2);
    inbound.deliverMonitor(remotePid(1), p.pid, r3);
    inbound.deliverDemonitor(remotePid(1), p.pid, r3);
    t.exit(p.pid, atom('bye'));
    await p.exited;
    expect(calls).toEqual([`down missing <erl@box.1.0> ${r1.toString()} noproc`, `down svc <erl@box.1.0> ${r2.toString()} bye`]);
  });
});

describe('inbound sends and node down', () => {
  it('delivers to a pid, a name or an alias; anything else is dropped and reported false', async () => {
    const { t, inbound } = setup();
    const got: Term[] = [];
    let alias: Reference | undefined;
    const p = t.spawn(async (self) => {
      self.register(atom('inbox'));
      alias = self.alias();
      for (let i = 0; i < 3; i++) got.push(await self.receive());
    });
    await tick();
    expect(inbound.deliverSend(p.pid, 1)).toBe(true);
    expect(inbound.deliverSend(atom('inbox'), 2)).toBe(true);
    expect(inbound.deliverSend(alias!, 3)).toBe(true);
    expect(inbound.deliverSend(atom('nobody'), 4)).toBe(false);
    await p.exited;
    expect(got).toEqual([1, 2, 3]);
    expect(inbound.deliverSend(p.pid, 5)).toBe(false);
  });

  it('nodeDown: links fire with noconnection, monitors go DOWN with noconnection, other nodes untouched', async () => {
    const { t, inbound } = setup();
    const third = new Pid(atom('x@y'), 1, 0, 1);
    const linked = t.spawn(async (self) => {
      self.link(remotePid(1));
      self.link(third);
      await idle(self);
    });
    const got: string[] = [];
    const watcher = t.spawn(async (self) => {
      self.trapExit(true);
      self.link(remotePid(2));
      self.monitor(remotePid(3));
      for (let i = 0; i < 2; i++) got.push(format(await self.receive()));
    });
    const unrelated = t.spawn(async (self) => {
      self.link(third);
      await idle(self);
    });
    await tick();
    inbound.nodeDown(other);
    expect(await linked.exited).toBe(atom('noconnection'));
    await watcher.exited;
    expect(got[0]).toBe(`{'EXIT',<erl@box.2.0>,noconnection}`);
    expect(got[1]).toMatch(/^\{'DOWN',#Ref<ts@host\.[\d.]+>,process,<erl@box\.3\.0>,noconnection\}$/);
    expect(unrelated.alive).toBe(true);
    t.exit(unrelated.pid, atom('kill'));
  });
});
