// paragram's additions to the process model (runtime/process/): handler tables over selective receive
// (registration order, first match wins, an unmatched message ends the process), its exit policy (a linked
// process's normal end propagated), and the link graph as Graphviz dot (paragram's `graph`).
import { describe, expect, it } from 'vitest';
import { atom, format, tuple, Pid, type Term } from '../../runtime/index.js';
import { linkGraph, ProcessTable, ProcessError, P, on, silentLogger, type ProcessContext } from '../../runtime/process/index.js';

const quiet = () => new ProcessTable({ name: atom('ts@host'), creation: 7 }, { logger: silentLogger });
const tick = () => new Promise((r) => setTimeout(r, 0));
const idle = async (self: ProcessContext): Promise<Term> => self.receive(on(P.tuple(atom('stop'), P.bind('why')), ({ why }) => self.exit(why)));

describe('handler tables (self.handlers)', () => {
  it('tries handlers in registration order on each message in arrival order: the first match wins', async () => {
    const t = quiet();
    const seen: string[] = [];
    const p = t.spawn(async (self) => {
      self.handlers
        .on(P.tuple(atom('n'), P.bind('k', P.integer())), ({ k }) => void seen.push(`int ${String(k)}`))
        .on(P.tuple(atom('n'), P.any), (_b, m) => void seen.push(`any ${format(m)}`))
        .on(atom('stop'), () => self.exit(atom('normal')));
      expect(self.handlers.size).toBe(3);
      await self.handlers.run();
    });
    t.send(p.pid, tuple(atom('n'), 'x'));
    t.send(p.pid, tuple(atom('n'), 1));
    t.send(p.pid, atom('stop'));
    expect(await p.exited).toBe(atom('normal'));
    // The second message matched both; the first registered ran, only it.
    expect(seen).toEqual(['any {n,<<"x">>}', 'int 1']);
  });

  it('ends the process with {unhandled_message, Message} on a message no handler matches, as paragram raises UnhandledMessage', async () => {
    const t = quiet();
    const seen: Term[] = [];
    const p = t.spawn((self) => self.handlers.on(P.integer(), (_b, n) => void seen.push(n)).run());
    t.send(p.pid, 1);
    t.send(p.pid, atom('surprise'));
    t.send(p.pid, 2);
    expect(format(await p.exited)).toBe('{unhandled_message,surprise}');
    expect(seen).toEqual([1]); // no selective receive: the 2 behind it is never handled
  });

  it('next() handles one message and resolves with its handler’s result; a throwing handler ends the process', async () => {
    const t = quiet();
    let got: unknown;
    const p = t.spawn(async (self) => {
      self.handlers.on(P.tuple(atom('double'), P.bind('n', P.integer())), ({ n }) => Number(n) * 2).on(atom('boom'), () => {
        throw new Error('handler broke');
      });
      got = await self.handlers.next();
      await self.handlers.next();
    });
    t.send(p.pid, tuple(atom('double'), 21));
    t.send(p.pid, atom('boom'));
    expect(format(await p.exited)).toBe('{error,<<"Error: handler broke">>}');
    expect(got).toBe(42);
  });

  it('leaves self.receive as Erlang’s: an unmatched message waits there', async () => {
    const t = quiet();
    const p = t.spawn(async (self) => {
      const v = await self.receive(on(P.integer(), (_b, n) => n));
      expect(self.pending).toBe(1);
      return void expect(v).toBe(2);
    });
    t.send(p.pid, atom('later'));
    t.send(p.pid, 2);
    expect(await p.exited).toBe(atom('normal'));
  });
});

describe("paragram's exit policy (self.exitPolicy)", () => {
  it("'paragram': a linked process's normal end ends this one with normal, and it travels on", async () => {
    const t = quiet();
    const a = t.spawn(idle);
    const b = t.spawn(async (self) => {
      expect(self.exitPolicy('paragram')).toBe('erlang');
      self.link(a.pid);
      await idle(self);
    });
    const c = t.spawn(async (self) => {
      self.exitPolicy('paragram');
      await tick();
      self.link(b.pid);
      await idle(self);
    });
    const d = t.spawn(async (self) => {
      await tick();
      self.link(c.pid); // Erlang's policy: ignores c's normal end
      await idle(self);
    });
    await tick();
    await tick();
    t.send(a.pid, tuple(atom('stop'), atom('normal')));
    expect(await b.exited).toBe(atom('normal'));
    expect(await c.exited).toBe(atom('normal'));
    await tick();
    expect(d.alive).toBe(true);
    t.exit(d.pid, atom('kill'));
  });

  it("a trapping process still gets {'EXIT', From, normal}; 'erlang' restores the default", async () => {
    const t = quiet();
    const a = t.spawn(idle);
    const b = t.spawn(async (self) => {
      self.exitPolicy('paragram');
      self.trapExit(true);
      self.link(a.pid);
      return self.receive(on(P.tuple(atom('EXIT'), P.pid(a.pid), P.bind('r')), ({ r }) => self.exit(tuple(atom('saw'), r))));
    });
    const c = t.spawn(async (self) => {
      self.exitPolicy('paragram');
      expect(self.exitPolicy('erlang')).toBe('paragram');
      self.link(a.pid);
      await idle(self);
    });
    await tick();
    t.send(a.pid, tuple(atom('stop'), atom('normal')));
    expect(format(await b.exited)).toBe('{saw,normal}');
    await tick();
    expect(c.alive).toBe(true);
    t.exit(c.pid, atom('kill'));
  });

  it('refuses a policy it does not know with badarg', async () => {
    const t = quiet();
    let error: unknown;
    const p = t.spawn((self) => {
      try {
        self.exitPolicy('elixir' as 'erlang');
      } catch (e) {
        error = e;
      }
    });
    await p.exited;
    expect(error).toBeInstanceOf(ProcessError);
    expect((error as ProcessError).code).toBe('BADARG');
  });
});

describe('linkGraph (paragram’s graph)', () => {
  it('draws every linked process once per link, clustered by node, with registered names, remote pids in their cluster', async () => {
    const t = quiet();
    t.attachRemote({ send() {}, regSend() {}, aliasSend() {}, link() {}, unlink() {}, unlinkAck() {}, exit() {}, exit2() {}, monitor() {}, demonitor() {}, down() {}, spawnRequest() {} } as never);
    const remote = new Pid(atom('w1@host'), 9, 0, 3);
    const a = t.spawn(idle);
    const b = t.spawn(async (self) => {
      self.register(atom('keeper'));
      self.link(a.pid);
      self.link(remote);
      await idle(self);
    });
    t.spawn(idle); // unlinked: not drawn
    await tick();
    const dot = linkGraph(t, 'app');
    const A = a.pid.toString();
    const B = b.pid.toString();
    expect(dot).toBe(
      [
        'graph "app" {',
        '  subgraph "cluster_ts@host" {',
        '    label="ts@host";',
        `    "${A}" [label="${A}"];`,
        `    "${B}" [label="${B}\\nkeeper"];`,
        '  }',
        '  subgraph "cluster_w1@host" {',
        '    label="w1@host";',
        `    "${remote.toString()}" [label="${remote.toString()}"];`,
        '  }',
        `  "${A}" -- "${B}";`,
        `  "${B}" -- "${remote.toString()}";`,
        '}',
        '',
      ].join('\n'),
    );
    t.exit(b.pid, atom('kill'));
    await tick();
    expect(linkGraph(t)).toBe('graph "links" {\n}\n');
  });
});
