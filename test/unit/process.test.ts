// The local process model: mailbox order, selective receive, timeouts, cancellation, iteration.
import { describe, expect, it, vi } from 'vitest';
import { atom, equals, format, tuple, Pid, type Term } from '../../runtime/index.js';
import { ProcessTable, ProcessError, ProcessExit, ReceiveTimeout, P, _, on, exit, PID_ID_LIMIT, silentLogger } from '../../runtime/process/index.js';

const node = () => new ProcessTable({ name: atom('ts@host'), creation: 7 });
/** For tests whose processes crash on purpose: no crash reports on stderr (test/unit/process-logger.test.ts covers them). */
const quiet = () => new ProcessTable({ name: atom('ts@host'), creation: 7 }, { logger: silentLogger });
const ok = atom('ok');

describe('spawn and exit reasons', () => {
  it('gives pids of the local node, ids counting up', () => {
    const t = node();
    const a = t.spawn(async () => {});
    const b = t.spawn(async () => {});
    expect(a.pid).toBeInstanceOf(Pid);
    expect(a.pid.node).toBe(atom('ts@host'));
    expect(a.pid.creation).toBe(7);
    expect(b.pid.id).toBe(a.pid.id + 1);
    expect(a.pid.serial).toBe(0);
  });

  it('wraps ids into the serial after 2^15 pids, as OTP does', async () => {
    const t = node();
    let last: Pid | undefined;
    for (let i = 0; i < PID_ID_LIMIT + 2; i++) last = t.spawn(() => {}).pid;
    expect(last!.serial).toBe(1);
    expect(last!.id).toBeLessThan(3);
  });

  it('ends normal when the function resolves, {error, Text} when it throws, the reason given to exit()', async () => {
    const t = quiet();
    expect(await t.spawn(async () => 'ignored').exited).toBe(atom('normal'));
    const crashed = t.spawn(async () => {
      throw new TypeError('boom');
    });
    expect(equals(await crashed.exited, tuple(atom('error'), 'TypeError: boom'))).toBe(true);
    expect(crashed.error).toBeInstanceOf(TypeError);
    const exited = t.spawn(async () => exit(tuple(atom('shutdown'), 1)));
    expect(format(await exited.exited)).toBe('{shutdown,1}');
    const selfExit = t.spawn(async (self) => self.exit(atom('bye')));
    expect(await selfExit.exited).toBe(atom('bye'));
    expect(t.size).toBe(0);
  });

  it('kills: the process ends as killed, its receive rejects, later calls throw, its signal aborts', async () => {
    const t = node();
    let aborted: unknown;
    let thrown: unknown;
    const p = t.spawn(async (self) => {
      self.signal.addEventListener('abort', () => (aborted = self.signal.reason));
      try {
        await self.receive();
      } catch (e) {
        thrown = e;
      }
      self.send(self.pid, 1); // throws: the process is gone
    });
    await Promise.resolve();
    t.exit(p.pid, atom('kill'));
    expect(await p.exited).toBe(atom('killed'));
    await new Promise((r) => setTimeout(r, 0));
    expect(thrown).toBeInstanceOf(ProcessExit);
    expect((thrown as ProcessExit).reason).toBe(atom('killed'));
    expect(aborted).toBeInstanceOf(ProcessExit);
    expect(p.alive).toBe(false);
  });
});

describe('mailbox order and selective receive', () => {
  it('receives in the order sent', async () => {
    const t = node();
    const got: Term[] = [];
    const p = t.spawn(async (self) => {
      for (let i = 0; i < 5; i++) got.push(await self.receive());
    });
    for (let i = 0; i < 5; i++) t.send(p.pid, i);
    await p.exited;
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it('takes the first match and leaves the others in order', async () => {
    const t = node();
    const p = t.spawn(async (self) => {
      const r = await self.receive(on(P.tuple(atom('reply'), P.bind('v')), ({ v }) => v));
      const rest: Term[] = [];
      while (self.pending > 0) rest.push(await self.receive());
      return void got.push(r, ...rest);
    });
    const got: Term[] = [];
    t.send(p.pid, 1);
    t.send(p.pid, tuple(atom('noise'), 2));
    t.send(p.pid, tuple(atom('reply'), 'first'));
    t.send(p.pid, tuple(atom('reply'), 'second'));
    t.send(p.pid, 3);
    await p.exited;
    expect(got.map(format)).toEqual(['<<"first">>', '1', '{noise,2}', '{reply,<<"second">>}', '3']);
  });

  it('waits for a matching message while others queue up', async () => {
    const t = node();
    const p = t.spawn(async (self) => {
      const v = await self.receive(on(P.tuple(ok, P.bind('v')), ({ v }) => v));
      return void (seen = [v, self.pending]);
    });
    let seen: Term[] = [];
    await Promise.resolve();
    t.send(p.pid, 'a');
    t.send(p.pid, 'b');
    t.send(p.pid, tuple(ok, 9));
    await p.exited;
    expect(seen).toEqual([9, 2]);
  });

  it('tries clauses in table order per message (the first message that matches any clause wins)', async () => {
    const t = node();
    let r: unknown;
    const p = t.spawn(async (self) => {
      const table = [on(P.atom('b'), () => 'clause-b'), on(P.atom(), (_b, m) => `any:${format(m)}`)];
      r = [await self.receive(table), await self.receive(table)];
    });
    t.send(p.pid, atom('a'));
    t.send(p.pid, atom('b'));
    await p.exited;
    expect(r).toEqual(['any:a', 'clause-b']);
  });

  it('a handler that throws rejects the receive; the message is consumed', async () => {
    const t = node();
    const p = t.spawn(async (self) => {
      await expect(self.receive(on(_, () => { throw new Error('bad handler'); }))).rejects.toThrow('bad handler');
      return void (left = self.pending);
    });
    let left = -1;
    t.send(p.pid, 1);
    await p.exited;
    expect(left).toBe(0);
  });

  it('refuses a second receive while one waits', async () => {
    const t = node();
    let err: unknown;
    const p = t.spawn(async (self) => {
      const first = self.receive();
      err = await self.receive().catch((e: unknown) => e);
      await first;
    });
    await new Promise((r) => setTimeout(r, 0));
    t.send(p.pid, 1);
    await p.exited;
    expect(err).toBeInstanceOf(ProcessError);
    expect((err as ProcessError).code).toBe('CONCURRENT_RECEIVE');
  });
});

describe('receiving a reply tagged with a fresh reference (the receive marker)', () => {
  it('finds the reply past older messages, which keep their order', async () => {
    const t = node();
    const got: Term[] = [];
    await t.spawn(async (self) => {
      for (let i = 0; i < 1000; i++) self.send(self.pid, i);
      const ref = self.makeRef();
      self.send(self.pid, tuple(ref, 'reply'));
      got.push(await self.receive(on(P.tuple(P.ref(ref), P.bind('v')), ({ v }) => v)));
      got.push(await self.receive(), self.pending);
    }).exited;
    expect(got).toEqual(['reply', 0, 999]);
  });

  it('stays correct when the message it was made behind is taken first', async () => {
    const t = node();
    const got: Term[] = [];
    await t.spawn(async (self) => {
      self.send(self.pid, atom('a'));
      self.send(self.pid, atom('b'));
      const r1 = self.makeRef();
      got.push(await self.receive(on(atom('b'), () => 'took b'))); // the marked cell, from the middle
      self.send(self.pid, tuple(r1, 1));
      got.push(await self.receive(on(P.tuple(P.ref(r1), _), () => 'r1')));
      const r2 = self.makeRef(); // marked behind a, the only message
      got.push(await self.receive()); // takes a: the mark falls back to the head
      self.send(self.pid, tuple(r2, 2));
      got.push(await self.receive(on(P.tuple(P.ref(r2), _), () => 'r2')));
    }).exited;
    expect(got).toEqual(['took b', 'r1', atom('a'), 'r2']);
  });

  it("sees a monitor's immediate noproc DOWN, and scans everything when a clause does not need the ref", async () => {
    const t = node();
    const got: Term[] = [];
    const gone = t.spawn(() => {});
    await gone.exited;
    await t.spawn(async (self) => {
      self.send(self.pid, atom('early'));
      const ref = self.monitor(gone.pid);
      got.push(await self.receive(on(P.tuple(atom('DOWN'), P.ref(ref), _, _, P.bind('r')), ({ r }) => r)));
      const r2 = self.makeRef();
      self.send(self.pid, tuple(r2, 'late'));
      got.push(await self.receive([on(P.tuple(P.ref(r2), _), () => 'late'), on(atom('early'), () => 'early')]));
    }).exited;
    expect(got).toEqual([atom('noproc'), 'early']);
  });
});

describe('timeouts, after clauses, AbortSignal', () => {
  it('rejects with ReceiveTimeout and keeps the unmatched messages', async () => {
    const t = node();
    let err: unknown;
    const p = t.spawn(async (self) => {
      err = await self.receive(on(ok, () => 1), { timeout: 20 }).catch((e: unknown) => e);
      return void (left = self.pending);
    });
    let left = 0;
    t.send(p.pid, 'x');
    await p.exited;
    expect(err).toBeInstanceOf(ReceiveTimeout);
    expect((err as ReceiveTimeout).message).toMatch(/within 20 ms \(1 unmatched/);
    expect(left).toBe(1);
  });

  it('resolves to the after clause; timeout 0 only looks at the queue', async () => {
    const t = node();
    const r: unknown[] = [];
    const p = t.spawn(async (self) => {
      r.push(await self.receive(on(ok, () => 'ok'), { timeout: 0, after: () => 'empty' }));
      self.send(self.pid, ok);
      r.push(await self.receive(on(ok, () => 'ok'), { timeout: 0, after: () => 'empty' }));
      r.push(await self.receive(undefined, { timeout: 5, after: () => 'late' }));
    });
    await p.exited;
    expect(r).toEqual(['empty', 'ok', 'late']);
  });

  it('a match before the timeout cancels the timer', async () => {
    const t = node();
    const p = t.spawn(async (self) => self.receive(on(ok, () => 'in time'), { timeout: 1000, after: () => 'late' }).then((v) => void (got = v)));
    let got = '';
    setTimeout(() => t.send(p.pid, ok), 5);
    await p.exited;
    expect(got).toBe('in time');
  });

  it('rejects with the signal reason on abort, and at once if already aborted', async () => {
    const t = node();
    const ac = new AbortController();
    const errs: unknown[] = [];
    const p = t.spawn(async (self) => {
      errs.push(await self.receive(undefined, { signal: ac.signal }).catch((e: unknown) => e));
      errs.push(await self.receive(undefined, { signal: ac.signal }).catch((e: unknown) => e));
      self.send(self.pid, 'after abort');
      errs.push(await self.receive());
    });
    setTimeout(() => ac.abort(new Error('stop waiting')), 5);
    await p.exited;
    expect((errs[0] as Error).message).toBe('stop waiting');
    expect(errs[1]).toBe(errs[0]);
    expect(errs[2]).toBe('after abort');
  });

  it('honours timeouts longer than setTimeout allows (Erlang takes up to 2^32 - 1 ms)', async () => {
    vi.useFakeTimers();
    try {
      const t = node();
      let r: unknown;
      const p = t.spawn(async (self) => void (r = await self.receive(undefined, { timeout: 3_000_000_000, after: () => 'late' })));
      await vi.advanceTimersByTimeAsync(2_500_000_000);
      expect(r).toBeUndefined();
      await vi.advanceTimersByTimeAsync(600_000_000);
      await p.exited;
      expect(r).toBe('late');
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects a negative timeout as badarg', async () => {
    const t = node();
    let err: unknown;
    await t.spawn(async (self) => void (err = await self.receive(undefined, { timeout: -1 }).catch((e: unknown) => e))).exited;
    expect((err as ProcessError).code).toBe('BADARG');
  });
});

describe('for await over the mailbox', () => {
  it('yields messages in order; breaking out leaves the rest queued', async () => {
    const t = node();
    const got: Term[] = [];
    const p = t.spawn(async (self) => {
      for await (const m of self.mailbox) {
        if (m === 'stop') break;
        got.push(m);
      }
      return void got.push(`left ${self.pending}`);
    });
    for (const m of [1, 2, 3, 'stop', 4]) t.send(p.pid, m);
    await p.exited;
    expect(got).toEqual([1, 2, 3, 'left 1']);
  });
});

describe('the README example', () => {
  it('runs as documented', async () => {
    const node = new ProcessTable({ name: atom('ts@host'), creation: 1 });
    const counter = node.spawn(async (self) => {
      self.register(atom('counter'));
      let n = 0;
      const table = [
        on(P.tuple(atom('add'), P.bind('k', P.integer())), ({ k }) => {
          n += Number(k);
        }),
        on(P.tuple(atom('get'), P.bind('from', P.pid()), P.bind('ref', P.ref())), ({ from, ref }) => self.send(from, tuple(ref, n))),
        on(atom('stop'), () => self.exit(atom('normal'))),
      ];
      for (;;) await self.receive(table);
    });
    let got: Term | undefined;
    await node.spawn(async (self) => {
      self.send(atom('counter'), tuple(atom('add'), 2));
      const ref = self.makeRef();
      self.send(atom('counter'), tuple(atom('get'), self.pid, ref));
      got = await self.receive(on(P.tuple(P.ref(ref), P.bind('n')), ({ n }) => n), { timeout: 1000 });
      self.send(atom('counter'), atom('stop'));
    }).exited;
    expect(got).toBe(2);
    expect(await counter.exited).toBe(atom('normal'));
    expect(node.whereis(atom('counter'))).toBeUndefined();
  });
});

describe('spawnHandler: a process that only reacts', () => {
  it('gets every message at once, in order, trapping exits; kill ends it, and so does a handler that throws', async () => {
    const t = quiet();
    const seen: string[] = [];
    const h = t.spawnHandler((self) => (m) => {
      seen.push(format(m));
      if (m === atom('boom')) throw new Error('handler failed');
      if (m === atom('echo')) self.send(self.pid, atom('echoed'));
    });
    t.send(h.pid, 1);
    t.send(h.pid, atom('echo'));
    expect(seen).toEqual(['1', 'echo', 'echoed']); // synchronous: no receive, no microtask
    t.exit(h.pid, atom('shutdown'));
    await Promise.resolve();
    expect(h.alive).toBe(true);
    expect(seen[3]).toMatch(/^\{'EXIT',<ts@host\.0\.0>,shutdown\}$/);
    t.exit(h.pid, atom('kill'));
    expect(await h.exited).toBe(atom('killed'));

    const g = t.spawnHandler(() => (m) => {
      if (m === atom('boom')) throw new Error('handler failed');
    });
    t.send(g.pid, atom('boom'));
    expect(format(await g.exited)).toBe('{error,<<"Error: handler failed">>}');
    expect(t.size).toBe(0);
  });

  it('an init that throws leaves no process', () => {
    const t = node();
    expect(() =>
      t.spawnHandler(() => {
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(t.size).toBe(0);
  });
});
