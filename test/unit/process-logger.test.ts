// Crash reports: a process that dies of an error is reported through the table's logger, as OTP's emulator reports
// "Error in process ... with exit value: ..."; exit(Reason), kill, a linked death and a normal end are not.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { atom, exit, Node, silentLogger, stderrLogger, type Logger, type LogLevel } from '../../runtime/index.js';
import { ProcessTable } from '../../runtime/process/index.js';

interface Entry {
  level: LogLevel;
  message: string;
  report: Readonly<Record<string, unknown>> | undefined;
}

function capture(): { logger: Logger; entries: Entry[] } {
  const entries: Entry[] = [];
  return { entries, logger: { log: (level, message, report) => void entries.push({ level, message, report }) } };
}

const table = (logger?: Logger) => new ProcessTable({ name: atom('ts@host'), creation: 1 }, logger === undefined ? {} : { logger });

/** Captures what is written to stderr while it runs. */
function stderrLines(): { text: () => string } {
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return { text: () => spy.mock.calls.map((c) => String(c[0])).join('') };
}

afterEach(() => void vi.restoreAllMocks());

describe('crash reports', () => {
  it('a process that throws logs one report: pid, registered name, reason and the JS stack', async () => {
    const { logger, entries } = capture();
    const t = table(logger);
    const p = t.spawn(async (self) => {
      self.register(atom('worker'));
      await Promise.resolve();
      throw new TypeError('boom in worker');
    });
    await p.exited;
    expect(entries).toHaveLength(1);
    const [e] = entries as [Entry];
    expect(e.level).toBe('error');
    expect(e.report).toMatchObject({ pid: p.pid.toString(), registeredName: 'worker', reason: '{error,<<"TypeError: boom in worker">>}' });
    const stack = e.report?.stack as string;
    expect(stack).toMatch(/^TypeError: boom in worker\n\s+at /);
    expect(stack).toContain('process-logger.test.ts');
    expect(e.message).toBe(
      `Error in process ${p.pid.toString()} (registered as worker) on node ts@host with exit value:\n{error,<<"TypeError: boom in worker">>}\n${stack}`,
    );
  });

  it('a synchronous throw, a thrown non-Error, a spawnHandler handler and a spawnTask task are reported too', async () => {
    const { logger, entries } = capture();
    const t = table(logger);
    const sync = t.spawn(() => {
      throw new RangeError('sync');
    });
    const str = t.spawn(async () => {
      throw 'just a string'; // eslint-disable-line no-throw-literal
    });
    const handler = t.spawnHandler(() => () => {
      throw new Error('in handler');
    });
    t.send(handler.pid, atom('go'));
    const task = t.spawnTask(async () => {
      throw new Error('in task');
    });
    await Promise.all([sync.exited, str.exited, handler.exited, task.exited]);
    const byPid = new Map(entries.map((e) => [e.report?.pid, e]));
    expect(entries).toHaveLength(4);
    expect([sync, handler, str, task].map((p) => byPid.get(p.pid.toString())?.report?.reason)).toEqual([
      '{error,<<"RangeError: sync">>}',
      '{error,<<"Error: in handler">>}',
      '{error,<<"just a string">>}',
      '{error,<<"Error: in task">>}',
    ]);
    for (const e of entries) expect(e.report).not.toHaveProperty('registeredName');
    // A thrown string has no stack: the report says what it can.
    const s = byPid.get(str.pid.toString())!;
    expect(s.report).not.toHaveProperty('stack');
    expect(byPid.get(task.pid.toString())!.report?.stack).toMatch(/^Error: in task\n/);
    expect(s.message).toBe(`Error in process ${str.pid.toString()} on node ts@host with exit value:\n{error,<<"just a string">>}`);
  });

  it('exit(Reason), self.exit, kill, a linked death and a normal end log nothing; the crash that caused them does', async () => {
    const { logger, entries } = capture();
    const t = table(logger);
    const ends = [
      t.spawn(() => exit(atom('shutdown'))),
      t.spawn(async (self) => self.exit(atom('bye'))),
      t.spawn(() => {}),
      t.spawn(async () => 42),
    ];
    const victim = t.spawn(async (self) => void (await self.receive()));
    await Promise.resolve();
    t.exit(victim.pid, atom('kill'));
    const parent = t.spawn(async (self) => void (await self.receive()));
    const child = t.spawnLink(parent.pid, async () => {
      throw new Error('child crash');
    });
    await Promise.all([...ends, victim, parent, child].map((p) => p.exited));
    expect(names([...ends, victim].map((p) => p.reason))).toEqual(['shutdown', 'bye', 'normal', 'normal', 'killed']);
    expect(entries.map((e) => e.report?.pid)).toEqual([child.pid.toString()]);
  });

  it('the default logger writes error reports to stderr under OTP’s header and drops info and debug', async () => {
    const out = stderrLines();
    const t = table();
    await t.spawn(async () => {
      throw new Error('to stderr');
    }).exited;
    expect(out.text()).toMatch(/^=ERROR REPORT==== \d{4}-\d\d-\d\dT[\d:.]+Z ===\nError in process <ts@host\.\d+\.\d+> on node ts@host with exit value:\n\{error,<<"Error: to stderr">>\}\nError: to stderr\n\s+at /);
    const before = out.text().length;
    stderrLogger.log('info', 'not shown');
    stderrLogger.log('debug', 'not shown');
    expect(out.text().length).toBe(before);
    stderrLogger.log('warning', 'shown');
    expect(out.text().slice(before)).toMatch(/^=WARNING REPORT==== .* ===\nshown\n$/);
  });

  it('a logger that throws does not break the table: the process still ends and the report reaches stderr', async () => {
    const out = stderrLines();
    const t = table({
      log: () => {
        throw new Error('logger down');
      },
    });
    const p = t.spawn(async () => {
      throw new Error('crash');
    });
    await p.exited;
    expect(p.alive).toBe(false);
    expect(out.text()).toContain('(the logger threw: logger down)');
    expect(silentLogger.log('error', 'x')).toBeUndefined();
  });

  it("Node: logger 'silent' drops crash reports, a Logger receives them", async () => {
    const out = stderrLines();
    const { logger, entries } = capture();
    const silent = await Node.start({ name: 'tssilent@127.0.0.1', cookie: 'c', epmd: { mode: 'embedded', port: 0 }, logger: 'silent' });
    const logged = await Node.start({ name: 'tslogged@127.0.0.1', cookie: 'c', epmd: { mode: 'external', port: silent.epmdPort }, logger });
    try {
      const crash = async () => {
        throw new Error('node crash');
      };
      await silent.spawn(crash).exited;
      const p = logged.spawn(crash);
      await p.exited;
      expect(out.text()).not.toContain('Error in process');
      expect(entries.map((e) => e.report?.pid)).toEqual([p.pid.toString()]);
      expect(entries[0]!.message).toContain('on node tslogged@127.0.0.1 with exit value');
    } finally {
      await logged.stop();
      await silent.stop();
    }
  });
});

function names(reasons: unknown[]): string[] {
  return reasons.map((r) => (r as { name: string }).name);
}
