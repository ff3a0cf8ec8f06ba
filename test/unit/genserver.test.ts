// GenServer (runtime/behaviours/gen-server.ts) inside one node: typed call/cast/info, init's timeout, continue,
// stop and ignore, handleContinue, formatStatus in sys:get_status, gen_server's call semantics (timeout, noproc,
// the server's exit reason), a linked start whose parent exits, a GenServer under a Supervisor, and Task.
import { afterEach, describe, expect, it } from 'vitest';
import {
  atom,
  CallTimeoutError,
  format,
  MemoryCarrier,
  GenServer,
  on,
  P,
  Pid,
  RpcError,
  StartError,
  Supervisor,
  toCharlist,
  Task,
  TaskError,
  tuple,
  type CallResult,
  type From,
  type InitResult,
  type Next,
  type Node,
  type Term,
} from '../../runtime/index.js';
import { keepingLogger, memoryNode, rejection, until } from '../support/behaviours.js';

let node: Node;
let logger: ReturnType<typeof keepingLogger>;
afterEach(async () => {
  await node?.stop();
});
async function setup(): Promise<void> {
  logger = keepingLogger();
  node = await memoryNode(logger);
}

type CounterCall = 'get' | 'bump' | 'slow' | 'crash';
class Counter extends GenServer<number, CounterCall, 'reset', number> {
  static events: string[] = [];
  init(start: number): InitResult<number> {
    return { state: start };
  }
  async handleCall(req: CounterCall, _from: From, n: number): Promise<CallResult<number>> {
    if (req === 'bump') return { reply: n + 1, state: n + 1 };
    if (req === 'slow') {
      await new Promise((r) => setTimeout(r, 200));
      return { reply: n, state: n };
    }
    if (req === 'crash') throw new Error('counter broke');
    return { reply: n, state: n };
  }
  handleCast(_req: 'reset'): Next<number> {
    return { state: 0 };
  }
  handleInfo(m: Term, n: number): Next<number> {
    Counter.events.push(`info ${format(m)}`);
    return { state: n };
  }
  terminate(reason: Term): void {
    Counter.events.push(`terminate ${format(reason)}`);
  }
}

/** What sys:get_status answers, asked as sys does: `{system, {Pid, Tag}, get_status}`. */
async function sysGetStatus(pid: Pid): Promise<Term> {
  let status: Term = atom('none');
  const p = node.spawn(async (self) => {
    const tag = self.makeRef();
    self.send(pid, tuple(atom('system'), tuple(self.pid, tag), atom('get_status')));
    status = await self.receive(on(P.tuple(P.ref(tag), P.bind('s')), ({ s }) => s));
  });
  await p.exited;
  return status;
}

describe('GenServer', () => {
  it('start, typed call/cast/info, stop with terminate', async () => {
    await setup();
    Counter.events = [];
    const c = await Counter.start(node, 5, { name: 'counter' });
    expect(node.whereis('counter')).toEqual(c.pid);
    expect(await c.call('bump')).toBe(6);
    c.cast('reset');
    expect(await c.call('get')).toBe(0);
    node.send(c.pid, atom('hello'));
    expect(await node.call('counter', 'bump')).toBe(1); // by name
    await c.stop();
    expect(Counter.events).toEqual(['info hello', 'terminate normal']);
    expect(await c.exited).toBe(atom('normal'));
  });

  it('node.stop() stops a GenServer started without a parent with shutdown, terminate first', async () => {
    await setup();
    Counter.events = [];
    const c = await Counter.start(node, 1);
    await node.stop();
    expect(Counter.events).toEqual(['terminate shutdown']);
    expect(await c.exited).toBe(atom('shutdown'));
  });

  it('call semantics: timeout, noproc, and the reason of a server that crashed on the call', async () => {
    await setup();
    const c = await Counter.start(node, 0);
    const slow = (await rejection(c.call('slow', { timeout: 50 }))) as CallTimeoutError;
    expect(slow).toBeInstanceOf(CallTimeoutError);
    const crashed = (await rejection(c.call('crash'))) as RpcError;
    expect([crashed.class, format(crashed.reason)]).toEqual(['exit', '{error,<<"Error: counter broke">>}']);
    const gone = (await rejection(c.call('get'))) as RpcError;
    expect([gone.class, format(gone.reason)]).toEqual(['exit', 'noproc']);
  });

  it('a call to a GenServer on a node that goes down rejects with {nodedown, Node}', async () => {
    await setup();
    const carrier = new MemoryCarrier();
    const a = await memoryNode(keepingLogger(), carrier);
    const b = await memoryNode(keepingLogger(), carrier);
    try {
      class Mute extends GenServer<number> {
        handleCall(req: Term, _from: From, n: number): CallResult<number> {
          return req === atom('ping') ? { reply: atom('pong'), state: n } : { noreply: true, state: n };
        }
      }
      const remote = await Mute.start(b, undefined, { name: 'far' });
      expect(await a.call(['far', b.name], atom('ping'))).toBe(atom('pong'));
      const pending = a.call(remote.pid, atom('wait'), { timeout: 5000 });
      await new Promise((r) => setTimeout(r, 20));
      b.disconnect(a.name);
      const e = (await rejection(pending)) as RpcError;
      expect([e.class, format(e.reason)]).toEqual(['exit', `{nodedown,${b.name}}`]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("init's timeout sends handleInfo('timeout'); init's continue runs handleContinue before any message", async () => {
    await setup();
    const seen: string[] = [];
    class Late extends GenServer<string> {
      init(mode: 'timeout' | 'continue'): InitResult<string> {
        return mode === 'timeout' ? { state: 'waiting', timeout: 20 } : { state: 'fresh', continue: atom('load') };
      }
      handleContinue(c: Term, s: string): Next<string> {
        seen.push(`continue ${format(c)} in ${s}`);
        return { state: 'loaded' };
      }
      handleInfo(m: Term, s: string): Next<string> {
        seen.push(`info ${format(m)} in ${s}`);
        return { state: s };
      }
      handleCall(_r: Term, _f: From, s: string): CallResult<string> {
        seen.push(`call in ${s}`);
        return { reply: s, state: s };
      }
    }
    const t = await Late.start(node, 'timeout');
    await until(() => seen.length === 1);
    expect(seen).toEqual(['info timeout in waiting']);
    const c = await Late.start(node, 'continue');
    expect(await c.call(atom('x'))).toBe('loaded');
    expect(seen.slice(1)).toEqual(['continue load in fresh', 'call in loaded']);
    await Promise.all([t.stop(), c.stop()]);
  });

  it('init stop, ignore and a taken name reject with StartError and leave no process', async () => {
    await setup();
    class Picky extends GenServer<number> {
      init(mode: string): InitResult<number> {
        if (mode === 'stop') return { stop: atom('no_config') };
        if (mode === 'ignore') return { ignore: true };
        if (mode === 'throw') throw new Error('bad init');
        return { state: 1 };
      }
    }
    const before = (await rejection(Picky.start(node, 'stop'))) as StartError;
    expect([before.code, format(before.reason)]).toEqual(['START_FAILED', 'no_config']);
    expect(((await rejection(Picky.start(node, 'ignore'))) as StartError).code).toBe('IGNORED');
    expect(format(((await rejection(Picky.start(node, 'throw'))) as StartError).reason)).toBe('{error,<<"Error: bad init">>}');
    const first = await Picky.start(node, 'ok', { name: 'picky' });
    const taken = (await rejection(Picky.start(node, 'ok', { name: 'picky' }))) as StartError;
    expect([taken.code, format(taken.reason)]).toEqual(['ALREADY_STARTED', `{already_started,${format(first.pid)}}`]);
    await first.stop();
  });

  it('formatStatus shapes what sys:get_status shows; Parent is the process it was started linked to', async () => {
    await setup();
    class Secret extends GenServer<{ password: string; user: string }> {
      init(): InitResult<{ password: string; user: string }> {
        this.self.trapExit(true);
        return { state: { password: 'hunter2', user: 'ann' } };
      }
      formatStatus(s: { password: string; user: string }): unknown {
        return { ...s, password: '***' };
      }
      terminate(reason: Term): void {
        terminated.push(format(reason));
      }
    }
    const terminated: string[] = [];
    const parent = node.spawn(async (self) => {
      self.trapExit(true);
      await self.receive(on(atom('die'), () => null));
      return self.exit(atom('parent_gone'));
    });
    const s = await Secret.start(node, undefined, { name: 'secret', link: parent.pid });
    const status = format(await sysGetStatus(s.pid));
    expect(status).toContain(`,#{password => <<"***">>,user => <<"ann">>}}]}]]}`);
    expect(status).toContain(`{module,gen_server},[[],running,${format(parent.pid)},[],`);
    expect(status).toContain(format(toCharlist('Status for generic server secret')));
    // The parent's exit ends it through terminate (gen_server:decode_msg/9), with the parent's reason.
    node.send(parent.pid, atom('die'));
    expect(await s.exited).toBe(atom('parent_gone'));
    expect(terminated).toEqual(['parent_gone']);
  });

  it('started by a child spec without link, it is still the supervisor\'s child: linked, parent, stopped through terminate', async () => {
    await setup();
    const stopped: string[] = [];
    class Careful extends GenServer<number> {
      init(): InitResult<number> {
        this.self.trapExit(true);
        return { state: 0 };
      }
      terminate(reason: Term): void {
        stopped.push(format(reason));
      }
    }
    const sup = await Supervisor.start(node, { children: [{ id: 'careful', start: () => Careful.start(node), shutdown: 2000 }] });
    const child = sup.whichChildren()[0]!.pid as Pid;
    expect(format(await sysGetStatus(child))).toContain(`[[],running,${format(sup.pid)},[],`);
    const t0 = Date.now();
    await sup.stop();
    expect(stopped).toEqual(['shutdown']);
    expect(Date.now() - t0).toBeLessThan(1000); // it stopped when asked, not killed after 2000 ms
  });

  it('under a Supervisor: a crash restarts it under its name; which_children names its class', async () => {
    await setup();
    const sup = await Supervisor.start(node, { children: [{ id: 'counter', start: (p) => Counter.start(node, 10, { name: 'sup_counter', link: p }) }] });
    const first = node.whereis('sup_counter')!;
    await rejection(node.call('sup_counter', 'crash'));
    await until(() => node.whereis('sup_counter') !== undefined && format(node.whereis('sup_counter')!) !== format(first));
    expect(await node.call('sup_counter', 'get')).toBe(10);
    expect(sup.whichChildren()[0]!.modules).toEqual(['Counter']);
    expect(logger.lines.some((l) => l.report?.['errorContext'] === 'child_terminated' && String(l.report['reason']).includes('counter broke'))).toBe(true);
    await sup.stop();
    expect(node.whereis('sup_counter')).toBeUndefined();
  });
});

describe('Task', () => {
  it('Task.async: await gives the value; a crash rejects with TaskError TASK_EXIT and the reason', async () => {
    await setup();
    expect(await Task.async(node, async () => 6 * 7)).toBe(42);
    const e = (await rejection(Promise.resolve(Task.async(node, () => {
      throw new Error('task broke');
    })))) as TaskError;
    expect([e.code, format(e.reason)]).toEqual(['TASK_EXIT', '{error,<<"Error: task broke">>}']);
  });

  it('Task.await with a timeout kills a task that takes longer', async () => {
    await setup();
    const t = Task.async(node, (self) => self.receive());
    const e = (await rejection(Task.await(t, 30))) as TaskError;
    expect(e.code).toBe('TASK_TIMEOUT');
    expect(await t.exited).toBe(atom('killed'));
  });

  it('Task.supervisor + Task.start: tasks are temporary children; a crash is reported; stopping the supervisor stops them', async () => {
    await setup();
    const tasks = await Task.supervisor(node, { name: 'tasks', shutdown: 'brutal_kill' });
    let ran = false;
    const done = await Task.start(tasks, () => (ran = true));
    expect(done).toBeInstanceOf(Pid);
    await until(() => ran && tasks.countChildren().active === 0);
    await Task.start(tasks, () => {
      throw new Error('job failed');
    });
    await until(() => logger.lines.some((l) => l.report?.['errorContext'] === 'child_terminated' && String(l.report['reason']).includes('job failed')));
    expect(tasks.countChildren().active).toBe(0); // temporary: not restarted
    const forever = await Task.start(tasks, (self) => self.receive());
    const watch = node.monitor(forever);
    expect(tasks.countChildren().active).toBe(1);
    await tasks.stop();
    expect(await watch.down).toBe(atom('killed'));
  });
});
