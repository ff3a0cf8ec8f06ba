/**
 * The golden fixtures, made again by the Erlang under test (BEAMWIRE_OTP picks
 * the release): test/fixtures/make_fixtures.escript writes this release's
 * `term_to_binary/1,2` of every case into a temp dir, and
 * - every encoding Erlang made of a case (default, UTF-8 atoms, compressed,
 *   FLOAT_EXT, deterministic) decodes to one term, and, for the cases that do
 *   not name the running node, to the term of the checked-in OTP 25 file;
 * - beamwire re-encodes the deterministic bytes byte for byte (its maps keep
 *   the order they were decoded in), and the default bytes too where no map
 *   of two or more keys makes the order the node's own;
 * - this release's binary_to_term/1 takes beamwire's encoding of each
 *   (plain and compressed) as =:= to its own.
 * The one release difference in these bytes beamwire does not follow: OTP 27+
 * writes every port as V4_PORT_EXT; beamwire writes NEW_PORT_EXT when the id
 * fits 32 bits, which every release reads (checked here by =:=).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, equals, Port, type Term } from '../../runtime/index.js';
import { startErlang, type ErlangHarness } from '../support/erl.js';
import { requireErl } from '../support/erl-node.js';
import { otp } from '../support/otp.js';
import { hasMultiKeyMap } from '../support/terms.js';

interface FixtureCase {
  readonly name: string;
  readonly t2b: string;
  readonly t2b_utf8: string;
  readonly compressed?: string;
  readonly t2b_minor0?: string;
  readonly deterministic?: string;
}

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
/** Cases holding this node's own pids, ports, references or closures: their ids differ per run and per release. */
const namesTheNode = (name: string): boolean => /^(pid|port|ref|fun)\/(?!remote)/.test(name) || name.startsWith('mixed/');

let cases: FixtureCase[] = [];
let otp25: Map<string, FixtureCase>;
let erl: ErlangHarness | undefined;
let release = '';

beforeAll(async () => {
  requireErl();
  const dir = await mkdtemp(join(tmpdir(), 'beamwire-fixtures-'));
  try {
    release = await new Promise<string>((resolve, reject) =>
      execFile(...otp('escript', [join(FIXTURES, 'make_fixtures.escript'), dir]), { timeout: 120_000 }, (error, _stdout, stderr) =>
        error ? reject(new Error(`make_fixtures.escript failed: ${error.message}\n${stderr}`)) : resolve(/\(OTP (\d+)\)/.exec(stderr)?.[1] ?? '?'),
      ),
    );
    cases = JSON.parse(await readFile(join(dir, 'etf-golden.json'), 'utf8')) as FixtureCase[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  otp25 = new Map((JSON.parse(await readFile(join(FIXTURES, 'etf-golden.json'), 'utf8')) as FixtureCase[]).map((c) => [c.name, c]));
  erl = await startErlang();
}, 180_000);

afterAll(async () => {
  await erl?.stop();
});

const holdsPort = (t: Term): boolean =>
  t instanceof Port || (Array.isArray(t) ? t.some(holdsPort) : t instanceof Map ? [...t].some(([k, v]) => holdsPort(k) || holdsPort(v)) : false);

describe("this release's term_to_binary of the golden cases", () => {
  it('has the cases of the checked-in file, and decodes every encoding of each to one term (the OTP 25 term where it names no node)', () => {
    expect(cases.map((c) => c.name)).toEqual([...otp25.keys()]);
    const wrong: string[] = [];
    let sameBytesAs25 = 0;
    for (const c of cases) {
      const term = decode(bytes(c.t2b_utf8));
      for (const [field, hex] of [['t2b', c.t2b], ['compressed', c.compressed], ['t2b_minor0', c.t2b_minor0], ['deterministic', c.deterministic]] as const)
        if (hex !== undefined && !equals(decode(bytes(hex)), term)) wrong.push(`${c.name}: ${field} decodes to another term`);
      if (c.deterministic === undefined) wrong.push(`${c.name}: no deterministic field`);
      const old = otp25.get(c.name)!;
      if (old.t2b === c.t2b) sameBytesAs25++;
      if (!namesTheNode(c.name) && !equals(decode(bytes(old.t2b_utf8)), term)) wrong.push(`${c.name}: not the OTP 25 term`);
    }
    expect(wrong, `OTP ${release}`).toEqual([]);
    // On OTP 25 the bytes are the checked-in ones (less the node's own ids); from OTP 26 on, atoms are UTF-8 by default.
    if (release === '25') expect(sameBytesAs25).toBeGreaterThan(cases.length / 2);
  });

  it('beamwire re-encodes them byte for byte: deterministic always, default where no multi-key map orders keys its own way', () => {
    const v4Ports = cases.some((c) => c.name.startsWith('port/remote NEW_PORT_EXT') && bytes(c.t2b_utf8)[1] === 120);
    const wrong: string[] = [];
    let compared = 0;
    for (const c of cases) {
      const term = decode(bytes(c.t2b_utf8));
      if (v4Ports && holdsPort(term)) continue;
      const ours = hexOf(encode(decode(bytes(c.deterministic!))));
      compared++;
      if (ours !== c.deterministic) wrong.push(`${c.name}: deterministic ${c.deterministic!.slice(0, 80)}, beamwire ${ours.slice(0, 80)}`);
      if (!hasMultiKeyMap(term) && hexOf(encode(term)) !== c.t2b_utf8) wrong.push(`${c.name}: t2b_utf8 ${c.t2b_utf8.slice(0, 80)}, beamwire ${hexOf(encode(term)).slice(0, 80)}`);
    }
    expect(wrong, `OTP ${release}`).toEqual([]);
    expect(compared).toBeGreaterThan(cases.length - 10);
  });

  it("this release's binary_to_term takes beamwire's encoding of each, plain and compressed, as =:= to its own", async () => {
    const wrong: string[] = [];
    for (const c of cases) {
      const term = decode(bytes(c.t2b));
      for (const ours of [encode(term), encode(term, { compressed: true })]) {
        const { equal } = await erl!.compare(ours, bytes(c.t2b));
        if (!equal) wrong.push(`${c.name}: binary_to_term(beamwire) =/= binary_to_term(t2b)`);
      }
    }
    expect(wrong, `OTP ${release}`).toEqual([]);
    expect(erl!.otpRelease).toBe(release);
  });
});
