/**
 * test/support/otp.ts, the one place the tests get `erl` and friends from:
 * unset, it is the system's program untouched; BEAMWIRE_OTP names a release
 * it knows or fails saying which it knows; and the program it starts is the
 * child itself (its pid is the BEAM's), so a test's SIGKILL/SIGSTOP reach it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chrootDir, otp, RELEASES, selectedRelease } from '../support/otp.js';

const RELEASE_EVAL = ['-noshell', '-eval', 'io:format("~s~n", [erlang:system_info(otp_release)]), halt().'];

describe('test/support/otp.ts', () => {
  it("with BEAMWIRE_OTP unset, empty or 'system', the command is the program itself, unchanged", () => {
    for (const env of [{}, { BEAMWIRE_OTP: '' }, { BEAMWIRE_OTP: 'system' }]) {
      expect(selectedRelease(env)).toBeUndefined();
      expect(otp('erl', ['-sname', 'x', '-noshell'], '/somewhere', env)).toEqual(['erl', ['-sname', 'x', '-noshell']]);
    }
  });

  it('with BEAMWIRE_OTP unset, erl is the one on PATH: the same OTP release answers', () => {
    const direct = spawnSync('erl', RELEASE_EVAL, { encoding: 'utf8', timeout: 30_000 });
    const routed = spawnSync(...otp('erl', RELEASE_EVAL, undefined, {}), { encoding: 'utf8', timeout: 30_000 });
    expect(direct.status).toBe(0);
    expect(routed.stdout).toBe(direct.stdout);
  });

  it('an unknown BEAMWIRE_OTP is an error that names the releases it knows', () => {
    for (const v of ['26', '28', 'latest', '27.1']) {
      expect(() => otp('erl', [], undefined, { BEAMWIRE_OTP: v })).toThrow(`BEAMWIRE_OTP=${v}: no such OTP release here; use 27 or 29`);
    }
    expect(Object.keys(RELEASES)).toEqual(['27', '29']);
  });

  it('the chroots live in $XDG_CACHE_HOME/beamwire, else ~/.cache/beamwire', () => {
    expect(chrootDir('27', { XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/beamwire/otp-27');
    expect(chrootDir('29', { HOME: '/home/u' })).toMatch(/\/\.cache\/beamwire\/otp-29$/);
  });

  it('the release BEAMWIRE_OTP selects is the one that runs (the system one when unset)', () => {
    const want = selectedRelease() ?? spawnSync('erl', RELEASE_EVAL, { encoding: 'utf8', timeout: 30_000 }).stdout.trim();
    const r = spawnSync(...otp('erl', RELEASE_EVAL), { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(want);
  });

  it('the child is the BEAM itself: its pid is os:getpid(), SIGSTOP stops it and SIGKILL kills it', async () => {
    const child = spawn(...otp('erl', ['-noshell', '-eval', 'io:format("~s~n", [os:getpid()]), timer:sleep(infinity).']), { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_, signal) => r(signal)));
    const printed = await new Promise<string>((r) => child.stdout.once('data', (d: Buffer) => r(d.toString().trim())));
    expect(printed).toBe(String(child.pid));
    child.kill('SIGSTOP');
    const state = /^\d+ \(.*\) (\S)/.exec(spawnSync('cat', [join('/proc', String(child.pid), 'stat')], { encoding: 'utf8' }).stdout)?.[1];
    expect(state).toBe('T');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
  }, 120_000);
});
