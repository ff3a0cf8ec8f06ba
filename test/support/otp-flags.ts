/**
 * The distribution flags of each OTP release, for the README's "Supported
 * OTP releases" table, read from a real handshake:
 *
 *   node --import tsx test/support/otp-flags.ts system 27 29
 *
 * For each release, an `erl -sname` on a private `epmd -port P` (through
 * otp(), so BEAMWIRE_OTP's chroots) is dialled by beamwire's initiator
 * (initiateOnStream): `offers` is the flag word in erl's challenge, `beamwire
 * negotiates` the result's flags. `requires` is not on the wire (a node only
 * refuses); it is erl's own `erts_internal:get_dflags()` mandatory set
 * (from OTP 26 dist_util's DFLAGS_MANDATORY adds V4_NC and UNLINK_ID, which
 * erts 27+ lists itself). The script also checks that erts' default set is
 * exactly what the challenge carried.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Dflag, DflagMask } from '../../generated/handshake.js';
import { flagNames, initiateOnStream, ourFlags } from '../../runtime/handshake/index.js';
import { freePort } from './net.js';
import { otp } from './otp.js';

const COOKIE = 'flags';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// Prints the release, erts' flag sets and the dist port, then waits to be dialled.
const EVAL = [
  '{erts_dflags, Default, Mandatory, _, _, _} = erts_internal:get_dflags(),',
  '{ok, Names} = net_adm:names(), {_, Port} = lists:keyfind("peer", 1, Names),',
  'io:format("~s ~b ~b ~b ~s~n", [erlang:system_info(otp_release), Default, Mandatory, Port, node()]),',
  'receive after 30000 -> halt() end.',
].join(' ');

function tcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function flagsOf(release: string): Promise<Record<string, string>> {
  const env = { ...process.env, BEAMWIRE_OTP: release };
  const epmdPort = await freePort();
  const children: ChildProcess[] = [];
  try {
    children.push(spawn(...otp('epmd', ['-port', String(epmdPort)], undefined, env), { stdio: 'ignore' }));
    await sleep(500);
    const erl = spawn(...otp('erl', ['-sname', 'peer', '-setcookie', COOKIE, '-noshell', '-eval', EVAL], undefined, env), {
      env: { ...env, ERL_EPMD_PORT: String(epmdPort) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(erl);
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      erl.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      erl.once('exit', (code) => reject(new Error(`erl on OTP ${release} exited (${code}): ${out}`)));
    });
    const [otpRelease, def, mandatory, port, node] = line.split(' ') as [string, string, string, string, string];
    const host = node.slice(node.indexOf('@') + 1);
    const r = await initiateOnStream(await tcp(Number(port)), { name: `flags@${host}`, creation: randomInt(4, 2 ** 32), peerName: node, cookie: COOKIE });
    const requires = BigInt(mandatory) | (Number(otpRelease) >= 26 ? DflagMask.DIST_MANDATORY_26 : 0n);
    const offers = r.peerFlags & ~Dflag.PUBLISHED;
    return {
      release: otpRelease,
      offers: flagNames(offers).join(' '),
      'offers beyond beamwire': flagNames(offers & ~ourFlags()).join(' ') || '-',
      'erts default set equals the challenge': String(BigInt(def) === offers),
      requires: flagNames(requires).join(' '),
      'beamwire negotiates': flagNames(r.flags & ~Dflag.PUBLISHED).join(' '),
      'beamwire offers, peer not': flagNames(ourFlags() & ~Dflag.PUBLISHED & ~r.peerFlags).join(' ') || '-',
    };
  } finally {
    for (const c of children) c.kill('SIGKILL');
  }
}

for (const release of process.argv.slice(2)) {
  const f = await flagsOf(release);
  console.log(`== OTP ${f['release']} (BEAMWIRE_OTP=${release})`);
  for (const [k, v] of Object.entries(f)) if (k !== 'release') console.log(`  ${k}: ${v}`);
}
process.exit(0);
