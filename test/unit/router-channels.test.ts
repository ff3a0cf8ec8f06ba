// Channels (issue 10, deliverable 5): Receiver, Sender and Select over aliases, on one node and across two
// nodes on a MemoryCarrier. Ordering, end of stream, timeouts, aborts, closing, oneshot, dead messages, and
// mitogen's Select rules (one owner, no cycles, nesting, oneshot, values held before joining).
import { afterEach, describe, expect, it } from 'vitest';
import { atom, isBeamwireError, MemoryCarrier, Node, on, P, tuple, type Term } from '../../runtime/index.js';
import {
  ChannelError,
  endMessage,
  openReceivers,
  Receiver,
  Select,
  SelectError,
  Sender,
  senderValueType,
  TimeoutError,
  type ChannelCodec,
} from '../../runtime/router/index.js';

const COOKIE = 'channels';
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});
let seq = 0;
async function start(net = new MemoryCarrier(), name = `ch${++seq}@mem`): Promise<Node> {
  const n = await Node.start({ name, cookie: COOKIE, transport: net, epmd: 'none', logger: 'silent' });
  nodes.push(n);
  return n;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

/** The rejection of `p` (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('channel errors', () => {
  it('are BeamwireErrors with a stable name and code that say where and why', () => {
    const cases: [Error & { code: string }, string, string][] = [
      [new ChannelError('context_gone', 'receiver #Ref<a@h.1.0.0> on a@h', 'w1@h disconnected'), 'ChannelError', 'CONTEXT_GONE'],
      [new ChannelError('no_route', 'receiver r'), 'ChannelError', 'NO_ROUTE'],
      [new TimeoutError('get on receiver r', 10), 'TimeoutError', 'ROUTER_TIMEOUT'],
      [new SelectError('SELECT_CYCLE', 'cycle'), 'SelectError', 'SELECT_CYCLE'],
    ];
    for (const [e, name, code] of cases) {
      expect([e.name, e.code, isBeamwireError(e, code)]).toEqual([name, code, true]);
    }
    expect(cases[0]![0].message).toBe('receiver #Ref<a@h.1.0.0> on a@h: context gone (w1@h disconnected)');
    expect(cases[2]![0].message).toBe('get on receiver r: nothing within 10 ms');
  });
});

describe('Receiver and Sender on one node', () => {
  it('delivers values in order; iteration ends when the sender closes; then get says sender_closed and nothing is left open', async () => {
    const n = await start();
    const recv = new Receiver(n);
    const tx = recv.toSender();
    for (let i = 0; i < 50; i++) tx.send(i);
    tx.close();
    expect(recv.size).toBe(50);
    expect(await collect(recv)).toEqual([...Array(50).keys()]);
    const e = await rejection(recv.get());
    expect(e).toBeInstanceOf(ChannelError);
    expect(e).toMatchObject({ reason: 'sender_closed', code: 'SENDER_CLOSED' });
    expect(isBeamwireError(e, 'SENDER_CLOSED')).toBe(true);
    expect(openReceivers(n)).toBe(0);
  });

  it('a get waiting is answered by the next value; waiters are served first come first served', async () => {
    const n = await start();
    const recv = new Receiver(n);
    const a = recv.get();
    const b = recv.get();
    recv.toSender().send('one');
    recv.toSender().send('two');
    expect([await a, await b]).toEqual(['one', 'two']);
    recv.close();
  });

  it('get({ timeout }) rejects with TimeoutError; timeout 0 takes only what is held; a bad timeout is a RangeError', async () => {
    const n = await start();
    const recv = new Receiver(n);
    const t0 = Date.now();
    const e = await rejection(recv.get({ timeout: 30 }));
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e).toMatchObject({ code: 'ROUTER_TIMEOUT', timeout: 30 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(await rejection(recv.get({ timeout: 0 }))).toBeInstanceOf(TimeoutError);
    recv.toSender().send(7);
    expect(await recv.get({ timeout: 0 })).toBe(7);
    expect(await rejection(recv.get({ timeout: -1 }))).toBeInstanceOf(RangeError);
    // The timed-out waiter is gone: a value sent now is held for the next get, not lost.
    recv.toSender().send(8);
    expect(await recv.get()).toBe(8);
    recv.close();
  });

  it('an AbortSignal rejects the get with its reason, before or while waiting; the value after goes to the next get', async () => {
    const n = await start();
    const recv = new Receiver(n);
    const ac = new AbortController();
    const waiting = recv.get({ signal: ac.signal });
    ac.abort(new Error('stop waiting'));
    expect(((await rejection(waiting)) as Error).message).toBe('stop waiting');
    expect(((await rejection(recv.get({ signal: ac.signal }))) as Error).message).toBe('stop waiting');
    recv.toSender().send('kept');
    expect(await recv.get({ signal: new AbortController().signal })).toBe('kept');
    recv.close();
  });

  it('close() rejects waiting gets with receiver_closed, ends iteration, drops what it held and frees its alias', async () => {
    const n = await start();
    const recv = new Receiver(n);
    const other = new Receiver(n);
    expect(openReceivers(n)).toBe(2);
    const waiting = recv.get();
    const iterating = collect(other);
    other.toSender().send(1);
    await turn();
    recv.close();
    other.close();
    expect(await rejection(waiting)).toMatchObject({ name: 'ChannelError', reason: 'receiver_closed' });
    expect(await iterating).toEqual([1]);
    expect(openReceivers(n)).toBe(0);
    // A send to a closed receiver is dropped (the alias is inactive): no throw, nothing arrives.
    recv.toSender().send('late');
    expect(recv.size).toBe(0);
    expect(await rejection(recv.get())).toMatchObject({ reason: 'receiver_closed' });
    const holding = new Receiver(n);
    holding.toSender().send('held');
    holding.close();
    expect(holding.size).toBe(0);
    expect(await rejection(holding.get())).toMatchObject({ reason: 'receiver_closed' });
  });

  it('leaving a for-await early closes the receiver', async () => {
    const n = await start();
    const recv = new Receiver(n);
    const tx = recv.toSender();
    tx.send(1);
    tx.send(2);
    for await (const v of recv) {
      expect(v).toBe(1);
      break;
    }
    expect(recv.endReason).toBe('receiver_closed');
    expect(openReceivers(n)).toBe(0);
  });

  it('a oneshot receiver takes one value and closes', async () => {
    const n = await start();
    const recv = new Receiver(n, { oneshot: true });
    const tx = recv.toSender();
    tx.send('first');
    tx.send('second');
    expect(openReceivers(n)).toBe(0);
    expect(await collect(recv)).toEqual(['first']);
    expect(await rejection(recv.get())).toMatchObject({ reason: 'receiver_closed' });
  });

  it('a dead message ends the receiver with its reason: get rejects and for-await throws', async () => {
    const n = await start();
    const recv = new Receiver(n);
    recv.toSender().send('before');
    n.send(recv.alias, endMessage(recv.alias, 'context_gone', 'w1@host disconnected'));
    const got: Term[] = [];
    const e = await rejection(
      (async () => {
        for await (const v of recv) got.push(v);
      })(),
    );
    expect(got).toEqual(['before']);
    expect(e).toBeInstanceOf(ChannelError);
    expect(e).toMatchObject({ reason: 'context_gone', code: 'CONTEXT_GONE', detail: 'w1@host disconnected' });
    expect((e as Error).message).toContain('context gone (w1@host disconnected)');
    // An unknown reason atom (a newer router) still ends it, as `undeliverable`.
    const r2 = new Receiver(n);
    n.send(r2.alias, tuple(atom('$bw_chan_end'), r2.alias, atom('martian')));
    expect(await rejection(r2.get())).toMatchObject({ reason: 'undeliverable' });
  });

  it('a Sender closed here refuses to send; a second close does nothing', async () => {
    const n = await start();
    const recv = new Receiver(n);
    const tx = recv.toSender();
    tx.close();
    tx.close();
    expect(() => tx.send(1)).toThrow(ChannelError);
    expect(await rejection(recv.get())).toMatchObject({ reason: 'sender_closed' });
  });

  it('the node stopping ends its receivers with context_gone; a new Receiver on it throws NodeStopped', async () => {
    const n = await start();
    const recv = new Receiver(n);
    const waiting = recv.get();
    await n.stop();
    expect(await rejection(waiting)).toMatchObject({ reason: 'context_gone', detail: `node ${n.name} stopped` });
    expect(() => new Receiver(n)).toThrow(expect.objectContaining({ name: 'NodeStopped' }));
    expect(() => recv.toSender().send(1)).toThrow(expect.objectContaining({ name: 'NodeStopped' }));
  });

  it('the channel process killed ends its receivers with context_gone; the next Receiver gets a new one', async () => {
    const n = await start();
    const r1 = new Receiver(n);
    const r2 = new Receiver(n);
    expect(r2.pid).toBe(r1.pid); // one process per node
    const waiting = rejection(r1.get());
    n.exit(r1.pid, atom('kill'));
    expect(await waiting).toMatchObject({ reason: 'context_gone' });
    expect(r2.endReason).toBe('context_gone');
    const r3 = new Receiver(n);
    expect(r3.pid).not.toBe(r1.pid);
    r3.toSender().send(1);
    expect(await r3.get()).toBe(1);
    r3.close();
  });

  it('a codec carries other values; a value it cannot read fails that get only', async () => {
    const json: ChannelCodec = {
      toTerm: (v) => JSON.stringify(v),
      fromTerm: (t) => JSON.parse(t as string),
    };
    const n = await start();
    const recv = new Receiver<{ k: number }>(n, { codec: json });
    const tx = recv.toSender();
    tx.send({ k: 1 });
    n.send(recv.alias, tuple(atom('$bw_chan'), recv.alias, 'not json'));
    tx.send({ k: 3 });
    tx.close();
    expect(await recv.get()).toEqual({ k: 1 });
    expect(await rejection(recv.get())).toBeInstanceOf(SyntaxError);
    expect(await collect(recv)).toEqual([{ k: 3 }]);
  });
});

describe('Senders across nodes', () => {
  it('a Sender made on A, sent to B in a message, sends from B: values arrive at A in order, then the end', async () => {
    const net = new MemoryCarrier();
    const a = await start(net);
    const b = await start(net);
    const worker = b.spawn(async (self) => {
      const tx = (await self.receive(on(P.tuple(atom('feed'), P.bind('tx')), ({ tx }) => Sender.fromTerm(tx, b)))) as Sender;
      expect(tx.node).toBe(b);
      for (let i = 0; i < 200; i++) tx.send(tuple(atom('n'), i));
      tx.close();
    });
    const recv = new Receiver(a);
    a.send(worker.pid, tuple(atom('feed'), recv.toSender().toTerm()));
    const got = await collect(recv);
    expect(got).toEqual([...Array(200).keys()].map((i) => tuple(atom('n'), i)));
    expect(openReceivers(a)).toBe(0);
  });

  it('as an rpc argument: B feeds a Select.all on A through several Senders, gathered in arrival order', async () => {
    const net = new MemoryCarrier();
    const a = await start(net);
    const b = await start(net);
    const held: Sender[] = [];
    b.expose('feeder', {
      take: (t: Term) => (held.push(Sender.fromTerm(t, b)!), atom('ok')),
      // Answers in an order of its own (the last Sender first), on one connection: arrival order is that order.
      go: () => {
        for (const i of [2, 0, 1]) {
          held[i]!.send(i);
          held[i]!.close();
        }
        return atom('ok');
      },
    });
    const recvs = [new Receiver(a), new Receiver(a), new Receiver(a)];
    for (const r of recvs) await a.rpc(b.name, 'feeder', 'take', [r.toSender().toTerm()]);
    const gathered = collect(Select.all(recvs));
    await a.rpc(b.name, 'feeder', 'go', []);
    expect(await gathered).toEqual([2, 0, 1]);
  });

  it('sends to a closed receiver or to a stopped node are dropped: no throw, no hang, no unhandled rejection', async () => {
    const net = new MemoryCarrier();
    const a = await start(net);
    const b = await start(net);
    const closed = new Receiver(a);
    const gone = new Receiver(a);
    const onB = (r: Receiver): Sender => Sender.fromTerm(r.toSender().toTerm(), b)!;
    const txClosed = onB(closed);
    const txGone = onB(gone);
    closed.close();
    txClosed.send('dropped');
    const probe = new Receiver(a);
    const txProbe = onB(probe);
    txProbe.send(atom('after')); // same connection, sent later: once it is here, 'dropped' was dropped, not queued
    expect(await probe.get({ timeout: 2000 })).toBe(atom('after'));
    expect(closed.size).toBe(0);
    await a.stop();
    txGone.send('nowhere');
    txGone.close();
    await new Promise((r) => setTimeout(r, 50));
  });

  it('a respondent receiver ends with context_gone when that node goes down', async () => {
    const net = new MemoryCarrier();
    const a = await start(net);
    const b = await start(net);
    await a.connect(b.name);
    const before = a.listenerCount('nodedown');
    const recv = new Receiver(a, { respondent: b.name });
    const many = [...Array(20)].map(() => new Receiver(a, { respondent: b.name }));
    const other = new Receiver(a, { respondent: 'elsewhere@mem' });
    expect(a.listenerCount('nodedown')).toBe(before + 1); // one per node, not one per receiver
    many[0]!.close();
    const waiting = rejection(recv.get());
    await b.stop();
    expect(await waiting).toMatchObject({ reason: 'context_gone', detail: `${b.name} disconnected` });
    expect(many.map((r) => r.endReason)).toEqual(['receiver_closed', ...Array(19).fill('context_gone')]);
    expect(other.endReason).toBeUndefined();
    other.close();
    expect(a.listenerCount('nodedown')).toBe(before);
    expect(openReceivers(a)).toBe(0);
  });

  it('senderValueType encodes [pid, alias] and decodes a Sender bound to the decoding node', async () => {
    const net = new MemoryCarrier();
    const a = await start(net);
    const b = await start(net);
    const recv = new Receiver(a);
    const tx = recv.toSender();
    expect(senderValueType.test(tx)).toBe(true);
    expect(senderValueType.test(recv)).toBe(false);
    const fields = senderValueType.encode(tx);
    expect(fields).toEqual([recv.pid, recv.alias]);
    const there = senderValueType.decode(fields, { node: b });
    expect(there.node).toBe(b);
    there.send(atom('via_b')); // (a string would come back a binary: a Buffer)
    expect(await recv.get({ timeout: 2000 })).toBe(atom('via_b'));
    expect(() => senderValueType.decode([recv.pid], { node: b })).toThrow(expect.objectContaining({ name: 'DecodeError' }));
    expect(Sender.fromTerm(tuple(atom('other'), 1, 2), b)).toBeUndefined();
    recv.close();
  });
});

describe('Select', () => {
  it('yields events (source, value) in arrival order and ends when every member has ended', async () => {
    const n = await start();
    const [r1, r2] = [new Receiver(n), new Receiver(n)];
    const [t1, t2] = [r1.toSender(), r2.toSender()];
    const events = (async () => {
      const out: [Receiver, Term][] = [];
      for await (const ev of new Select([r1, r2])) out.push([ev.source, ev.value]);
      return out;
    })();
    t1.send('a');
    t2.send('b');
    t1.send('c');
    t2.close();
    t1.send('d');
    t1.close();
    expect(await events).toEqual([
      [r1, 'a'],
      [r2, 'b'],
      [r1, 'c'],
      [r1, 'd'],
    ]);
  });

  it('oneshot removes a member after it yields once; what it holds stays in it', async () => {
    const n = await start();
    const [r1, r2] = [new Receiver(n), new Receiver(n)];
    r1.toSender().send(1);
    r1.toSender().send(2);
    r2.toSender().send(3);
    const s = new Select([r1, r2], { oneshot: true });
    const events = await collect(s);
    expect(events.map((e) => [e.source, e.value])).toEqual([
      [r1, 1],
      [r2, 3],
    ]);
    expect(s.members).toEqual([]);
    expect(r1.size).toBe(1);
    expect(await r1.get()).toBe(2);
    expect(r1.owner).toBeUndefined();
    r1.close();
    r2.close();
  });

  it('keeps the values members held before they joined', async () => {
    const n = await start();
    const r = new Receiver(n);
    const tx = r.toSender();
    tx.send('early1');
    tx.send('early2');
    const s = new Select<Term>();
    s.add(r);
    tx.send('late');
    tx.close();
    expect((await collect(s)).map((e) => e.value)).toEqual(['early1', 'early2', 'late']);
  });

  it('a receiver belongs to one Select; remove gives it back; removing a stranger throws', async () => {
    const n = await start();
    const r = new Receiver(n);
    const s1 = new Select([r]);
    const s2 = new Select();
    expect(() => s2.add(r)).toThrow(SelectError);
    expect(() => s2.add(r)).toThrow(expect.objectContaining({ code: 'SELECT_OWNED' }));
    expect(() => s1.add(r)).toThrow(expect.objectContaining({ code: 'SELECT_OWNED' }));
    expect(() => s2.remove(r)).toThrow(expect.objectContaining({ code: 'SELECT_NOT_MEMBER' }));
    s1.remove(r);
    s2.add(r);
    r.toSender().send('x');
    expect(await s2.get({ timeout: 1000 })).toBe('x');
    s2.close();
    expect(s2.members).toEqual([]);
    new Select([r]).close(); // closed Selects release their members
    expect(r.endReason).toBeUndefined(); // ... and leave them open
    r.close();
  });

  it('refuses cycles: itself, a Select that holds it, directly or deeper', async () => {
    const a = new Select();
    const b = new Select([a]);
    const c = new Select([b]);
    expect(() => a.add(a)).toThrow(expect.objectContaining({ code: 'SELECT_CYCLE' }));
    expect(() => a.add(b)).toThrow(expect.objectContaining({ code: 'SELECT_CYCLE' }));
    expect(() => a.add(c)).toThrow(expect.objectContaining({ code: 'SELECT_CYCLE' }));
    expect(() => b.add(c)).toThrow(expect.objectContaining({ code: 'SELECT_CYCLE' }));
    expect(() => new Select([b])).toThrow(expect.objectContaining({ code: 'SELECT_OWNED' }));
  });

  it('nests: an outer Select reads inner ones, events name the innermost Receiver, and it ends when all have', async () => {
    const n = await start();
    const rs = [new Receiver(n), new Receiver(n), new Receiver(n), new Receiver(n)];
    const inner1 = new Select([rs[0]!, rs[1]!]);
    const inner2 = new Select([rs[2]!, new Select([rs[3]!])]);
    const outer = new Select([inner1, inner2]);
    const done = collect(outer);
    const order = [3, 0, 2, 1, 3, 0];
    for (const i of order) rs[i]!.toSender().send(i);
    for (const r of rs) r.toSender().close();
    const events = await done;
    expect(events.map((e) => e.value)).toEqual(order);
    expect(events.map((e) => rs.indexOf(e.source))).toEqual(order);
    expect(outer.members).toEqual([]);
  });

  it('Select.all gathers oneshot replies in arrival order, whatever order they were asked in', async () => {
    const n = await start();
    const rs = [0, 1, 2, 3].map(() => new Receiver(n, { oneshot: true }));
    const gathered = collect(Select.all(rs));
    for (const i of [2, 0, 3, 1]) rs[i]!.toSender().send(`r${i}`);
    expect(await gathered).toEqual(['r2', 'r0', 'r3', 'r1']);
    expect(await collect(Select.all([]))).toEqual([]);
  });

  it('leaving Select.all early closes the receivers it still holds: the first answer wins', async () => {
    const n = await start();
    const rs = [0, 1, 2].map(() => new Receiver(n, { oneshot: true }));
    rs[1]!.toSender().send('fast');
    let first: Term | undefined;
    for await (const v of Select.all([rs[0]!, new Select([rs[1]!, rs[2]!])])) {
      first = v;
      break;
    }
    expect(first).toBe('fast');
    expect(rs.map((r) => r.endReason)).toEqual(['receiver_closed', 'receiver_closed', 'receiver_closed']);
    expect(openReceivers(n)).toBe(0);
  });

  it('get: timeout, abort, SELECT_EMPTY when no member is left, SELECT_CLOSED for a get waiting at close()', async () => {
    const n = await start();
    const r = new Receiver(n);
    const s = new Select([r]);
    expect(await rejection(s.get({ timeout: 20 }))).toBeInstanceOf(TimeoutError);
    expect(await rejection(s.get({ timeout: 0 }))).toBeInstanceOf(TimeoutError);
    const ac = new AbortController();
    const aborted = s.get({ signal: ac.signal });
    ac.abort('enough');
    expect(await rejection(aborted)).toBe('enough');
    const waiting = s.get();
    r.close();
    expect(await rejection(waiting)).toMatchObject({ name: 'SelectError', code: 'SELECT_EMPTY' });
    expect(await rejection(s.get())).toMatchObject({ code: 'SELECT_EMPTY' });
    const s2 = new Select([new Receiver(n)]);
    const pending = s2.getEvent();
    const member = s2.members[0]!;
    s2.close();
    expect(await rejection(pending)).toMatchObject({ code: 'SELECT_CLOSED' });
    expect(() => s2.add(member)).toThrow(expect.objectContaining({ code: 'SELECT_CLOSED' }));
    member.close();
  });

  it('a member that ends with a dead message rejects the get that finds it and leaves; the others go on', async () => {
    const n = await start();
    const [ok, bad] = [new Receiver(n), new Receiver(n)];
    const s = new Select([ok, bad]);
    n.send(bad.alias, endMessage(bad.alias, 'no_route', 'no route to w9'));
    ok.toSender().send('fine');
    expect(await rejection(s.get())).toMatchObject({ name: 'ChannelError', reason: 'no_route' });
    expect(s.members).toEqual([ok]);
    expect(await s.get()).toBe('fine');
    ok.close();
  });

  it('a value taken by a direct get on a member is skipped, not waited for', async () => {
    const n = await start();
    const r = new Receiver(n);
    const s = new Select([r]);
    const tx = r.toSender();
    tx.send('taken directly');
    expect(await r.get()).toBe('taken directly');
    expect(await rejection(s.get({ timeout: 0 }))).toBeInstanceOf(TimeoutError);
    tx.send('through the select');
    expect(await s.get()).toBe('through the select');
    s.close();
    r.close();
  });
});
