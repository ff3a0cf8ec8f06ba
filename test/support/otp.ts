/**
 * Which Erlang/OTP the tests run: every test that starts `erl`, `erlc`,
 * `escript`, `elixir`, `elixirc`, `erl_call` or `epmd` gets its command here.
 *
 * With BEAMWIRE_OTP unset (or `system`) that is the program on PATH, as
 * always. With BEAMWIRE_OTP=27 (Debian trixie: OTP 27, Elixir 1.18) or
 * BEAMWIRE_OTP=29 (Debian sid: OTP 29, Elixir 1.20) it is the same program in
 * a Debian chroot, made on first use with
 * `debootstrap --variant=minbase --include=erlang-nox,elixir SUITE DIR` and
 * kept in $XDG_CACHE_HOME/beamwire/otp-N (default ~/.cache/beamwire/otp-N).
 * The chroot shares this machine's network (loopback, EPMD ports) and sees
 * the repository, /tmp, os.tmpdir() and /etc/hosts at the same paths (bind
 * mounts made here), so test modules, escripts and temp dirs need no copying. The
 * command is `chroot ROOT env -C CWD PROGRAM ARGS...`: chroot and env both
 * exec, so the child's pid is the program's own and SIGKILL/SIGSTOP reach it
 * as they do outside; the environment the test passes (ERL_EPMD_PORT, HOME)
 * goes through unchanged.
 *
 * Making a chroot takes a minute or more and needs root; do it ahead of a run
 * with `node --import tsx test/support/otp.ts 27 29`. The mounts stay until
 * `node --import tsx test/support/otp.ts --unmount 27 29` (or a reboot): never
 * `rm -rf` a chroot that is mounted, it would go through /tmp and the repository.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The releases a chroot can provide, and the Debian suite that ships each. */
export const RELEASES: Readonly<Record<string, string>> = { '27': 'trixie', '29': 'sid' };

const REPO = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const LOCK_STALE_MS = 30 * 60_000;

/** The release BEAMWIRE_OTP names: undefined for the system's Erlang; throws on a value it does not know. */
export function selectedRelease(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env['BEAMWIRE_OTP']?.trim();
  if (v === undefined || v === '' || v === 'system') return undefined;
  if (!Object.hasOwn(RELEASES, v))
    throw new Error(`BEAMWIRE_OTP=${v}: no such OTP release here; use ${Object.keys(RELEASES).join(' or ')} (a Debian chroot), or leave it unset for the system's erl`);
  return v;
}

/** Where the chroot of `release` lives. */
export function chrootDir(release: string, env: NodeJS.ProcessEnv = process.env): string {
  const cache = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(cache, 'beamwire', `otp-${release}`);
}

/**
 * The file and arguments that run `program args` on the selected release, for
 * spawn/execFile/spawnSync: `spawn(...otp('erl', args), options)`. Pass the
 * child's `cwd` when the spawn options set one.
 */
export function otp(program: string, args: readonly string[], cwd?: string, env: NodeJS.ProcessEnv = process.env): [string, string[]] {
  const release = selectedRelease(env);
  if (release === undefined) return [program, [...args]];
  const root = prepare(release, env);
  return ['chroot', [root, '/usr/bin/env', '-C', resolve(cwd ?? process.cwd()), program, ...args]];
}

const prepared = new Map<string, string>();

/** Makes (once, under a lock) and mounts the chroot of `release`; returns its root. */
export function prepare(release: string, env: NodeJS.ProcessEnv = process.env): string {
  const known = prepared.get(release);
  if (known !== undefined) return known;
  const dir = chrootDir(release, env);
  const root = join(dir, 'root');
  mkdirSync(dir, { recursive: true });
  withLock(join(dir, 'lock'), () => {
    if (!existsSync(join(dir, 'ready'))) create(release, dir, root);
    mountShared(root);
  });
  checkRelease(release, root);
  prepared.set(release, root);
  return root;
}

function create(release: string, dir: string, root: string): void {
  if (spawnSync('debootstrap', ['--version']).error) throw new Error(`BEAMWIRE_OTP=${release} needs debootstrap to make its chroot: apt-get install -y debootstrap`);
  // A half-made root from an interrupted run: unmount what is left in it before removing it, so rm never walks into a bind mount.
  unmountUnder(root);
  rmSync(root, { recursive: true, force: true });
  const log = join(dir, 'debootstrap.log');
  const t0 = Date.now();
  const r = spawnSync('debootstrap', ['--variant=minbase', '--include=erlang-nox,elixir', RELEASES[release]!, root], { encoding: 'utf8', timeout: 30 * 60_000, maxBuffer: 64 << 20 });
  writeFileSync(log, `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0) throw new Error(`debootstrap ${RELEASES[release]} ${root} failed (${r.error?.message ?? `exit ${r.status}`}); see ${log}`);
  // Written last: a root without it is half-made and is made again.
  writeFileSync(join(dir, 'ready'), `debootstrap ${RELEASES[release]} took ${Math.round((Date.now() - t0) / 1000)} s\n`);
}

/** The paths the Erlang side is handed (repository files, temp dirs, HOME dirs for cookies), at the same paths inside. */
function mountShared(root: string): void {
  const mounted = mountPoints();
  const wanted = [...new Set([REPO, '/tmp', resolve(tmpdir())])];
  // A path inside another one (a clone under /tmp) comes with it: a second mount there, on a shared
  // mount tree, would propagate back and outlive the unmount.
  const shared = wanted.filter((p) => !wanted.some((q) => q !== p && p.startsWith(q + '/')));
  for (const path of shared) {
    const target = join(root, path);
    if (mounted.has(target)) continue;
    mkdirSync(target, { recursive: true });
    must(spawnSync('mount', ['--bind', path, target], { encoding: 'utf8' }), `mount --bind ${path} ${target}`);
    // Private: nothing mounted under it later (another chroot, made under /tmp) propagates in or out.
    must(spawnSync('mount', ['--make-private', target], { encoding: 'utf8' }), `mount --make-private ${target}`);
  }
  // The host's names for this machine (erl resolves its own host name in -sname node names); debootstrap writes no /etc/hosts.
  const hosts = join(root, 'etc/hosts');
  if (!mounted.has(hosts)) {
    if (!existsSync(hosts)) writeFileSync(hosts, '');
    must(spawnSync('mount', ['--bind', '/etc/hosts', hosts], { encoding: 'utf8' }), `mount --bind /etc/hosts ${hosts}`);
  }
  const proc = join(root, 'proc');
  if (!mounted.has(proc)) must(spawnSync('mount', ['-t', 'proc', 'proc', proc], { encoding: 'utf8' }), `mount -t proc proc ${proc}`);
}

function must(r: ReturnType<typeof spawnSync>, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed (${r.error?.message ?? `exit ${r.status}`}): ${String(r.stderr)}; the OTP chroots need root`);
}

function mountPoints(): Set<string> {
  // /proc/self/mountinfo field 5 is the mount point, with spaces and the like octal-escaped.
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return new Set(lines.filter((l) => l !== '').map((l) => l.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))));
}

function unmountUnder(root: string): void {
  // Deepest first, and again while some are left: a mount that was under another comes free once that one goes.
  for (let round = 0; round < 5; round++) {
    const under = [...mountPoints()].filter((p) => p.startsWith(root + '/')).sort((a, b) => b.length - a.length);
    if (under.length === 0) break;
    for (const p of under) spawnSync('umount', ['-l', p]);
  }
  const left = [...mountPoints()].filter((p) => p.startsWith(root + '/'));
  if (left.length > 0) throw new Error(`cannot remake ${root}: still mounted: ${left.join(', ')}`);
}

/** The chroot holds the release it is named after (sid moves on; a root that no longer matches says so). */
function checkRelease(release: string, root: string): void {
  const releases = join(root, 'usr/lib/erlang/releases');
  const found = existsSync(releases) ? readdirSync(releases).filter((d) => /^\d+$/.test(d)) : [];
  if (!found.includes(release))
    throw new Error(`${root} holds OTP ${found.join(', ') || 'nothing'}, not OTP ${release}: remove ${join(root, '..')} and run again, or pick another release`);
}

function withLock(lock: string, body: () => void): void {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock left by a killed run: no debootstrap takes this long.
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile: try again
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// node --import tsx test/support/otp.ts 27 29: make and mount the chroots ahead of a test run;
// node --import tsx test/support/otp.ts --unmount 27 29: undo the mounts (do this before deleting a chroot).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const unmount = process.argv[2] === '--unmount';
  for (const release of process.argv.slice(unmount ? 3 : 2)) {
    const env = { ...process.env, BEAMWIRE_OTP: release };
    selectedRelease(env);
    if (unmount) {
      unmountUnder(join(chrootDir(release, env), 'root'));
      console.log(`OTP ${release}: unmounted`);
      continue;
    }
    const t0 = Date.now();
    const root = prepare(release, env);
    console.log(`OTP ${release}: ${root} (${Math.round((Date.now() - t0) / 1000)} s)`);
  }
}
