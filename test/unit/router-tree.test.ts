/**
 * runtime/router/tree.ts with nodes of one process linked by stream pairs,
 * as contexts are by pipes: tunnels between siblings and across two hops,
 * mitogen's rules (unidirectional, the reverse-path check, routes dropped as
 * contexts go), and refusals that say why.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { atom, ChannelError, duplexPair, Node, StreamCarrier, tuple } from '../../runtime/index.js';
import { ROUTER, Tree, type TreeOptions } from '../../runtime/router/tree.js';
import { until } from '../support/net.js';

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

interface Member {
  node: Node;
  tree: Tree;
  debug: string[];
  gone: string[];
}

async function member(name: string, parent?: Member, o: Partial<TreeOptions> = {}): Promise<Member> {
  const node = await Node.start({ name: `${name}@tree`, cookie: `own-${name}`, epmd: 'none', transport: new StreamCarrier(), logger: 'silent' });
  nodes.push(node);
  const debug: string[] = [];
  const gone: string[] = [];
  const tree = new Tree(node, { parent: parent?.node.name, log: () => {}, debug: (l) => debug.push(l), gone: (c) => gone.push(c), ...o });
  if (parent !== undefined) {
    const [up, down] = duplexPair();
    node.setCookie(parent.node.name, 'link');
    parent.node.setCookie(node.name, 'link');
    node.accept(down);
    await parent.node.connect(node.name, { stream: up });
    parent.tree.addChild(node.name);
  }
  return { node, tree, debug, gone };
}

describe('tunnels through the tree', () => {
  it('siblings reach each other through their parent, and a grandchild reaches its uncle across two hops', async () => {
    const root = await member('root');
    const a = await member('a', root);
    const b = await member('b', root);
    const a1 = await member('a1', a);
    await until('a1 routed at the root', 2000, () => (root.tree.below(a1.node.name) ? true : undefined));
    expect(await a.node.ping(b.node.name)).toBe('pong');
    expect(await a1.node.ping(b.node.name)).toBe('pong');
    expect(await root.node.ping(a1.node.name)).toBe('pong');
    // Every one a direct connection as far as each node can tell; the tunnels are the routers' business.
    expect(a1.node.nodes()).toEqual(expect.arrayContaining([a.node.name, b.node.name]));
    expect(root.tree.descendants().sort()).toEqual([a.node.name, a1.node.name, b.node.name].sort());
  });

  it('unidirectional: no tunnel turns from one child to another, and the opener hears why', async () => {
    const root = await member('root', undefined, { unidirectional: true });
    const a = await member('a', root);
    const b = await member('b', root);
    const e = await a.node.connect(b.node.name).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChannelError);
    expect((e as ChannelError).reason).toBe('refused');
    expect((e as ChannelError).message).toContain('unidirectional');
    expect(await root.node.ping(b.node.name)).toBe('pong'); // down the tree is still fine
  });

  it('no route: the root has nowhere to send a node outside the tree', async () => {
    const root = await member('root');
    const a = await member('a', root);
    const e = (await a.node.connect('nowhere@tree').catch((x: unknown) => x)) as ChannelError;
    expect(e).toBeInstanceOf(ChannelError);
    expect(e.reason).toBe('no_route');
  });

  it('a context that goes takes its subtree with it: routes dropped up the tree, tunnels to it closed, later connects refused as context_gone', async () => {
    const root = await member('root');
    const a = await member('a', root);
    const b = await member('b', root);
    const a1 = await member('a1', a);
    await until('a1 routed', 2000, () => (root.tree.below(a1.node.name) ? true : undefined));
    expect(await b.node.ping(a1.node.name)).toBe('pong');
    const down = new Promise<void>((r) => b.node.on('nodedown', (n) => n === a1.node.name && r()));
    expect(root.node.disconnect(a.node.name)).toBe(true);
    await down; // b's tunnel to a1 went through a
    expect(root.gone.sort()).toEqual([a.node.name, a1.node.name].sort());
    expect(root.tree.below(a1.node.name)).toBe(false);
    const e = (await b.node.connect(a1.node.name).catch((x: unknown) => x)) as ChannelError;
    expect(e.reason).toBe('context_gone');
  });
});

describe('the reverse-path check', () => {
  it('a child cannot open a tunnel in its sibling’s name, nor claim its sibling’s routes', async () => {
    const root = await member('root');
    const a = await member('a', root);
    const b = await member('b', root);
    b.node.send([ROUTER, root.node.name], tuple(atom('tunnel_open'), 'forged/1', atom(a.node.name), atom(root.node.name), 'cookie'));
    b.node.send([ROUTER, root.node.name], tuple(atom('add_route'), [atom(a.node.name), atom('c@tree')]));
    await until('both refusals', 2000, () => (root.debug.some((l) => l.includes('claiming to come from')) && root.debug.some((l) => l.includes('claims a@tree')) ? true : undefined));
    expect(root.node.nodes().sort()).toEqual([a.node.name, b.node.name].sort());
    // The route b did have a right to claim (c, new) is there; a is still routed to a.
    expect(root.tree.next('c@tree')).toBe(b.node.name);
    expect(root.tree.next(a.node.name)).toBe(a.node.name);
  });

  it('the parent is not a child: route changes from it are ignored', async () => {
    const root = await member('root');
    const a = await member('a', root);
    root.node.send([ROUTER, a.node.name], tuple(atom('add_route'), [atom('x@tree')]));
    await until('the refusal', 2000, () => (a.debug.some((l) => l.includes('not a child')) ? true : undefined));
  });

  it('malformed router messages are dropped with a debug line, and the router goes on', async () => {
    const root = await member('root');
    const a = await member('a', root);
    a.node.send([ROUTER, root.node.name], tuple(atom('tunnel_data'), 42, 'not bytes'));
    a.node.send([ROUTER, root.node.name], 'hello');
    await until('two debug lines', 2000, () => (root.debug.filter((l) => l.includes('malformed')).length === 2 ? true : undefined));
    expect(await root.node.ping(a.node.name)).toBe('pong');
  });
});
