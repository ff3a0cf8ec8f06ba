// A beamwire node that has no listener and no EPMD: its only connection is the one its parent opens over
// its stdin/stdout (the stream carrier). It exposes `child:add/2` and `child:pid/0`, and exits when its stdin ends.
import { Node, StreamCarrier, joinStreams, tuple, atom } from '../../runtime/index.js';

const carrier = new StreamCarrier();
const node = await Node.start({ name: process.argv[2]!, cookie: process.argv[3]!, transport: carrier, epmd: 'none', logger: 'silent' });
node.expose('child', {
  add: (a, b) => (a as number) + (b as number),
  who: () => tuple(atom(node.name), process.pid),
});
node.on('nodedown', () => void node.stop().then(() => process.exit(0)));
carrier.offer(joinStreams(process.stdin, process.stdout));
