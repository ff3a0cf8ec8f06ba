// Supervisor (runtime/behaviours/), checked against supervisor.erl's semantics inside one node: start order and
// reverse stop order, the three strategies, restart types, restart intensity, shutdown timeouts and brutal_kill,
// start failures, ignore, and the child API (startChild, terminateChild, restartChild, deleteChild).
import { afterEach, describe, expect, it } from 'vitest';
import { atom, format, Pid, StartError, Supervisor, SupervisorError, tuple, type Node } from '../../runtime/index.js';
import { keepingLogger, memoryNode, rejection, send, until, worker } from '../support/behaviours.js';

let node: Node;
let logger: ReturnType<typeof keepingLogger>;
afterEach(async () => {
  await node?.stop();
});

async function setup(): Promise<void> {
  logger = keepingLogger();
  node = await memoryNode(logger);
}

const pidOf = (sup: Supervisor, id: string) => sup.whichChildren().find((c) => c.id === id)?.pid;
const reports = (context: string) => logger.lines.filter((l) => l.report?.['errorContext'] === context);

describe('start and stop order', () => {
  it('starts children in order and stops them in reverse order', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      children: ['a', 'b', 'c'].map((id) => ({ id, start: worker(node, log, id) })),
    });
    expect(log).toEqual(['start a', 'start b', 'start c']);
    expect(sup.whichChildren().map((c) => [c.id, c.pid instanceof Pid, c.type])).toEqual([
      ['a', true, 'worker'],
      ['b', true, 'worker'],
      ['c', true, 'worker'],
    ]);
    await sup.stop();
    expect(log.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
    expect(await sup.exited).toBe(atom('normal'));
  });

  it('node.stop() stops a supervisor started without a parent as sup.stop does: children in reverse order', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { children: ['a', 'b'].map((id) => ({ id, start: worker(node, log, id) })) });
    await node.stop();
    expect(log).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(await sup.exited).toBe(atom('shutdown'));
  });

  it('a child that fails to start stops those started before it: StartError {shutdown, {failed_to_start_child, Id, Reason}}', async () => {
    await setup();
    const log: string[] = [];
    const e = await rejection(
      Supervisor.start(node, {
        children: [
          { id: 'a', start: worker(node, log, 'a') },
          {
            id: 'b',
            start: () => {
              throw new Error('no config');
            },
          },
          { id: 'c', start: worker(node, log, 'c') },
        ],
      }),
    );
    expect(e).toBeInstanceOf(StartError);
    expect((e as StartError).code).toBe('START_FAILED');
    expect(format((e as StartError).reason)).toBe('{shutdown,{failed_to_start_child,b,{error,<<"Error: no config">>}}}');
    expect(log).toEqual(['start a', 'stop a']);
    expect(reports('start_error')[0]!.message).toContain('no config');
  });

  it('a child that says ignore keeps its spec without a pid; a temporary one is dropped', async () => {
    await setup();
    const sup = await Supervisor.start(node, {
      children: [
        { id: 'kept', start: () => 'ignore' as const },
        { id: 'gone', start: () => 'ignore' as const, restart: 'temporary' },
      ],
    });
    expect(sup.whichChildren()).toEqual([{ id: 'kept', pid: undefined, type: 'worker', modules: [] }]);
    expect(sup.countChildren()).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 1 });
    await sup.stop();
  });

  it('rejects bad flags and specs with OTP reasons', async () => {
    await setup();
    const bad = async (spec: Parameters<typeof Supervisor.start>[1]) => format(((await rejection(Supervisor.start(node, spec))) as StartError).reason);
    const start = worker(node, [], 'x');
    expect(await bad({ intensity: -1, children: [] })).toBe('{supervisor_data,{invalid_intensity,<<"-1">>}}');
    expect(await bad({ strategy: 'one_for_none' as never, children: [] })).toBe('{supervisor_data,{invalid_strategy,<<"one_for_none">>}}');
    expect(await bad({ children: [{ id: 'a', start }, { id: 'a', start }] })).toBe('{start_spec,{duplicate_child_name,a}}');
    expect(await bad({ children: [{ id: 'a', start, restart: 'sometimes' as never }] })).toBe('{start_spec,{invalid_restart_type,<<"sometimes">>}}');
    expect(await bad({ children: [{ id: 'a', start, shutdown: -5 }] })).toBe('{start_spec,{invalid_shutdown,<<"-5">>}}');
    expect(await bad({ strategy: 'simple_one_for_one', children: [] })).toBe('{bad_start_spec,[]}');
  });
});

describe('strategies', () => {
  it('one_for_one: only the crashed child restarts, and the crash is reported with its reason', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { strategy: 'one_for_one', children: ['a', 'b'].map((id) => ({ id, start: worker(node, log, id) })) }, { name: 'sup1' });
    const [a, b] = [pidOf(sup, 'a'), pidOf(sup, 'b')];
    send(node, a, atom('crash'));
    await until(() => log.length === 3);
    expect(log).toEqual(['start a', 'start b', 'start a']);
    expect(pidOf(sup, 'a')).not.toEqual(a);
    expect(pidOf(sup, 'b')).toEqual(b);
    const [report] = reports('child_terminated');
    expect(report!.report).toMatchObject({ supervisor: '{local,sup1}', reason: '{error,<<"Error: a crashed">>}' });
    expect(report!.message).toContain('errorContext: child_terminated');
    expect(report!.message).toContain('offender: [{pid,');
    await sup.stop();
  });

  it('one_for_all: a crash stops the others (reverse order) and starts all again in order', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { strategy: 'one_for_all', children: ['a', 'b', 'c'].map((id) => ({ id, start: worker(node, log, id) })) });
    send(node, pidOf(sup, 'b'), atom('crash'));
    await until(() => log.length === 8);
    expect(log.slice(3)).toEqual(['stop c', 'stop a', 'start a', 'start b', 'start c']);
    await sup.stop();
  });

  it('rest_for_one: a crash restarts that child and those started after it, not those before', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { strategy: 'rest_for_one', children: ['a', 'b', 'c', 'd'].map((id) => ({ id, start: worker(node, log, id) })) });
    const a = pidOf(sup, 'a');
    send(node, pidOf(sup, 'b'), atom('crash'));
    await until(() => log.length === 9);
    expect(log.slice(4)).toEqual(['stop d', 'stop c', 'start b', 'start c', 'start d']);
    expect(pidOf(sup, 'a')).toEqual(a);
    await sup.stop();
  });

  it('a restart whose start fails shows the child as restarting and is tried again', async () => {
    await setup();
    const log: string[] = [];
    let failures = 2;
    const start = worker(node, log, 'a');
    const sup = await Supervisor.start(node, {
      intensity: 10,
      children: [
        {
          id: 'a',
          start: (s) => {
            if (log.length > 0 && failures-- > 0) throw new Error('not yet');
            return start(s);
          },
        },
      ],
    });
    send(node, pidOf(sup, 'a'), atom('crash'));
    await until(() => log.length === 2);
    expect(pidOf(sup, 'a')).toBeInstanceOf(Pid);
    expect(reports('start_error')).toHaveLength(2);
    await sup.stop();
  });
});

describe('restart types', () => {
  it('permanent restarts after any end, normal included', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { children: [{ id: 'p', start: worker(node, log, 'p'), restart: 'permanent' }] });
    send(node, pidOf(sup, 'p'), atom('quit'));
    await until(() => log.length === 2);
    expect(reports('child_terminated')[0]!.report).toMatchObject({ reason: 'normal' });
    await sup.stop();
  });

  it('transient restarts after a crash, not after normal, shutdown or {shutdown, _}', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      intensity: 5,
      children: ['t1', 't2', 't3', 't4'].map((id) => ({ id, start: worker(node, log, id), restart: 'transient' as const })),
    });
    send(node, pidOf(sup, 't1'), atom('crash'));
    send(node, pidOf(sup, 't2'), atom('quit'));
    send(node, pidOf(sup, 't3'), tuple(atom('exit'), atom('shutdown')));
    send(node, pidOf(sup, 't4'), tuple(atom('exit'), tuple(atom('shutdown'), atom('done'))));
    await until(() => sup.countChildren().active === 1 && log.length === 5);
    expect(log.slice(4)).toEqual(['start t1']);
    expect(sup.whichChildren().map((c) => [c.id, c.pid instanceof Pid])).toEqual([
      ['t1', true],
      ['t2', false],
      ['t3', false],
      ['t4', false],
    ]);
    await sup.stop();
  });

  it('temporary never restarts and its spec goes, also when a sibling takes it down under one_for_all', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      strategy: 'one_for_all',
      children: [
        { id: 'tmp', start: worker(node, log, 'tmp'), restart: 'temporary' },
        { id: 'tmp2', start: worker(node, log, 'tmp2'), restart: 'temporary' },
        { id: 'perm', start: worker(node, log, 'perm') },
      ],
    });
    send(node, pidOf(sup, 'tmp'), atom('crash'));
    await until(() => sup.whichChildren().length === 2);
    expect(log).toEqual(['start tmp', 'start tmp2', 'start perm']);
    send(node, pidOf(sup, 'perm'), atom('crash'));
    await until(() => log.length === 5);
    expect(log.slice(3)).toEqual(['stop tmp2', 'start perm']);
    expect(sup.whichChildren().map((c) => c.id)).toEqual(['perm']);
    await sup.stop();
  });
});

describe('restart intensity', () => {
  it('OTP defaults (1 restart in 5 s): the second crash ends the supervisor with shutdown after stopping the others', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { children: ['a', 'b'].map((id) => ({ id, start: worker(node, log, id) })) });
    send(node, pidOf(sup, 'a'), atom('crash'));
    await until(() => log.length === 3);
    send(node, pidOf(sup, 'a'), atom('crash'));
    expect(await sup.exited).toBe(atom('shutdown'));
    expect(log.slice(3)).toEqual(['stop b']);
    expect(reports('shutdown')[0]!.report).toMatchObject({ reason: 'reached_max_restart_intensity' });
  });

  it('intensity 3: three restarts are taken, the fourth within the period is not', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { intensity: 3, period: 5, children: [{ id: 'a', start: worker(node, log, 'a') }] });
    for (let i = 1; i <= 3; i++) {
      send(node, pidOf(sup, 'a'), atom('crash'));
      await until(() => log.length === i + 1);
    }
    expect(sup.countChildren().active).toBe(1);
    send(node, pidOf(sup, 'a'), atom('crash'));
    expect(await sup.exited).toBe(atom('shutdown'));
  });

  it('restarts older than the period do not count', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { intensity: 1, period: 1, children: [{ id: 'a', start: worker(node, log, 'a') }] });
    send(node, pidOf(sup, 'a'), atom('crash'));
    await until(() => log.length === 2);
    await new Promise((r) => setTimeout(r, 1100));
    send(node, pidOf(sup, 'a'), atom('crash'));
    await until(() => log.length === 3);
    expect(sup.countChildren().active).toBe(1);
    await sup.stop();
  });
});

describe('shutdown', () => {
  it('a child that ignores shutdown is killed after its shutdown time, reported as a shutdown_error', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { children: [{ id: 'deaf', start: worker(node, log, 'deaf', { deaf: true }), shutdown: 200 }] });
    const child = pidOf(sup, 'deaf') as Pid;
    const watch = node.monitor(child);
    const t0 = Date.now();
    await sup.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(await watch.down).toBe(atom('killed'));
    expect(reports('shutdown_error')[0]!.report).toMatchObject({ reason: 'killed' });
  });

  it('brutal_kill kills at once, even a child that traps exits', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { children: [{ id: 'k', start: worker(node, log, 'k'), shutdown: 'brutal_kill' }] });
    const watch = node.monitor(pidOf(sup, 'k') as Pid);
    await sup.stop();
    expect(await watch.down).toBe(atom('killed'));
    expect(log).toEqual(['start k']); // it never saw a shutdown
    expect(reports('shutdown_error')).toHaveLength(0);
  });

  it('infinity waits for the child to finish its cleanup', async () => {
    await setup();
    const sup = await Supervisor.start(node, {
      children: [
        {
          id: 'slow',
          shutdown: 'infinity',
          start: (s) =>
            node.spawnLink(s, async (self) => {
              self.trapExit(true);
              await self.receive();
              await new Promise((r) => setTimeout(r, 300));
              return self.exit(atom('shutdown'));
            }),
        },
      ],
    });
    const t0 = Date.now();
    await sup.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(reports('shutdown_error')).toHaveLength(0);
  });
});

describe('the child API', () => {
  it('startChild, terminateChild, restartChild, deleteChild with OTP answers', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { children: [{ id: 'a', start: worker(node, log, 'a') }] });
    const b = await sup.startChild({ id: 'b', start: worker(node, log, 'b') });
    expect(b).toBeInstanceOf(Pid);
    expect(sup.whichChildren().map((c) => c.id)).toEqual(['a', 'b']);
    const dup = (await rejection(sup.startChild({ id: 'b', start: worker(node, log, 'b') }))) as SupervisorError;
    expect([dup.code, format(dup.reason)]).toEqual(['ALREADY_STARTED', `{already_started,${format(b!)}}`]);
    expect(((await rejection(sup.restartChild('b'))) as SupervisorError).code).toBe('RUNNING');
    expect(((await rejection(sup.deleteChild('b'))) as SupervisorError).code).toBe('RUNNING');
    await sup.terminateChild('b');
    expect(log).toEqual(['start a', 'start b', 'stop b']);
    expect(pidOf(sup, 'b')).toBeUndefined();
    expect(((await rejection(sup.startChild({ id: 'b', start: worker(node, log, 'b') }))) as SupervisorError).code).toBe('ALREADY_PRESENT');
    const again = await sup.restartChild('b');
    expect(again).toBeInstanceOf(Pid);
    await sup.terminateChild('b');
    await sup.deleteChild('b');
    expect(sup.whichChildren().map((c) => c.id)).toEqual(['a']);
    expect(((await rejection(sup.terminateChild('nope'))) as SupervisorError).code).toBe('NOT_FOUND');
    expect(((await rejection(sup.startChild({ id: '', start: worker(node, log, 'x') }))) as SupervisorError).code).toBe('BAD_SPEC');
    const failed = (await rejection(
      sup.startChild({
        id: 'f',
        start: () => {
          throw new Error('nope');
        },
      }),
    )) as SupervisorError;
    expect([failed.code, format(failed.reason)]).toEqual(['START_FAILED', '{error,<<"Error: nope">>}']);
    await sup.stop();
    // A stopped supervisor: its calls fail as gen_server calls do (noproc).
    expect(format(((await rejection(sup.restartChild('a'))) as { reason: unknown }).reason as never)).toBe('noproc');
  });

  it('countChildren counts specs, running children, supervisors and workers', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      children: [
        { id: 'w', start: worker(node, log, 'w') },
        { id: 'i', start: () => 'ignore' as const },
        { id: 's', type: 'supervisor', start: (p) => Supervisor.start(node, { children: [] }, { link: p }) },
      ],
    });
    expect(sup.countChildren()).toEqual({ specs: 3, active: 2, supervisors: 1, workers: 2 });
    expect(sup.whichChildren().find((c) => c.id === 's')!.modules).toEqual(['supervisor']);
    await sup.stop();
  });
});

describe('hostile requests', () => {
  it('calls and messages it does not know are answered or logged, and the supervisor goes on', async () => {
    await setup();
    const sup = await Supervisor.start(node, { children: [{ id: 'a', start: worker(node, [], 'a') }] });
    expect(format(await node.call(sup.pid, tuple(atom('what'), 1, 2)))).toBe('{error,{unknown_call,{what,1,2}}}');
    expect(format(await node.call(sup.pid, tuple(atom('terminate_child'), 42)))).toBe('{error,not_found}');
    expect(format(await node.call(sup.pid, tuple(atom('$beamwire_op'), 999)))).toBe('ok');
    expect(format(await node.call(sup.pid, tuple(atom('start_child'), [1])))).toContain('notsup');
    node.send(sup.pid, atom('noise'));
    node.cast(sup.pid, atom('noise'));
    node.send(sup.pid, tuple(atom('EXIT'), sup.pid, atom('not_a_child')));
    expect(sup.countChildren()).toEqual({ specs: 1, active: 1, supervisors: 0, workers: 1 });
    expect(format(await node.call(sup.pid, atom('count_children')))).toBe('[{specs,1},{active,1},{supervisors,0},{workers,1}]');
    expect(logger.lines.filter((l) => l.message.includes('Supervisor received unexpected')).length).toBe(3);
    await sup.stop();
  });
});

describe('dynamic mode (simple_one_for_one)', () => {
  it('startChild(args) starts one from the template; whichChildren has no ids; terminateChild takes a pid', async () => {
    await setup();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      strategy: 'simple_one_for_one',
      intensity: 5,
      children: [{ id: 'tpl', start: (s: Pid, name: string) => worker(node, log, name)(s) }],
    });
    expect(sup.countChildren()).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 0 });
    const p1 = await sup.startChild(['one']);
    await sup.startChild(['two']);
    expect(sup.whichChildren().map((c) => c.id)).toEqual([undefined, undefined]);
    expect(sup.countChildren()).toEqual({ specs: 1, active: 2, supervisors: 0, workers: 2 });
    // A crash restarts it with the same arguments.
    send(node, p1, atom('crash'));
    await until(() => log.length === 3);
    expect(log[2]).toBe('start one');
    expect(((await rejection(sup.restartChild('tpl'))) as SupervisorError).code).toBe('SIMPLE_ONE_FOR_ONE');
    expect(((await rejection(sup.terminateChild('tpl'))) as SupervisorError).code).toBe('SIMPLE_ONE_FOR_ONE');
    const two = sup.whichChildren().map((c) => c.pid as Pid)[0]!;
    await sup.terminateChild(two);
    expect(sup.countChildren().active).toBe(1);
    await sup.stop();
    expect(log.filter((l) => l.startsWith('stop'))).toHaveLength(2);
  });
});
