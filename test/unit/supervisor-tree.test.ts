// Supervisor trees: significant children and auto_shutdown (supervisor:do_auto_shutdown/2), nested supervisors
// (restarts inside a subtree, a subtree restarted whole, a tree stopped leaves first), and two nodes in one process
// (a supervisor on one node with a child on the other).
import { afterEach, describe, expect, it } from 'vitest';
import { atom, format, MemoryCarrier, Pid, StartError, Supervisor, type Node } from '../../runtime/index.js';
import { keepingLogger, memoryNode, rejection, send, until, worker } from '../support/behaviours.js';

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function setup(carrier?: MemoryCarrier): Promise<Node> {
  const n = await memoryNode(keepingLogger(), carrier);
  nodes.push(n);
  return n;
}

const pidOf = (sup: Supervisor, id: string) => sup.whichChildren().find((c) => c.id === id)?.pid;

describe('significant children and autoShutdown', () => {
  it('any_significant: a significant transient child that ends normally ends the supervisor with shutdown', async () => {
    const node = await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      autoShutdown: 'any_significant',
      children: [
        { id: 'other', start: worker(node, log, 'other') },
        { id: 'main', start: worker(node, log, 'main'), restart: 'transient', significant: true },
      ],
    });
    send(node, pidOf(sup, 'main'), atom('quit'));
    expect(await sup.exited).toBe(atom('shutdown'));
    expect(log).toEqual(['start other', 'start main', 'stop other']);
  });

  it('any_significant: a crashed significant transient child is restarted, not a shutdown', async () => {
    const node = await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      autoShutdown: 'any_significant',
      children: [{ id: 'main', start: worker(node, log, 'main'), restart: 'transient', significant: true }],
    });
    send(node, pidOf(sup, 'main'), atom('crash'));
    await until(() => log.length === 2);
    expect(sup.countChildren().active).toBe(1);
    await sup.stop();
  });

  it('all_significant: the supervisor ends only when the last significant child has ended', async () => {
    const node = await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      autoShutdown: 'all_significant',
      children: [
        { id: 's1', start: worker(node, log, 's1'), restart: 'temporary', significant: true },
        { id: 's2', start: worker(node, log, 's2'), restart: 'temporary', significant: true },
        { id: 'plain', start: worker(node, log, 'plain') },
      ],
    });
    send(node, pidOf(sup, 's1'), atom('crash'));
    await until(() => sup.whichChildren().length === 2);
    let ended = false;
    void sup.exited.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(ended).toBe(false);
    send(node, pidOf(sup, 's2'), atom('quit'));
    expect(await sup.exited).toBe(atom('shutdown'));
    expect(log.at(-1)).toBe('stop plain');
  });

  it('never (the default) ends nothing; a non-significant child ending changes nothing', async () => {
    const node = await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      autoShutdown: 'any_significant',
      children: [{ id: 't', start: worker(node, log, 't'), restart: 'temporary' }],
    });
    send(node, pidOf(sup, 't'), atom('quit'));
    await until(() => sup.whichChildren().length === 0);
    expect(sup.countChildren().specs).toBe(0);
    await sup.stop();
    expect(await sup.exited).toBe(atom('normal'));
  });

  it('significant with autoShutdown never, or with permanent, is a bad combination', async () => {
    const node = await setup();
    const start = worker(node, [], 'x');
    const never = (await rejection(Supervisor.start(node, { children: [{ id: 'a', start, restart: 'transient', significant: true }] }))) as StartError;
    expect(format(never.reason)).toBe('{start_spec,{bad_combination,[{auto_shutdown,never},{significant,true}]}}');
    const perm = (await rejection(Supervisor.start(node, { autoShutdown: 'any_significant', children: [{ id: 'a', start, significant: true }] }))) as StartError;
    expect(format(perm.reason)).toBe('{start_spec,{bad_combination,[{restart,permanent},{significant,true}]}}');
  });
});

describe('nesting', () => {
  async function tree(node: Node, log: string[]) {
    return Supervisor.start(node, {
      strategy: 'one_for_one',
      children: [
        { id: 'top_worker', start: worker(node, log, 'top_worker') },
        {
          id: 'sub',
          type: 'supervisor',
          start: (parent) =>
            Supervisor.start(node, { strategy: 'one_for_all', children: ['x', 'y'].map((id) => ({ id, start: worker(node, log, id) })) }, { link: parent }),
        },
        { id: 'last', start: worker(node, log, 'last') },
      ],
    });
  }

  it('a crash inside the subtree is handled there; the top supervisor sees nothing', async () => {
    const node = await setup();
    const log: string[] = [];
    const top = await tree(node, log);
    const subPid = pidOf(top, 'sub') as Pid;
    expect(log).toEqual(['start top_worker', 'start x', 'start y', 'start last']);
    // Reach the subtree's child through Erlang's API on the sub supervisor.
    const rows = (await node.call(subPid, atom('which_children'))) as { elements: unknown[] }[];
    send(node, rows[0]!.elements[1] as Pid, atom('crash'));
    await until(() => log.length === 7);
    expect(log.slice(4)).toEqual(['stop y', 'start x', 'start y']);
    expect(pidOf(top, 'sub')).toEqual(subPid);
    await top.stop();
  });

  it('a subtree that dies is restarted whole by its parent; stopping the tree stops leaves before their supervisors, in reverse order', async () => {
    const node = await setup();
    const log: string[] = [];
    const top = await tree(node, log);
    node.exit(pidOf(top, 'sub') as Pid, atom('kill'));
    await until(() => log.length === 8 && pidOf(top, 'sub') instanceof Pid);
    // Killed, the sub supervisor could not stop x and y: they got its EXIT (killed) and ended; then the new sub started both.
    expect(log.slice(4)).toEqual(['stop x', 'stop y', 'start x', 'start y']);
    log.length = 0;
    await top.stop();
    expect(log).toEqual(['stop last', 'stop y', 'stop x', 'stop top_worker']);
  });
});

describe('two nodes in one process', () => {
  it('a supervisor restarts a child that runs on another node, linked over the connection', async () => {
    const carrier = new MemoryCarrier();
    const a = await setup(carrier);
    const b = await setup(carrier);
    const log: string[] = [];
    const sup = await Supervisor.start(a, { children: [{ id: 'remote', start: () => b.spawn(async (self) => { log.push('start'); await self.receive(); throw new Error('remote crash'); }) }] });
    const first = pidOf(sup, 'remote') as Pid;
    expect(first.node.name).toBe(b.name);
    b.send(first, atom('go'));
    await until(() => log.length === 2);
    const second = pidOf(sup, 'remote') as Pid;
    expect(second.node.name).toBe(b.name);
    expect(second).not.toEqual(first);
    const watch = b.monitor(second);
    await sup.stop();
    expect(await watch.down).toBe(atom('shutdown'));
  });
});
