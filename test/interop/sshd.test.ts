/**
 * Interop tier: the test sshd (test/support/sshd.ts) against the real ssh
 * client. A context over ssh needs `node` on the remote PATH and a key that
 * logs in without a prompt; these cases prove both, and that a key the server
 * does not know is refused (exit 255, never a prompt or a hang).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, runSsh, sshArgs, startSshd, type Sshd } from '../support/sshd.js';

let s: Sshd;
let other: string;

beforeAll(async () => {
  s = await startSshd();
  other = mkdtempSync(join(tmpdir(), 'beamwire-sshkey-'));
});

afterAll(async () => {
  await s?.stop();
  if (other) rmSync(other, { recursive: true, force: true });
});

describe('sshd on loopback', () => {
  it('runs `node -e` as the current user with the test key', async () => {
    const r = await runSsh(s, `node -e "console.log(process.version)"`);
    expect(r, s.output()).toMatchObject({ code: 0, stdout: `${process.version}\n` });
  });

  it('finds on the remote PATH the same node binary that runs the tests', async () => {
    const r = await runSsh(s, 'node -p process.execPath');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(process.execPath);
  });

  it('keeps stdin a stream: bytes in, the same bytes out, over the ssh pipe', async () => {
    const { spawn } = await import('node:child_process');
    const c = spawn('ssh', [...sshArgs(s), `${s.user}@${s.host}`, `node -e "process.stdin.pipe(process.stdout)"`], { stdio: ['pipe', 'pipe', 'pipe'] });
    const payload = Buffer.alloc(256 * 1024, 0).map((_, i) => (i * 7) & 0xff);
    const chunks: Buffer[] = [];
    c.stdout.on('data', (d: Buffer) => chunks.push(d));
    c.stdin.end(payload);
    const code = await new Promise((r) => c.on('close', r));
    expect(code).toBe(0);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  });

  it('verifies the host key from knownHosts under StrictHostKeyChecking=yes', async () => {
    const r = await runSsh(s, 'true', ['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${s.knownHosts}`]);
    expect(r, s.output()).toMatchObject({ code: 0 });
  });

  it('refuses a key that is not in authorized_keys: exit 255, Permission denied', async () => {
    const stranger = makeKey(join(other, 'stranger'));
    const r = await runSsh({ ...s, identityFile: stranger }, `node -e "console.log('in')"`);
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it('refuses a user other than the one sshd runs for', async () => {
    const r = await runSsh({ ...s, user: s.user === 'nobody' ? 'daemon' : 'nobody' }, 'true');
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Permission denied/);
  });
});
