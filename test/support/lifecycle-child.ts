/**
 * A user's program, run as its own Node.js process by test/interop/lifecycle.test.ts:
 * it starts a node on the EPMD at $ERL_EPMD_PORT, uses it (ping, monitors,
 * a link, a server, a receive with a long timeout, a call still in flight),
 * stops it, and reports what settled how. It must then exit by itself.
 */
import { atom, format, isBeamwireError, Node, on, P, tuple } from '../../runtime/index.js';

const peer = process.env.PEER!;
const log = (...parts: unknown[]): void => console.log(parts.join(' '));

const node = await Node.start({ name: process.env.NAME ?? 'life', cookie: 'secret' });
node.on('nodedown', (n, why) => log('nodedown', n, why));
log('ping', await node.ping(peer));

const remote = node.monitor(['ctl', peer]);
const sleeper = node.spawn(async (self) => {
  await self.receive([on(P.atom('never'), () => 0)], { timeout: 600_000, after: () => 0 });
});
const local = node.monitor(sleeper.pid);
node.link(sleeper.pid, (reason) => log('link', format(reason)));
await node.serve('kv', { init: () => 0, handleCall: (_r, _f, n) => ({ reply: n, state: n }), terminate: (why) => log('terminate', format(why)) });
const inflight = node.rpc(peer, 'timer', 'sleep', [600_000]).then(
  () => 'resolved',
  (e: unknown) => (isBeamwireError(e) ? `${e.name} ${e.code}` : String(e)),
);
// Touch the peer again right before stopping: a monitor set up now must not dial it back afterwards.
const late = node.monitor(['late_name', peer]);
node.send(['ctl', peer], tuple(atom('ignored'), 1));

await node.stop();
log('stopped');
log('remote-down', format(await remote.down));
log('local-down', format(await local.down));
log('late-down', format(await late.down));
log('inflight', await inflight);
for (const [what, attempt] of [
  ['rpc', () => node.rpc(peer, 'erlang', 'node', [])],
  ['ping', () => node.ping(peer)],
  ['call', () => node.call(['kv', peer], 1)],
  ['drain', () => node.drain(peer)],
] as const) {
  await attempt().then(
    () => log('after', what, 'resolved'),
    (e: unknown) => log('after', what, isBeamwireError(e, 'NODE_STOPPED') ? 'NODE_STOPPED' : String(e)),
  );
}
try {
  node.send(['ctl', peer], 1);
  log('after send', 'sent');
} catch (e) {
  log('after send', isBeamwireError(e, 'NODE_STOPPED') ? 'NODE_STOPPED' : String(e));
}
log('end');
