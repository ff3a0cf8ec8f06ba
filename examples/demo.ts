/**
 * `npm run demo`: a beamwire node on the embedded EPMD (any free port), and,
 * where `erl` is installed, a real Erlang node beside it: they ping each other,
 * exchange messages by name and by pid, and the TypeScript side monitors an
 * Erlang process. Without erl, the codec part still runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { atom, decode, encode, equals, float, format, fromBinary, Node, on, P, tuple, type Term } from '../runtime/index.js';

const log = (...parts: unknown[]): void => console.log(...parts.map((p) => (typeof p === 'string' ? p : format(p as Term))));

// 1. The codec: what JavaScript numbers would lose, kept.
const call = tuple(atom('$gen_call'), tuple(atom('request'), 1), tuple(atom('get'), 'user:1', [tuple(atom('timeout'), 5000)]));
const bytes = encode(call);
log(`codec      ${bytes.length} bytes for`, call);
const tricky: Term = new Map<Term, Term>([[1, 'int key'], [float(1), 'float key'], [atom('big'), 2n ** 64n], [atom('neg_zero'), float(-0)]]);
log('lossless  ', decode(encode(tricky)), equals(decode(encode(tricky)), tricky) ? '(round trip equal)' : '(DIFFERENT)');

// 2. A node on the embedded EPMD.
const node = await Node.start({ name: 'demo', cookie: 'beamwire-demo', epmd: { mode: 'embedded', port: 0 } });
log(`node       ${node.name} up, creation ${node.creation}, embedded EPMD on port ${node.epmdPort}`);
node.on('nodeup', (n: string) => log(`nodeup     ${n}`));
node.on('nodedown', (n: string, why: string) => log(`nodedown   ${n} (${why})`));

const greeter = node.spawn(async (self) => {
  for (;;) {
    await self.receive([
      on(P.tuple(atom('hello'), P.bind('from', P.pid()), P.bind('name', P.binary())), ({ from, name }) => {
        log(`greeter    got hello from`, from, 'named', name);
        self.send(from, tuple(atom('greeting'), `Hello ${fromBinary(name as Uint8Array)}, from TypeScript`));
      }),
    ]);
  }
});
node.register('greeter', greeter.pid);

if (spawnSync('erl', ['-version'], { stdio: 'ignore' }).error) {
  log('\n(erl not found: install erlang-nox to see an Erlang node talk to this one)');
} else {
  // 3. A real Erlang node: it pings us, greets our registered process, and answers a call.
  const script = `
    pong = net_adm:ping('${node.name}'),
    io:format("erlang     net_adm:ping('${node.name}') -> pong~n"),
    {greeter, '${node.name}'} ! {hello, self(), <<"erlang">>},
    receive {greeting, G} -> io:format("erlang     got ~p~n", [G]) after 5000 -> io:format("erlang     no greeting~n") end,
    register(echo, self()),
    io:format("erlang     ready~n"),
    receive {ask, From, Q} -> From ! {answer, lists:reverse(Q)} after 10000 -> ok end,
    receive stop -> ok after 10000 -> ok end,
    halt().`;
  const erl = spawn('erl', ['-sname', 'erlang_demo', '-setcookie', 'beamwire-demo', '-start_epmd', 'false', '-noshell', '-eval', script], {
    env: { ...process.env, ERL_EPMD_PORT: String(node.epmdPort) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  erl.stdout.on('data', (d: Buffer) => {
    process.stdout.write(d);
    if (d.toString().includes('ready')) ready();
  });
  await isReady;
  const peer = `erlang_demo@${node.name.split('@')[1]}`;
  log(`ping       node.ping('${peer}') -> ${await node.ping(peer)}`);
  // A process of ours asks the Erlang one, and monitors it.
  const echo = tuple(atom('echo'), atom(peer));
  const asker = node.spawn(async (self) => {
    const mref = self.monitor(echo);
    self.send(echo, tuple(atom('ask'), self.pid, [1, 2, 3]));
    await self.receive([on(P.tuple(atom('answer'), P.bind('a')), ({ a }) => log('asker      lists:reverse([1,2,3]) in Erlang ->', a))], { timeout: 5000 });
    self.send(echo, atom('stop'));
    await self.receive([on(P.tuple(atom('DOWN'), P.ref(mref), P.any, P.any, P.bind('why')), ({ why }) => log('asker      DOWN from the Erlang process:', why))], { timeout: 5000 });
  });
  await asker.exited;
  await new Promise((r) => erl.once('exit', r));
}
await node.stop();
log('stopped');
