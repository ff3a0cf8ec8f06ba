/**
 * Interop tier: contexts over real ssh (issue 10, deliverable 8). Debian's
 * sshd on a loopback port with keys made for this run (test/support/sshd.ts),
 * the real ssh client, and `router.ssh()` booting a context through it: from
 * the root, and `via` a local context (whose process runs the ssh client).
 * A refused key and a missing remote node reject with StreamError carrying
 * what the remote side printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChannelError, Router, StreamError } from '../../runtime/index.js';
import { makeKey, startSshd, type Sshd } from '../support/sshd.js';

const tasks = new URL('../fixtures/router-lead/tasks.ts', import.meta.url);
let sshd: Sshd;
let router: Router;
let keys: string;

beforeAll(async () => {
  sshd = await startSshd();
  router = await Router.start();
  keys = mkdtempSync(join(tmpdir(), 'bw-router-ssh-'));
});

afterAll(async () => {
  await router?.stop();
  await sshd?.stop();
  if (keys) rmSync(keys, { recursive: true, force: true });
});

const target = (): { host: string; port: number; user: string; identityFile: string } => ({
  host: sshd.host,
  port: sshd.port,
  user: sshd.user,
  identityFile: sshd.identityFile,
});

describe('router.ssh through a real sshd', () => {
  it('boots a context with only `node` on the remote side and calls into it', async () => {
    const far = await router.ssh({ name: 'far', ...target() });
    try {
      expect(far.version).toBe(process.version);
      expect(await far.call(tasks, 'add', 1, 2)).toBe(3);
      const pid = (await far.call(tasks, 'pid')) as number;
      expect(pid).not.toBe(process.pid);
      expect(typeof pid).toBe('number');
    } finally {
      await far.shutdown({ wait: true });
    }
  });

  it('boots one via a local context, whose process runs the ssh client; its shutdown takes the ssh context with it', async () => {
    const mid = await router.local({ name: 'mid' });
    const far = await router.ssh({ name: 'far2', via: mid, ...target() });
    expect(far.via).toBe(mid);
    expect(await far.call(tasks, 'add', 20, 22)).toBe(42);
    const [midPid, farPid] = (await Promise.all([mid.call(tasks, 'pid'), far.call(tasks, 'pid')])) as number[];
    expect(new Set([process.pid, midPid, farPid]).size).toBe(3);
    await mid.shutdown({ wait: true });
    await expect(far.call(tasks, 'add', 1, 1)).rejects.toBeInstanceOf(ChannelError);
  });

  it('rejects with StreamError naming the refusal when the key is not authorized', async () => {
    const stranger = makeKey(join(keys, 'stranger'));
    const e = await router.ssh({ name: 'refused', ...target(), identityFile: stranger }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StreamError);
    expect(String((e as Error).message)).toMatch(/Permission denied/);
  });

  it('rejects with StreamError when the remote has no such node', async () => {
    const e = await router.ssh({ name: 'nonode', ...target(), node: '/nonexistent/bin/node' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StreamError);
    expect(String((e as Error).message)).toMatch(/nonexistent\/bin\/node|not found|No such file/);
  });
});
