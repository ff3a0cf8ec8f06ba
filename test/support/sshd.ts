/**
 * A real OpenSSH server for tests: Debian's /usr/sbin/sshd in the foreground
 * (`-D -e`) on a loopback port, as the current user, with host keys, a client
 * key and an authorized_keys file made in a temp dir. Works as root (CI) and
 * as any other user: a non-root sshd can only log in its own user, which is
 * the user a test connects as. Fails loudly when sshd is missing; never
 * skipped (.ci/run installs openssh-server).
 *
 * Sessions get PATH with this process's node directory in front, so a remote
 * `node` is the binary running the tests (the same version) even when it
 * lives under a version manager that a login shell would not see; and bash
 * skips ~/.bashrc unless `rc` is set (see SshdOptions).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { testPort } from './net.js';

export const SSHD = '/usr/sbin/sshd';
/** sshd's default PATH for sessions (OpenSSH's _PATH_STDPATH / SUPERUSER_PATH on Debian). */
const STD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Sshd {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  /** The client's private key (ed25519, no passphrase), authorized for `user`. */
  readonly identityFile: string;
  /** A known_hosts file naming this server's host key at `[127.0.0.1]:port`, for strict host key checking. */
  readonly knownHosts: string;
  /** The temp dir holding keys, config and pid file (removed by stop). */
  readonly dir: string;
  /** Everything sshd printed on stderr (its log, with -e). */
  output(): string;
  /** Stops the listener (SIGTERM, then SIGKILL) and removes the temp dir; sessions end as their clients close. */
  stop(): Promise<void>;
}

export function requireSshd(): void {
  if (!existsSync(SSHD)) throw new Error(`ssh tests need OpenSSH's server: ${SSHD} is missing; install Debian's openssh-server`);
  const r = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`ssh tests need the ssh client: ${r.error?.message ?? r.stderr}`);
}

/** `ssh-keygen` an ed25519 key without a passphrase at `path` (and `path.pub`). */
export function makeKey(path: string, comment = 'beamwire-test'): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen -f ${path} failed: ${r.error?.message ?? r.stderr}`);
  return path;
}

/** The client options for `s`: batch mode (a refused key fails, never prompts), no host key files, quiet. */
export function sshArgs(s: Pick<Sshd, 'port' | 'identityFile'>): string[] {
  return [
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
    '-o', 'IdentitiesOnly=yes',
    '-p', String(s.port),
    '-i', s.identityFile,
  ];
}

/** `ssh [sshArgs] user@127.0.0.1 command`: resolves with the exit code and both outputs. */
export function runSsh(s: Pick<Sshd, 'host' | 'port' | 'user' | 'identityFile'>, command: string, extra: string[] = [], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('ssh', [...sshArgs(s), ...extra, `${s.user}@${s.host}`, command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function config(dir: string, port: number, user: string, rc: boolean): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `AllowUsers ${user}`,
    'AuthenticationMethods publickey',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // The temp dir and keys belong to whoever runs the tests, maybe not `user`'s home rules.
    'StrictModes no',
    // PAM in a container wants loginuid and a session stack: not what a test is about.
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    // Many contexts may boot at once (the default 10:30:100 drops connections beyond 10 unauthenticated).
    'MaxStartups 100',
    'MaxSessions 100',
    `SetEnv PATH=${dirname(process.execPath)}:${STD_PATH}${rc ? '' : ' SHLVL=1'}`,
    'LogLevel INFO',
    '',
  ].join('\n');
}

/** sshd as root drops privileges into its privilege-separation directory, which Debian makes at boot (not in a container). */
function ensurePrivsepDir(): void {
  if (process.getuid?.() !== 0 || existsSync('/run/sshd')) return;
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
}

async function startOn(dir: string, port: number, user: string, rc: boolean): Promise<{ child: ChildProcess; output: () => string } | { failed: string; bindError: boolean }> {
  const file = join(dir, 'sshd_config');
  writeFileSync(file, config(dir, port, user, rc));
  const child = spawn(SSHD, ['-D', '-e', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', (e) => {
    exited = true;
    out += `spawn ${SSHD}: ${e.message}\n`;
  });
  // With -e, sshd logs "Server listening on ..." once it has bound and listens: ready, with no probe connection in its log.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !exited) {
    if (out.includes(`Server listening on 127.0.0.1 port ${port}.`)) return { child, output: () => out };
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!exited) child.kill('SIGKILL');
  else await new Promise((r) => setTimeout(r, 10)); // its last stderr lines
  return { failed: out, bindError: /Cannot bind|Address already in use/.test(out) };
}

/** Starts sshd on a free loopback port (below the ephemeral range; another one if taken) and waits until it listens. */
export interface SshdOptions {
  /**
   * Let bash read the user's ~/.bashrc for ssh commands, as it does by
   * default when sshd runs it (default false: SHLVL=1 in the session makes
   * bash skip it, so a slow or chatty rc file on the test machine neither
   * slows every boot nor mixes into the stream).
   */
  rc?: boolean;
}

export async function startSshd({ rc = false }: SshdOptions = {}): Promise<Sshd> {
  requireSshd();
  ensurePrivsepDir();
  const dir = mkdtempSync(join(tmpdir(), 'beamwire-sshd-'));
  const user = userInfo().username;
  makeKey(join(dir, 'host_ed25519'), 'beamwire-test-host');
  const identityFile = makeKey(join(dir, 'client_ed25519'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${identityFile}.pub`));
  let started: { child: ChildProcess; output: () => string } | undefined;
  let port = 0;
  let last = '';
  for (let attempt = 0; attempt < 5 && started === undefined; attempt++) {
    port = testPort();
    const r = await startOn(dir, port, user, rc);
    if ('child' in r) started = r;
    else if (!r.bindError) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start on 127.0.0.1:${port} (${SSHD} -D -e -f ${join(dir, 'sshd_config')}); it printed:\n${r.failed}`);
    } else last = r.failed;
  }
  if (started === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`sshd could not bind a loopback port in 5 attempts; last output:\n${last}`);
  }
  const { child, output } = started;
  const hostKey = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim();
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n`);
  // A test that dies before stop() must not leave sshd listening.
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    })());
  return { host: '127.0.0.1', port, user, identityFile, knownHosts, dir, output, stop };
}
