/**
 * Interop: the handshake state machines against a real `erl` (OTP's
 * dist_util on the other side). A private `epmd -port P` serves the test;
 * our listeners register with it through an inline ALIVE2_REQ (the EPMD
 * client in runtime/epmd is deliberately not used here). Cases:
 *  (a) we dial erl (dist_util:handshake_other_started/1 judges us), with the
 *      right cookie and a wrong one;
 *  (b) erl dials us with net_kernel:connect_node/1
 *      (dist_util:handshake_we_started/1), with the right cookie and a wrong one.
 *
 * Always run: without `erl`/`epmd` every test fails naming the executable.
 * Children are killed in afterAll; ports come from the OS, never 4369.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import * as E from '../../generated/epmd.js';
import { Dflag, DflagMask } from '../../generated/handshake.js';
import { FrameReader } from '../../runtime/wire/frames.js';
import { Reader } from '../../runtime/wire/reader.js';
import { Writer } from '../../runtime/wire/writer.js';
import {
  acceptOnStream,
  HandshakeError,
  initiateOnStream,
  ourFlags,
  type HandshakeResult,
  type StreamHandshake,
} from '../../runtime/handshake/index.js';
import { otp } from '../support/otp.js';

const COOKIE = 'secret';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const children = new Set<ChildProcess>();
const sockets = new Set<Socket>();
const servers = new Set<Server>();

/** Starts `cmd`; rejects with a clear message when it is not installed. */
function start(cmd: string, args: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(...otp(cmd, args), { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.on('exit', () => children.delete(child));
    child.once('error', (e) => reject(new Error(`cannot run ${cmd} (the interop tests need Erlang/OTP on PATH): ${e.message}`)));
    child.once('spawn', () => resolve(child));
  });
}


function tcp(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host);
    sockets.add(s);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * An Erlang node reading one expression per line from stdin and printing
 * "=> Result" with ~w, so the test can ask it things as it goes.
 */
const REPL = [
  'Loop = fun L() -> case io:get_line(\'\') of',
  '  eof -> halt();',
  '  Line -> R = try {ok, Ts, _} = erl_scan:string(Line), {ok, Es} = erl_parse:parse_exprs(Ts),',
  '                  {value, V, _} = erl_eval:exprs(Es, []), V',
  '              catch C:X -> {repl_error, C, X} end,',
  '          io:format("=> ~w~n", [R]), L() end end,',
  'io:format("=> ~w~n", [node()]), Loop().',
].join('\n');

class Erl {
  private lines: string[] = [];
  private wake: (() => void) | undefined;
  private output = '';
  constructor(private readonly child: ChildProcess) {
    let partial = '';
    child.stdout!.on('data', (c: Buffer) => {
      this.output += c.toString();
      partial += c.toString();
      const all = partial.split('\n');
      partial = all.pop()!;
      for (const l of all) if (l.startsWith('=> ')) this.lines.push(l.slice(3).trim());
      this.wake?.();
    });
    child.stderr!.on('data', (c: Buffer) => (this.output += c.toString()));
  }

  /** The next "=> " line, or an error carrying erl's output so far. */
  async next(ms = 15_000): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.lines.length === 0) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`erl did not answer; its output:\n${this.output}`);
      await Promise.race([new Promise<void>((r) => (this.wake = r)), sleep(100)]);
    }
    return this.lines.shift()!;
  }

  /** Evaluates one Erlang expression (without the final '.') and returns its ~w text. */
  eval(expr: string, ms?: number): Promise<string> {
    this.child.stdin!.write(`${expr}.\n`);
    return this.next(ms);
  }
}

let epmdPort = 0;
let erl: Erl;
let host = '';
let hostAddress = '127.0.0.1';
let startError: unknown;

beforeAll(async () => {
  try {
    epmdPort = await freePort();
    await start('epmd', ['-port', String(epmdPort)]);
    for (let i = 0; ; i++) {
      try {
        (await tcp(epmdPort)).destroy();
        break;
      } catch (e) {
        if (i > 100) throw new Error(`epmd -port ${epmdPort} did not come up: ${String(e)}`);
        await sleep(50);
      }
    }
    const child = await start('erl', ['-sname', 'peer', '-setcookie', COOKIE, '-noshell', '-eval', REPL], { ERL_EPMD_PORT: String(epmdPort) });
    erl = new Erl(child);
    const self = await erl.next(30_000); // peer@host
    host = self.slice(self.indexOf('@') + 1).replace(/'/g, '');
    // Listen where erl will look for us: the address its resolver gives our host.
    const addr = /\{ok,\{(\d+),(\d+),(\d+),(\d+)\}\}/.exec(await erl.eval(`inet:getaddr("${host}", inet)`));
    if (addr) hostAddress = addr.slice(1).join('.');
  } catch (e) {
    startError = e;
  }
}, 40_000);
beforeEach(() => {
  if (startError !== undefined) throw startError;
});
afterAll(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  for (const c of children) c.kill('SIGKILL');
});

/** Reads the port erl listens on for distribution, as EPMD tells it (erl_epmd:port_please/2). */
async function erlDistPort(): Promise<number> {
  const answer = await erl.eval(`erl_epmd:port_please("peer", {127,0,0,1})`);
  const m = /^\{port,(\d+),6\}$/.exec(answer);
  if (!m) throw new Error(`port_please answered ${answer}`);
  return Number(m[1]);
}

/**
 * A distribution listener registered as `alive` with the test's epmd through
 * an inline ALIVE2_REQ; the registration lasts while that socket stays open.
 */
async function listener(alive: string, cookie = COOKIE) {
  const results: Promise<StreamHandshake<HandshakeResult>>[] = [];
  const accepted: Socket[] = [];
  let creation = 0;
  const server = createServer((s) => {
    sockets.add(s);
    accepted.push(s);
    const p = acceptOnStream(s, { name: `${alive}@${host}`, creation, cookie });
    p.catch(() => {}); // observed by the test through `next`
    results.push(p);
  });
  servers.add(server);
  await new Promise<void>((r) => server.listen(0, hostAddress, r));
  const port = (server.address() as AddressInfo).port;

  const epmd = await tcp(epmdPort);
  const w = new Writer(64);
  E.encodeRequest(w, {
    request: {
      tag: E.RequestTag.ALIVE2_REQ,
      body: { portNo: port, nodeType: 77, protocol: 0, highestVersion: 6, lowestVersion: 6, nodeName: alive, extra: new Uint8Array(0) },
    },
  });
  epmd.write(w.finish());
  const resp = await new Promise<Buffer>((r) => epmd.once('data', r));
  expect(resp[0]).toBe(E.ResponseTag.ALIVE2_X_RESP);
  const x = E.decodeAlive2XResp(new Reader(new Uint8Array(resp.subarray(1))));
  expect(x.result).toBe(0);
  creation = x.creation;
  return {
    creation: () => creation,
    async next(): Promise<StreamHandshake<HandshakeResult>> {
      for (let i = 0; results.length === 0; i++) {
        if (i > 200) throw new Error(`erl never connected to ${alive}`);
        await sleep(50);
      }
      return results.shift()!;
    },
    accepted,
  };
}

/** Asks erl until it answers `expected` (its nodeup bookkeeping can trail our last handshake message). */
async function erlAnswers(expr: string, expected: string, ms = 3000): Promise<string> {
  let answer = '';
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(50)) if ((answer = await erl.eval(expr)) === expected) break;
  return answer;
}

async function handshakeError(p: Promise<unknown>): Promise<HandshakeError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HandshakeError) return e;
    throw e;
  }
  throw new Error('the handshake succeeded');
}

/** The 4-byte frames that arrive, starting with `rest`: for at least `ms`, and until one is `wanted` (at most 5 s more). */
async function framesFor(socket: Socket, rest: Uint8Array, ms: number, wanted = (f: Uint8Array) => f.length > 0): Promise<Uint8Array[]> {
  const reader = new FrameReader(4);
  const frames = reader.push(rest);
  socket.on('data', (c: Buffer) => frames.push(...reader.push(new Uint8Array(c))));
  socket.resume();
  await sleep(ms);
  for (let i = 0; i < 100 && !frames.some(wanted); i++) await sleep(50);
  return frames;
}

describe('(a) we dial erl: dist_util:handshake_other_started/1', () => {
  it('completes with the right cookie; a tick keeps the connection, and erl lists us in nodes()', async () => {
    const socket = await tcp(await erlDistPort());
    let closed = false;
    socket.on('close', () => (closed = true));
    const me = `ts_a@${host}`;
    const r = await initiateOnStream(socket, { name: me, creation: randomInt(4, 2 ** 32), peerName: `peer@${host}`, cookie: COOKIE });
    expect(r.peerName).toBe(`peer@${host}`);
    expect(r.hidden).toBe(false);
    expect(r.flags & DflagMask.DIST_MANDATORY_25).toBe(DflagMask.DIST_MANDATORY_25);
    expect(r.flags & DflagMask.DIST_MANDATORY).toBe(DflagMask.DIST_MANDATORY); // OTP 25 already offers UNLINK_ID and V4_NC
    expect(r.flags & Dflag.DIST_HDR_ATOM_CACHE).toBe(Dflag.DIST_HDR_ATOM_CACHE); // both offer it
    expect(r.flags & Dflag.FRAGMENTS).toBe(Dflag.FRAGMENTS);
    expect(r.flags).toBe(ourFlags() & r.peerFlags);

    socket.write(Uint8Array.of(0, 0, 0, 0)); // a tick: the connection is in 4-byte framing now
    const frames = await framesFor(socket, r.rest, 700);
    expect(closed).toBe(false);
    expect(await erlAnswers(`lists:member('${me}', nodes())`, 'true')).toBe('true');
    // erl talks to a new visible node at once (rex, global). With FRAGMENTS negotiated
    // its messages carry the 131,68 distribution header, never the 'p' pass-through.
    const data = frames.filter((f) => f.length > 0);
    expect(data.length).toBeGreaterThan(0);
    for (const f of data) expect([f[0], f[1]]).toEqual([131, 68]);
    socket.destroy();
  });

  it('a wrong cookie: erl closes without an ack, so we fail at recv_challenge_ack', async () => {
    const socket = await tcp(await erlDistPort());
    const e = await handshakeError(
      initiateOnStream(socket, { name: `ts_bad@${host}`, creation: randomInt(4, 2 ** 32), peerName: `peer@${host}`, cookie: 'wrong' }),
    );
    expect(e.step).toBe('recv_challenge_ack');
    expect(['closed', 'bad_cookie']).toContain(e.reason);
    expect(e.peer).toBe(`peer@${host}`);
  });

  it('NAME_ME: erl names us on our host, and lists us as hidden under that name', async () => {
    const socket = await tcp(await erlDistPort());
    const r = await initiateOnStream(socket, { name: host, nameMe: true, creation: 0, peerName: `peer@${host}`, cookie: COOKIE });
    expect(r.name).toMatch(new RegExp(`^[A-Z0-9]+@${host}$`));
    expect(r.creation).toBeGreaterThan(0);
    expect(r.hidden).toBe(true);
    expect(r.flags & Dflag.NAME_ME).toBe(Dflag.NAME_ME); // erl echoed it
    expect(await erlAnswers(`lists:member('${r.name}', nodes(hidden))`, 'true')).toBe('true');
    socket.destroy();
  });

  it("'alive': dialling again under a connected name; \"false\" gives up, \"true\" makes erl drop the old connection", async () => {
    const me = `ts_alive@${host}`;
    const dial = async (isAlive: () => boolean) => {
      const socket = await tcp(await erlDistPort());
      const opts = { name: me, creation: randomInt(4, 2 ** 32), peerName: `peer@${host}`, cookie: COOKIE, isAlive };
      return { socket, handshake: initiateOnStream(socket, opts) };
    };
    const old = await dial(() => true);
    const first = await old.handshake;
    old.socket.resume();
    let asked = 0;
    const e = await handshakeError((await dial(() => (asked++, false))).handshake);
    expect(asked).toBe(1);
    expect(e).toMatchObject({ step: 'recv_status', reason: 'alive', peer: `peer@${host}` });
    // "true": erl takes our word that the old connection is stale, drops it, and completes the new one.
    const oldClosed = new Promise<void>((r) => old.socket.once('close', () => r()));
    const second = await dial(() => (asked++, true));
    const r = await second.handshake;
    await oldClosed;
    expect(asked).toBe(2);
    expect(r.peerCreation).toBe(first.peerCreation);
    expect(await erlAnswers(`lists:member('${me}', nodes())`, 'true')).toBe('true');
    second.socket.destroy();
  });

  it('a wrong name for erl: the challenge names peer@host, so we fail at recv_challenge with name_mismatch', async () => {
    const socket = await tcp(await erlDistPort());
    const e = await handshakeError(
      initiateOnStream(socket, { name: `ts_nm@${host}`, creation: randomInt(4, 2 ** 32), peerName: `other@${host}`, cookie: COOKIE }),
    );
    expect(e).toMatchObject({ step: 'recv_challenge', reason: 'name_mismatch' });
  });
});

describe('(b) erl dials us: dist_util:handshake_we_started/1 via net_kernel:connect_node/1', () => {
  it('our acceptor completes, and erl has us in nodes(connected)', async () => {
    const ts = await listener('ts');
    const me = `ts@${host}`;
    // connect_node returns once the handshake is done; net_adm:ping would also wait for an
    // is_auth answer that needs the node layer, which does not exist yet (see the end).
    const connected = erl.eval(`net_kernel:connect_node('${me}')`);
    const r = await ts.next();
    expect(r.peerName).toBe(`peer@${host}`);
    expect(r.hidden).toBe(false);
    expect(r.flags & DflagMask.DIST_MANDATORY_25).toBe(DflagMask.DIST_MANDATORY_25);
    expect(r.flags & Dflag.DIST_HDR_ATOM_CACHE).toBe(Dflag.DIST_HDR_ATOM_CACHE);
    expect(r.peerCreation).toBeGreaterThan(0);
    expect(await connected).toBe('true');
    const nodes = await erl.eval('nodes(connected)');
    expect(nodes.slice(1, -1).split(',')).toContain(me); // ~w prints ts@host unquoted
    expect(await erlAnswers(`lists:member('${me}', nodes())`, 'true')).toBe('true'); // visible: PUBLISHED on both sides

    // net_adm:ping/1 now sends its is_auth call over the connection: it reaches us in
    // 4-byte frames after the handshake (from `rest` on), with the 131,68 header.
    const socket = ts.accepted[0]!;
    await erl.eval(`spawn(fun() -> net_adm:ping('${me}') end)`);
    const isAuthCall = (f: Uint8Array) => Buffer.from(f).includes('is_auth');
    const isAuth = (await framesFor(socket, r.rest, 0, isAuthCall)).find(isAuthCall);
    expect(isAuth, 'the is_auth call of net_adm:ping').toBeDefined();
    expect([isAuth![0], isAuth![1]]).toEqual([131, 68]);
    socket.destroy();
  });

  it('an erl started with -sname undefined gets its dynamic name from our acceptor (NAME_ME)', async () => {
    const dyn = await listener('ts_dyn');
    const me = `ts_dyn@${host}`;
    const child = await start('erl', ['-sname', 'undefined', '-setcookie', COOKIE, '-noshell', '-eval',
      `R = net_kernel:connect_node('${me}'), io:format("=> ~w ~w~n", [R, node()]), timer:sleep(300), halt().`], { ERL_EPMD_PORT: String(epmdPort) });
    const once = new Erl(child);
    const r = await dyn.next();
    expect(r.peerName).toMatch(new RegExp(`^[A-Z0-9]{13}@${host}$`));
    expect(r.hidden).toBe(true);
    expect(await once.next()).toBe(`true '${r.peerName}'`); // ~w quotes an atom that starts with a capital
  });

  it('a wrong cookie on erl\'s side: our acceptor fails with bad_cookie at recv_challenge_reply', async () => {
    const bad = await listener('tsbad');
    const me = `tsbad@${host}`;
    const connected = erl.eval(`erlang:set_cookie('${me}', wrong), net_kernel:connect_node('${me}')`);
    const e = await handshakeError(bad.next());
    expect(e).toMatchObject({ step: 'recv_challenge_reply', reason: 'bad_cookie', peer: `peer@${host}` });
    expect(await connected).toBe('false');
    expect(bad.accepted[0]!.destroyed).toBe(true);
  });
});
