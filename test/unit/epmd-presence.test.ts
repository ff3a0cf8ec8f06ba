/**
 * Unit tier: EpmdPresence (runtime/epmd/presence.ts) against the embedded
 * EPMD over loopback: start-up per mode, registering again after the EPMD
 * goes away (and taking its port over in 'auto'), NAME_TAKEN retried,
 * close() leaving nothing that keeps a process alive.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { EpmdClient, EpmdPresence, EpmdServer, type EpmdError, type EpmdPresenceOptions, type PresenceInfo, type Registration } from '../../runtime/epmd/index.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});


async function server(port: number): Promise<EpmdServer> {
  const s = await EpmdServer.start({ port, host: '0.0.0.0' });
  cleanup.push(() => s.close());
  return s;
}

/** A presence whose events and debug lines are recorded, closed after the test. */
async function presence(options: Omit<EpmdPresenceOptions, 'port'> & { port?: number }) {
  const lines: string[] = [];
  const events: (['lost', EpmdError] | ['registered', PresenceInfo])[] = [];
  const p = await EpmdPresence.start({ port: 5555, ...options, debug: (l) => lines.push(l) });
  cleanup.push(() => p.close());
  p.on('lost', (e) => events.push(['lost', e]));
  p.on('registered', (i) => events.push(['registered', i]));
  return { p, lines, events, next: <E extends 'lost' | 'registered'>(event: E) => once(p, event) };
}

function once<E extends 'lost' | 'registered'>(p: EpmdPresence, event: E, ms = 5000): Promise<E extends 'lost' ? EpmdError : PresenceInfo> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    p.once(event, ((v: never) => (clearTimeout(timer), resolve(v))) as never);
  });
}

const names = async (port: number): Promise<string[]> => (await new EpmdClient({ port }).names()).nodes.map((n) => n.name).sort();
const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('EpmdPresence.start', () => {
  it("'embedded' with port 0 runs the embedded EPMD on a free port and registers there", async () => {
    const { p } = await presence({ name: 'solo', port: 4242, mode: 'embedded', epmdPort: 0 });
    expect(p.epmdPort).toBeGreaterThan(0);
    expect(p.ownsEpmd).toBe(true);
    expect(p.registered).toBe(true);
    expect(p.creation).toBeGreaterThan(3);
    expect(p.latestCreation).toBe(p.creation);
    const info = await new EpmdClient({ port: p.epmdPort }).portPlease('solo');
    expect(info?.port).toBe(4242);
  });

  it("'auto' with port 0 runs the embedded EPMD on a free port, as Node.start's `epmd: { port: 0 }` did", async () => {
    const { p } = await presence({ name: 'anyport', mode: 'auto', epmdPort: 0 });
    expect(p.ownsEpmd).toBe(true);
    expect(p.epmdPort).toBeGreaterThan(0);
    expect(await names(p.epmdPort)).toEqual(['anyport']);
  });

  it("'auto' uses an EPMD that answers, and starts the embedded one where none does", async () => {
    const port = await freePort();
    await server(port);
    const joined = await presence({ name: 'joins', mode: 'auto', epmdPort: port });
    expect(joined.p.ownsEpmd).toBe(false);
    const empty = await freePort();
    const owner = await presence({ name: 'owns', mode: 'auto', epmdPort: empty });
    expect(owner.p.ownsEpmd).toBe(true);
    expect(owner.p.epmdPort).toBe(empty);
    expect(await names(empty)).toEqual(['owns']);
  });

  it("'external' rejects with CONNECT_FAILED when no EPMD runs, and a taken name with NAME_TAKEN", async () => {
    const port = await freePort();
    await expect(EpmdPresence.start({ name: 'x', port: 1, mode: 'external', epmdPort: port })).rejects.toMatchObject({ name: 'EpmdError', code: 'CONNECT_FAILED' });
    await server(port);
    await presence({ name: 'taken', mode: 'external', epmdPort: port });
    await expect(EpmdPresence.start({ name: 'taken', port: 1, mode: 'external', epmdPort: port })).rejects.toMatchObject({ code: 'NAME_TAKEN' });
  });

  it('rejects bad arguments with a typed error before touching the network', async () => {
    await expect(EpmdPresence.start({ name: 'a@b', port: 1, epmdPort: 1 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(EpmdPresence.start({ name: 'a', port: 1, epmdPort: 70000 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(EpmdPresence.start({ name: 'a', port: 1.5, epmdPort: 1 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(EpmdPresence.start({ name: 'a', port: 1, epmdPort: 0, mode: 'external' })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(EpmdPresence.start({ name: 'a', port: 1, epmdPort: 1, backoff: { initialMs: 0 } })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(EpmdPresence.start({ name: 'a', port: 1, epmdPort: 1, mode: 'daemon' as never })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });

  it("'embedded' on a port in use rejects with the listen error and leaves nothing registered", async () => {
    const port = await freePort();
    await server(port);
    await expect(EpmdPresence.start({ name: 'e', port: 1, mode: 'embedded', epmdPort: port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(await names(port)).toEqual([]);
  });
});

describe('EpmdPresence after the EPMD goes away', () => {
  it("'external': lost, retried with backoff while nothing listens, registered again when an EPMD is back", async () => {
    const port = await freePort();
    const first = await server(port);
    const { p, lines, events, next } = await presence({ name: 'svc', port: 7000, mode: 'external', epmdPort: port, backoff: { initialMs: 20, maxMs: 100 } });
    const creation = p.creation;
    const lost = next('lost');
    await first.close();
    expect((await lost).code).toBe('LOST');
    expect(p.registered).toBe(false);
    // Several failed attempts, none of them taking the port over.
    await until('three failed attempts', () => lines.filter((l) => l.includes('cannot register "svc" again')).length >= 3);
    expect(p.ownsEpmd).toBe(false);
    await expect(names(port)).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    const registered = next('registered');
    await server(port);
    const info = await registered;
    expect(info).toEqual({ creation: p.latestCreation, epmdPort: port, ownsEpmd: false });
    expect(p.registered).toBe(true);
    expect(p.creation).toBe(creation); // the node's creation stays
    expect((await new EpmdClient({ port }).portPlease('svc'))?.port).toBe(7000);
    expect(events.map((e) => e[0])).toEqual(['lost', 'registered']);
  });

  it('the retry delays double from initialMs up to maxMs, with jitter of at most half', async () => {
    const port = await freePort();
    const first = await server(port);
    const { lines, next } = await presence({ name: 'b', mode: 'external', epmdPort: port, backoff: { initialMs: 40, maxMs: 160 } });
    const lost = next('lost');
    await first.close();
    await lost;
    await until('six failed attempts', () => lines.filter((l) => l.includes('next try in')).length >= 6, 5000);
    const delays = lines.flatMap((l) => /next try in (\d+) ms/.exec(l)?.[1] ?? []).map(Number).slice(0, 6);
    const full = [40, 80, 160, 160, 160, 160];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(full[i]! / 2);
      expect(d).toBeLessThanOrEqual(full[i]!);
    });
  });

  it("'auto': the presence takes the port over with the embedded EPMD when nothing listens there", async () => {
    const port = await freePort();
    const first = await server(port);
    const { p, lines, next } = await presence({ name: 'svc', mode: 'auto', epmdPort: port });
    expect(p.ownsEpmd).toBe(false);
    const registered = next('registered');
    await first.close();
    expect(await registered).toMatchObject({ epmdPort: port, ownsEpmd: true });
    expect(p.ownsEpmd).toBe(true);
    expect(await names(port)).toEqual(['svc']);
    expect(lines.some((l) => l.includes(`took EPMD port ${port} over`))).toBe(true);
  });

  it('NAME_TAKEN after an EPMD restart (the old name still held) is retried until the name is free', async () => {
    const port = await freePort();
    const first = await server(port);
    const { p, lines, next } = await presence({ name: 'dup', mode: 'external', epmdPort: port, backoff: { initialMs: 400, maxMs: 400 } });
    const lost = next('lost');
    await first.close();
    await lost;
    // Between two attempts (at least 200 ms apart): a new EPMD where the name is held by someone else.
    await until('a failed attempt', () => lines.some((l) => l.includes('next try in')));
    await server(port);
    const squatter: Registration = await new EpmdClient({ port }).register({ name: 'dup', port: 1 });
    await until('NAME_TAKEN retried', () => lines.some((l) => /cannot register "dup" again: .*refused to register "dup"/.test(l)), 3000);
    expect(p.registered).toBe(false);
    const registered = next('registered');
    await squatter.close();
    await registered;
    expect((await new EpmdClient({ port }).portPlease('dup'))?.port).toBe(5555);
  });

  it("three presences on one port ('auto', the first owns the EPMD): closing the owner, another takes over and all re-register", async () => {
    const port = await freePort();
    const a = await presence({ name: 'a', mode: 'auto', epmdPort: port });
    const b = await presence({ name: 'b', mode: 'auto', epmdPort: port });
    const c = await presence({ name: 'c', mode: 'auto', epmdPort: port });
    expect([a.p.ownsEpmd, b.p.ownsEpmd, c.p.ownsEpmd]).toEqual([true, false, false]);
    const back = Promise.all([b.next('registered'), c.next('registered')]);
    await a.p.close();
    const [ib, ic] = await back;
    expect([ib.ownsEpmd, ic.ownsEpmd].filter(Boolean)).toHaveLength(1);
    expect(await names(port)).toEqual(['b', 'c']);
    // And once more: the new owner stops, the last one takes over.
    const [owner, other] = b.p.ownsEpmd ? [b, c] : [c, b];
    const last = other.next('registered');
    await owner.p.close();
    expect(await last).toMatchObject({ ownsEpmd: true });
    expect(await names(port)).toEqual([other === b ? 'b' : 'c']);
  });

  it("'auto': the process running the embedded EPMD is killed with -9; this presence takes over", async () => {
    const port = await freePort();
    const owner = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `
        import { EpmdPresence } from './runtime/epmd/index.js';
        await EpmdPresence.start({ name: 'crashes', port: 1, mode: 'embedded', epmdPort: ${port} });
        console.log('ready');
        setInterval(() => {}, 1000);`],
      { cwd: new URL('../../', import.meta.url), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanup.push(async () => void owner.kill('SIGKILL'));
    await new Promise<void>((r) => owner.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && r()));
    const { p, next } = await presence({ name: 'survives', mode: 'auto', epmdPort: port });
    expect(p.ownsEpmd).toBe(false);
    expect(await names(port)).toEqual(['crashes', 'survives']);
    const registered = next('registered');
    owner.kill('SIGKILL');
    expect(await registered).toMatchObject({ epmdPort: port, ownsEpmd: true });
    expect(await names(port)).toEqual(['survives']);
  });
});

describe('EpmdPresence.close', () => {
  it('is idempotent, unregisters, and stops retrying (no attempt after it)', async () => {
    const port = await freePort();
    const first = await server(port);
    const { p, lines, next } = await presence({ name: 'c1', mode: 'external', epmdPort: port, backoff: { initialMs: 10, maxMs: 20 } });
    const lost = next('lost');
    await first.close();
    await lost;
    await until('retrying', () => lines.some((l) => l.includes('next try in')));
    await Promise.all([p.close(), p.close()]);
    const count = lines.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(lines.length).toBe(count);
    await server(port);
    await new Promise((r) => setTimeout(r, 100));
    expect(await names(port)).toEqual([]);
    expect(p.registered).toBe(false);
  });

  it('closing the owner closes its EPMD: the port is free and its registrations end at once', async () => {
    const { p } = await presence({ name: 'o', mode: 'embedded', epmdPort: 0 });
    const other: Registration = await new EpmdClient({ port: p.epmdPort }).register({ name: 'other', port: 2 });
    const gone = new Promise<EpmdError>((r) => other.on('lost', r));
    await p.close();
    expect((await gone).code).toBe('LOST');
    await expect(names(p.epmdPort)).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });

  it('a process with a presence exits by itself once it is closed, and also while it only retries', async () => {
    const script = `
      import { EpmdPresence, EpmdServer } from './runtime/epmd/index.js';
      const owner = await EpmdPresence.start({ name: 'owner', port: 1, mode: 'embedded', epmdPort: 0 });
      const follower = await EpmdPresence.start({ name: 'follower', port: 2, mode: 'external', epmdPort: owner.epmdPort });
      follower.on('lost', () => console.log('lost'));
      await owner.close();
      // follower now retries forever against a port nobody listens on; it must not keep the process alive.
      setTimeout(() => console.log('retrying'), 300);
    `;
    const run = await runScript(script);
    expect(run.code).toBe(0);
    expect(run.out).toContain('lost');
    expect(run.out).toContain('retrying');
    expect(run.ms).toBeLessThan(8000);

    const closed = await runScript(`
      import { EpmdPresence } from './runtime/epmd/index.js';
      const a = await EpmdPresence.start({ name: 'a', port: 1, mode: 'embedded', epmdPort: 0 });
      const b = await EpmdPresence.start({ name: 'b', port: 2, mode: 'auto', epmdPort: a.epmdPort });
      await b.close();
      await a.close();
      // A closed handle is listed until the loop has run once more; this timer is the one expected.
      setTimeout(() => console.log('left', JSON.stringify(process.getActiveResourcesInfo().filter((r) => r !== 'PipeWrap'))), 50);
    `);
    expect(closed.code).toBe(0);
    expect(closed.out).toContain('left ["Timeout"]');
  });
});

function runScript(src: string): Promise<{ code: number | null; out: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src], { cwd: new URL('../../', import.meta.url), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
    c.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: Date.now() - t0 });
    });
  });
}
