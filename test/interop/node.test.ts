/**
 * Interop tier: a beamwire Node and real OTP 25 nodes, on loopback, through
 * the embedded EPMD (and Erlang's own epmd). Each case names the Erlang
 * function it exercises. Erlang is driven over distribution itself: its `ctl`
 * process evaluates expressions we send (test/support/erl-node.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandshakeError } from '../../runtime/handshake/index.js';
import { atom, Pid, tuple, type Term } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import { P, on } from '../../runtime/process/index.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { otp } from '../support/otp.js';
import { testPort } from '../support/net.js';

const epmdPort = testPort();
let node: Node;
let peer: ErlNode;

/** Evaluates `src` in the Erlang node's ctl process and returns the value. */
const erl = (src: string, target: string = peer.name, timeout = 8000, via: Node = node): Promise<Term> => evalIn(via, target, src, timeout);

/** Puts `t` in the ctl mailbox as {use, T}, for the next expression to receive. */
const give = (t: Term, target: string = peer.name): void => node.send(['ctl', target], tuple(atom('use'), t));
const USE = 'receive {use, X} -> X after 3000 -> no_use end';

beforeAll(async () => {
  requireErl();
  node = await Node.start({ name: 'ts', cookie: 'secret', epmd: { mode: 'embedded', port: epmdPort }, ticktime: 8 });
  peer = await startErl('peer', 'secret', epmdPort);
}, 60_000);

afterAll(async () => {
  await peer?.stop();
  await node?.stop();
});

describe('net_adm:ping/1', () => {
  it('from Erlang gets pong (net_kernel answers is_auth), and node.ping gets pong from Erlang', async () => {
    expect(await erl(`net_adm:ping('${node.name}').`)).toBe(atom('pong'));
    expect(await node.ping(peer.name)).toBe('pong');
    expect(node.nodes()).toContain(peer.name);
    expect(await erl('nodes().')).toEqual([atom(node.name)]);
  });

  it('a node that is not there is pang', async () => {
    expect(await node.ping(`nobody@${peer.name.split('@')[1]}`)).toBe('pang');
  });
});

describe('erlang:send/2 and !', () => {
  it('Erlang → beamwire by registered name, and the reply back by pid', async () => {
    const inbox = node.spawn(async (self) => {
      const [from, n] = (await self.receive([on(P.tuple(atom('hello'), P.bind('from', P.pid()), P.bind('n')), ({ from, n }) => [from, n] as const)])) as [Pid, Term];
      self.send(from, tuple(atom('reply'), n));
    });
    node.register('inbox', inbox.pid);
    expect(await erl(`{inbox, '${node.name}'} ! {hello, self(), 42}, receive {reply, N} -> N after 3000 -> timeout end.`)).toBe(42);
  });

  it('beamwire → Erlang by pid and by {Name, Node}', async () => {
    const ctlPid = await erl('self().');
    expect(ctlPid).toBeInstanceOf(Pid);
    node.send(ctlPid as Pid, tuple(atom('use'), atom('by_pid')));
    expect(await erl(`${USE}.`)).toBe(atom('by_pid'));
    node.send(['ctl', peer.name], tuple(atom('use'), atom('by_name')));
    expect(await erl(`${USE}.`)).toBe(atom('by_name'));
  });

  it('1 MB binaries both ways (fragmented on the wire)', async () => {
    const big = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
    give(big);
    expect(await erl(`B = ${USE}, {byte_size(B), binary:at(B, 1000)}.`)).toEqual(tuple(1 << 20, 1000 & 0xff));
    const got = node.spawn(async (self) => {
      self.register(atom('bigbox'));
      const m = (await self.receive()) as Uint8Array;
      give(tuple(m.length, m[12345]!));
    });
    await erl(`{bigbox, '${node.name}'} ! binary:copy(<<7>>, 1048576), ok.`);
    await got.exited;
    expect(await erl(`${USE}.`)).toEqual(tuple(1 << 20, 7));
  });
});

describe('link/1, exit/2 and trap_exit', () => {
  it('Erlang links to a beamwire process that then dies: {EXIT, Pid, boom} in Erlang', async () => {
    const victim = node.spawn(async (self) => {
      await self.receive();
    });
    give(victim.pid);
    expect(await erl(`process_flag(trap_exit, true), link(${USE}).`)).toBe(true);
    node.exit(victim.pid, atom('boom'));
    expect(await erl(`receive {'EXIT', _, R} -> R after 3000 -> timeout end.`)).toBe(atom('boom'));
    await erl(`process_flag(trap_exit, false).`);
  });

  it('beamwire links to an Erlang process that exits: the link reports its reason', async () => {
    const pid = (await erl(`spawn(fun() -> receive die -> exit(bye) end end).`)) as Pid;
    const reason = new Promise<Term>((r) => node.link(pid, r));
    await new Promise((r) => setTimeout(r, 100)); // the LINK goes out before the exit
    node.send(pid, atom('die'));
    expect(await reason).toBe(atom('bye'));
  });

  it('exit/2 from Erlang with kill ends a beamwire process as killed', async () => {
    const target = node.spawn(async (self) => {
      self.trapExit(true); // kill cannot be trapped
      await self.receive([on(atom('never'), () => 0)]);
    });
    give(target.pid);
    await erl(`exit(${USE}, kill), ok.`);
    expect(await target.exited).toBe(atom('killed'));
  });
});

describe('erlang:monitor/2', () => {
  it('beamwire monitors an Erlang process: DOWN with its reason; a missing name: noproc', async () => {
    const pid = (await erl(`spawn(fun() -> receive go -> ok end end).`)) as Pid;
    const m = node.monitor(pid);
    await m.ref;
    node.send(pid, atom('go'));
    expect(await m.down).toBe(atom('normal'));
    expect(await node.monitor(['nosuch', peer.name]).down).toBe(atom('noproc'));
  });

  it('Erlang monitors a beamwire process (by pid, and a missing name on our node: noproc)', async () => {
    const p = node.spawn(async (self) => {
      await self.receive([on(atom('stop'), () => 0)]);
    });
    give(p.pid);
    await erl(`put(mref, erlang:monitor(process, ${USE})), ok.`);
    node.send(p.pid, atom('stop'));
    expect(await erl(`R = get(mref), receive {'DOWN', R, process, _, Why} -> Why after 3000 -> timeout end.`)).toBe(atom('normal'));
    expect(await erl(`R = erlang:monitor(process, {nosuch, '${node.name}'}), receive {'DOWN', R, process, _, Why} -> Why after 3000 -> timeout end.`)).toBe(atom('noproc'));
  });
});

describe('a node that dies (kill -9)', () => {
  it('links and monitors to it fire noconnection', async () => {
    const victim = await startErl('victim', 'secret', epmdPort);
    try {
      const pid = (await erl(`spawn(fun() -> receive never -> ok end end).`, victim.name)) as Pid;
      const linked = new Promise<Term>((r) => node.link(pid, r));
      const m = node.monitor(['ctl', victim.name]);
      await m.ref;
      await new Promise((r) => setTimeout(r, 200));
      const downAt = Date.now();
      victim.kill9();
      expect(await m.down).toBe(atom('noconnection'));
      expect(await linked).toBe(atom('noconnection'));
      expect(Date.now() - downAt).toBeLessThan(8000); // within the tick window (ticktime 8 s)
      expect(node.nodes()).not.toContain(victim.name);
    } finally {
      await victim.stop();
    }
  }, 30_000);
});

describe('cookies', () => {
  it('a wrong cookie is refused on both sides with a clear error', async () => {
    const stranger = await startErl('stranger', 'not_the_cookie', epmdPort);
    try {
      const refused = new Promise<HandshakeError>((r) => node.once('handshakeError', r));
      // Erlang dials us: our acceptor refuses its digest.
      await new Promise<void>((resolve) => {
        const c = spawn(...otp('erl', ['-sname', 'pinger', '-setcookie', 'not_the_cookie', '-start_epmd', 'false', '-noshell', '-eval', `io:format("~p~n", [net_adm:ping('${node.name}')]), halt().`]), {
          env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) },
          stdio: 'ignore',
        }) as ChildProcess;
        c.once('exit', () => resolve());
      });
      const e = await refused;
      expect(e).toBeInstanceOf(HandshakeError);
      expect(e.reason).toBe('bad_cookie');
      // We dial Erlang: the connection attempt fails with a HandshakeError, and ping is pang.
      await expect(node.connect(stranger.name)).rejects.toBeInstanceOf(HandshakeError);
      expect(await node.ping(stranger.name)).toBe('pang');
    } finally {
      await stranger.stop();
    }
  }, 40_000);
});

describe("Erlang's own epmd", () => {
  it('a node registered with a running epmd: erl pings it through epmd, and it pings erl', async () => {
    const port = epmdPort + 3000;
    const epmd = spawn(...otp('epmd', ['-port', String(port)]), { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const ts2 = await Node.start({ name: 'ts2', cookie: 'secret', epmd: { mode: 'external', port } });
      try {
        const out = await new Promise<string>((resolve) => {
          let text = '';
          const c = spawn(...otp('erl', ['-sname', 'pinger2', '-setcookie', 'secret', '-start_epmd', 'false', '-noshell', '-eval', `io:format("~p~n", [net_adm:ping('${ts2.name}')]), halt().`]), {
            env: { ...process.env, ERL_EPMD_PORT: String(port) },
          });
          c.stdout.on('data', (d: Buffer) => (text += d.toString()));
          c.once('exit', () => resolve(text));
        });
        expect(out.trim()).toBe('pong');
        const other = await startErl('peer2', 'secret', port);
        try {
          expect(await ts2.ping(other.name)).toBe('pong');
        } finally {
          await other.stop();
        }
      } finally {
        await ts2.stop();
      }
    } finally {
      epmd.kill();
    }
  }, 40_000);
});

describe('unlink/1 (the UNLINK_ID protocol)', () => {
  it('after Erlang unlinks, our process ending sends no exit signal to it', async () => {
    const p = node.spawn(async (self) => {
      await self.receive([on(atom('stop'), () => 0)]);
      self.exit(atom('boom'));
    });
    give(p.pid);
    await erl(`process_flag(trap_exit, true), P = ${USE}, link(P), unlink(P), put(p, P), ok.`);
    await new Promise((r) => setTimeout(r, 100));
    node.send(p.pid, atom('stop'));
    await p.exited;
    expect(await erl(`receive {'EXIT', _, R} -> {unexpected, R} after 500 -> none end.`)).toBe(atom('none'));
    await erl(`process_flag(trap_exit, false).`);
  });
});

describe('hidden nodes and long names', () => {
  it('long names (-name) connect; a hidden node is in nodes(hidden), not nodes()', async () => {
    const hidden = await Node.start({ name: 'tshidden@127.0.0.1', cookie: 'secret', hidden: true, epmd: { mode: 'embedded', port: 0 } });
    try {
      const long = await startErl('longpeer@127.0.0.1', 'secret', hidden.epmdPort);
      try {
        expect(await hidden.ping(long.name)).toBe('pong');
        expect(await erl('{nodes(), nodes(hidden)}.', long.name, 8000, hidden)).toEqual(tuple([], [atom(hidden.name)]));
      } finally {
        await long.stop();
      }
    } finally {
      await hidden.stop();
    }
  }, 30_000);
});
