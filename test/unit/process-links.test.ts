// Links, exits, monitors, the registry and aliases between local processes, with Erlang's semantics.
import { describe, expect, it } from 'vitest';
import { atom, equals, format, tuple, Pid, type Term } from '../../runtime/index.js';
import { ProcessTable, ProcessError, P, _, on, silentLogger, type ProcessContext } from '../../runtime/process/index.js';

const node = () => new ProcessTable({ name: atom('ts@host'), creation: 7 });
/** For tests whose processes crash on purpose: no crash reports on stderr (test/unit/process-logger.test.ts covers them). */
const quiet = () => new ProcessTable({ name: atom('ts@host'), creation: 7 }, { logger: silentLogger });
const tick = () => new Promise((r) => setTimeout(r, 0));
/** A process that waits until told to stop (`stop`) and then ends with the reason sent. */
const idle = async (self: ProcessContext): Promise<Term> => self.receive(on(P.tuple(atom('stop'), P.bind('why')), ({ why }) => self.exit(why)));
const EXIT = atom('EXIT');

describe('links', () => {
  it('a normal exit is not propagated; an abnormal one is', async () => {
    const t = node();
    const a = t.spawn(idle);
    const b = t.spawn(async (self) => {
      self.link(a.pid);
      await idle(self);
    });
    await tick();
    t.send(a.pid, tuple(atom('stop'), atom('normal')));
    await a.exited;
    await tick();
    expect(b.alive).toBe(true);
    const c = t.spawn(idle);
    const d = t.spawn(async (self) => {
      self.link(c.pid);
      await idle(self);
    });
    await tick();
    t.send(c.pid, tuple(atom('stop'), atom('crash')));
    expect(await d.exited).toBe(atom('crash'));
    t.exit(b.pid, atom('kill'));
  });

  it('trapExit turns exit signals into {EXIT, From, Reason} messages, normal ones included', async () => {
    const t = node();
    const got: string[] = [];
    const a = t.spawn(idle);
    const b = t.spawn(idle);
    const trapper = t.spawn(async (self) => {
      expect(self.trapExit(true)).toBe(false);
      self.link(a.pid);
      self.link(b.pid);
      for (let i = 0; i < 2; i++) got.push(format(await self.receive(on(P.tuple(EXIT, _, _), (_b, m) => m))));
    });
    await tick();
    t.send(a.pid, tuple(atom('stop'), atom('normal')));
    t.send(b.pid, tuple(atom('stop'), atom('bad')));
    await trapper.exited;
    expect(got).toEqual([`{'EXIT',${a.pid.toString()},normal}`, `{'EXIT',${b.pid.toString()},bad}`]);
  });

  it('exit(pid, kill) cannot be trapped; links see killed, which a trapper gets as a message', async () => {
    const t = node();
    let msg: Term | undefined;
    const victim = t.spawn(async (self) => {
      self.trapExit(true);
      await idle(self);
    });
    const watcher = t.spawn(async (self) => {
      self.trapExit(true);
      self.link(victim.pid);
      msg = await self.receive();
    });
    await tick();
    t.exit(victim.pid, atom('kill'));
    expect(await victim.exited).toBe(atom('killed'));
    await watcher.exited;
    expect(equals(msg!, tuple(EXIT, victim.pid, atom('killed')))).toBe(true);
  });

  it('exit(pid, normal) is ignored by a non-trapping process, except exit(self(), normal)', async () => {
    const t = node();
    const p = t.spawn(idle);
    await tick();
    t.exit(p.pid, atom('normal'));
    await tick();
    expect(p.alive).toBe(true);
    const q = t.spawn(async (self) => {
      self.exit(self.pid, atom('normal'));
    });
    expect(await q.exited).toBe(atom('normal'));
    t.exit(p.pid, atom('shutdown'));
    expect(await p.exited).toBe(atom('shutdown'));
  });

  it('exit(self, kill) ends the caller at once; a signal from outside names the table pid as sender', async () => {
    const t = node();
    let after = false;
    const p = t.spawn(async (self) => {
      self.exit(self.pid, atom('kill'));
      after = true;
    });
    expect(await p.exited).toBe(atom('killed'));
    expect(after).toBe(false);
    let msg: Term | undefined;
    const q = t.spawn(async (self) => {
      self.trapExit(true);
      msg = await self.receive();
    });
    await tick();
    t.exit(q.pid, atom('shutdown'));
    await q.exited;
    expect(equals(msg!, tuple(EXIT, t.pid, atom('shutdown')))).toBe(true);
    expect(t.pid.id).toBe(0);
  });

  it('unlink removes the link both ways', async () => {
    const t = node();
    const a = t.spawn(idle);
    const b = t.spawn(async (self) => {
      self.link(a.pid);
      self.unlink(a.pid);
      await idle(self);
    });
    await tick();
    t.exit(a.pid, atom('boom'));
    await a.exited;
    await tick();
    expect(b.alive).toBe(true);
    t.exit(b.pid, atom('kill'));
  });

  it('linking to a missing process: noproc (an exit of the caller, or a message when trapping)', async () => {
    const t = node();
    const gone = t.spawn(() => {});
    await gone.exited;
    const dies = t.spawn(async (self) => self.link(gone.pid));
    expect(await dies.exited).toBe(atom('noproc'));
    let msg: Term | undefined;
    await t.spawn(async (self) => {
      self.trapExit(true);
      self.link(gone.pid);
      msg = await self.receive();
    }).exited;
    expect(equals(msg!, tuple(EXIT, gone.pid, atom('noproc')))).toBe(true);
  });

  it('spawnLink: a crashing child takes the parent down with {error, Text}', async () => {
    const t = quiet();
    let child: Pid | undefined;
    const parent = t.spawn(async (self) => {
      child = self.spawnLink(async () => {
        throw new Error('child failed');
      }).pid;
      await self.receive();
    });
    const reason = await parent.exited;
    expect(format(reason)).toBe('{error,<<"Error: child failed">>}');
    expect(child).toBeDefined();
  });

  it('a long chain of linked processes dies without deepening the stack', async () => {
    const t = node();
    let prev = t.spawn(idle);
    const first = prev;
    for (let i = 0; i < 20_000; i++) prev = t.spawnLink(prev.pid, idle);
    await tick();
    t.exit(first.pid, atom('cascade'));
    expect(await prev.exited).toBe(atom('cascade'));
    expect(t.size).toBe(0);
  });
});

describe('monitors', () => {
  it('DOWN with the reason when the target ends; demonitor stops it; flush drops a queued DOWN', async () => {
    const t = node();
    const a = t.spawn(idle);
    const b = t.spawn(idle);
    const c = t.spawn(idle);
    const out: Term[] = [];
    const w = t.spawn(async (self) => {
      const ra = self.monitor(a.pid);
      const rb = self.monitor(b.pid);
      const rc = self.monitor(c.pid);
      expect(self.demonitor(rb)).toBe(true);
      self.send(a.pid, tuple(atom('stop'), atom('why')));
      self.send(c.pid, tuple(atom('stop'), atom('normal')));
      out.push(await self.receive(on(P.tuple(atom('DOWN'), P.ref(ra), atom('process'), _, P.bind('r')), ({ r }) => r)));
      await c.exited;
      expect(self.demonitor(rc, { flush: true })).toBe(false);
      out.push(self.pending);
    });
    await w.exited;
    expect(out).toEqual([atom('why'), 0]);
    t.exit(b.pid, atom('kill'));
  });

  it('noproc at once for a dead pid or an unregistered name; by name the DOWN names {Name, Node}', async () => {
    const t = node();
    const gone = t.spawn(() => {});
    await gone.exited;
    const named = t.spawn(idle);
    t.register(atom('svc'), named.pid);
    const got: string[] = [];
    await t.spawn(async (self) => {
      self.monitor(gone.pid);
      self.monitor(atom('nobody'));
      self.monitor(atom('svc'));
      got.push(format(await self.receive(on(P.tuple(_, _, _, _, P.bind('r')), (_b, m) => m.at(3)))));
      got.push(format(await self.receive(on(P.tuple(_, _, _, _, P.bind('r')), (_b, m) => tuple(m.at(3), m.at(4))))));
      self.send(atom('svc'), tuple(atom('stop'), atom('done')));
      got.push(format(await self.receive(on(P.tuple(atom('DOWN'), _, _, P.bind('who'), P.bind('r')), ({ who, r }) => tuple(who, r)))));
    }).exited;
    expect(got).toEqual([gone.pid.toString(), '{{nobody,ts@host},noproc}', '{{svc,ts@host},done}']);
  });

  it('spawnMonitor reports how the child ended', async () => {
    const t = quiet();
    let reason: Term | undefined;
    await t.spawn(async (self) => {
      const [, ref] = self.spawnMonitor(async () => {
        throw new RangeError('r');
      });
      reason = await self.receive(on(P.tuple(atom('DOWN'), P.ref(ref), _, _, P.bind('why')), ({ why }) => why));
    }).exited;
    expect(format(reason!)).toBe('{error,<<"RangeError: r">>}');
  });
});

describe('registry', () => {
  it('register, whereis, send by name; names are released on exit', async () => {
    const t = node();
    const p = t.spawn(idle);
    t.register(atom('worker'), p.pid);
    expect(t.whereis(atom('worker'))).toBe(p.pid);
    t.send(atom('worker'), tuple(atom('stop'), atom('normal')));
    await p.exited;
    expect(t.whereis(atom('worker'))).toBeUndefined();
    expect(t.registered()).toEqual([]);
  });

  it('badarg for a taken name, a second name, a dead pid, an unknown name', async () => {
    const t = node();
    const p = t.spawn(idle);
    const q = t.spawn(idle);
    t.register(atom('a'), p.pid);
    const codeOf = (f: () => void): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof ProcessError ? `${e.code} ${e.message}` : String(e);
      }
      return undefined;
    };
    expect(codeOf(() => t.register(atom('a'), q.pid))).toMatch(/^BADARG register: a is already registered to <ts@host\.\d+\.0>/);
    expect(codeOf(() => t.register(atom('b'), p.pid))).toMatch(/already registered as a/);
    expect(codeOf(() => t.register(atom('undefined'), q.pid))).toMatch(/BADARG/);
    expect(codeOf(() => t.send(atom('nobody'), 1))).toMatch(/^BADARG send: no process is registered as nobody/);
    expect(codeOf(() => t.unregister(atom('nobody')))).toMatch(/^BADARG unregister/);
    t.exit(q.pid, atom('kill'));
    await q.exited;
    expect(codeOf(() => t.register(atom('c'), q.pid))).toMatch(/is not a live process/);
    t.unregister(atom('a'));
    expect(t.whereis(atom('a'))).toBeUndefined();
    t.exit(p.pid, atom('kill'));
  });

  it('sends to a dead pid are dropped, as Erlang does', async () => {
    const t = node();
    const p = t.spawn(() => {});
    await p.exited;
    expect(() => t.send(p.pid, 1)).not.toThrow();
  });
});

describe('aliases', () => {
  it('route to the process until unalias; removed when it ends', async () => {
    const t = node();
    let alias: Term | undefined;
    const got: Term[] = [];
    const p = t.spawn(async (self) => {
      const a = self.alias();
      alias = a;
      got.push(await self.receive());
      expect(self.unalias(a)).toBe(true);
      expect(self.unalias(a)).toBe(false);
      got.push(await self.receive(undefined, { timeout: 10, after: () => 'nothing' }));
    });
    await tick();
    t.send(alias as never, 'via alias');
    await tick();
    t.send(alias as never, 'dropped');
    await p.exited;
    expect(got).toEqual(['via alias', 'nothing']);
  });
});
