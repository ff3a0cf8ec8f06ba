/**
 * format() prints floats and atoms as Erlang's ~w does. For each, one
 * `erl -noshell` reads a batch of values from a file (doubles as raw IEEE
 * bytes, atom names as length-prefixed UTF-8, so no parsing stands between
 * the two sides) and prints what Erlang prints for each, one line per value;
 * every line must equal format(). Never skipped: without erl it fails.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atom, Float, format } from '../../runtime/index.js';
import { requireErl } from '../support/erl-node.js';
import { otp } from '../support/otp.js';

const SEED = 20261207;

const PRINT_FLOATS = `
  [File] = init:get_plain_arguments(),
  {ok, Bin} = file:read_file(File),
  Line = fun(X) -> [float_to_list(X, [short]), $\\t, io_lib:format("~p", [X]), $\\t, io_lib:format("~w", [X]), $\\n] end,
  ok = file:write(standard_io, [Line(X) || <<X:64/float>> <= Bin]),
  halt().`;

const PRINT_ATOMS = `
  [File] = init:get_plain_arguments(),
  {ok, Bin} = file:read_file(File),
  Line = fun(Name) -> [base64:encode(unicode:characters_to_binary(io_lib:format("~w", [binary_to_atom(Name, utf8)]))), $\\n] end,
  ok = file:write(standard_io, [erlang:system_info(otp_release), $\\n | [Line(Name) || <<Len:16, Name:Len/binary>> <= Bin]]),
  halt().`;

/** Runs `script` on one erl with `input` in a file; its output lines. */
async function erlLines(script: string, input: Uint8Array): Promise<string[]> {
  requireErl();
  const dir = await mkdtemp(join(tmpdir(), 'beamwire-format-'));
  try {
    const file = join(dir, 'input');
    await writeFile(file, input);
    const out = await new Promise<string>((resolve, reject) =>
      execFile(...otp('erl', ['-noshell', '-eval', script, '-extra', file]), { timeout: 60_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
        error ? reject(new Error(`erl failed: ${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    return out.trimEnd().split('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What erl prints for each value: [short, ~p, ~w]. */
async function erlPrints(values: number[]): Promise<string[][]> {
  const bytes = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => bytes.writeDoubleBE(v, i * 8));
  return (await erlLines(PRINT_FLOATS, bytes)).map((l) => l.split('\t'));
}

/** The next double up (toward +infinity), by bits. */
function nextUp(x: number): number {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  const bits = b.getBigUint64(0);
  b.setBigUint64(0, x >= 0 ? bits + 1n : bits - 1n);
  return b.getFloat64(0);
}

const bitsOf = (x: number): string => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b.toString('hex');
};

/** How a float reaches format(): integral ones (and -0.0) as Float, the rest as number. */
const asTerm = (x: number) => (Number.isInteger(x) || Object.is(x, -0) ? new Float(x) : x);

function edgeValues(): number[] {
  const out = [0, -0, 0.1, 1e-7, 1e300, 1.5e22, 123456789012345680, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, Number.MAX_VALUE, -Number.MAX_VALUE, 1e15, 1e16, 1e17, 1e21, 1e22, 1e23, 123.456, 1, 100, 1000, 0.001, 0.0001, 1e-5, 12345678.9, 3e10, 123456, 1234567, 9007199254740992, 9007199254740994, 9007199254740990, 2 ** 53 - 1, 2 ** 52 / 5, (2 ** 51) / 25, 0.5, 1 / 3, 2 / 3, Math.PI, -Math.E];
  for (let e = -25; e <= 25; e++) out.push(10 ** e, -(10 ** e), 1.5 * 10 ** e, 123456789 * 10 ** e);
  // Around OTP's 2^53 switch from fixed to scientific, at R = 0, 1, 2 (digits × 10^R).
  for (const base of [2 ** 53, Math.floor(2 ** 52 / 5) * 10, Math.floor(2 ** 51 / 25) * 100]) {
    let x = base;
    for (let i = 0; i < 4; i++) x = nextUp(x);
    for (let i = 0; i < 8; i++) {
      out.push(x);
      x = -nextUp(-x); // one down
    }
  }
  return out.flatMap((x) => [x, nextUp(x)]).filter(Number.isFinite);
}

describe('format(float) against float_to_list(X, [short]), io_lib:format("~p") and ("~w")', () => {
  it('edge values and a few hundred random doubles print as erl prints them', async () => {
    const random = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { seed: SEED, numRuns: 400 });
    const decimals = fc.sample(fc.tuple(fc.integer({ min: 1, max: 99_999_999 }), fc.integer({ min: -30, max: 30 })), { seed: SEED + 1, numRuns: 200 }).map(([m, e]) => Number(`${m}e${e}`));
    const values = [...edgeValues(), ...random, ...decimals];
    const erl = await erlPrints(values);
    expect(erl).toHaveLength(values.length);
    const mismatches = values.flatMap((x, i) => {
      const ours = format(asTerm(x));
      const [short, p, w] = erl[i]!;
      return short === ours && p === ours && w === ours ? [] : [`${x} (bits ${bitsOf(x)}): erl ${short} / ${p} / ${w}, format ${ours}`];
    });
    expect(mismatches, `seed ${SEED}`).toEqual([]);
  });

  it('a float inside a term prints the same way', () => {
    expect(format([new Float(1e300), new Float(-0), 1e-7, new Float(1e21), 0.1])).toBe('[1.0e300,-0.0,1.0e-7,1.0e21,0.1]');
    expect(String(new Float(1e300))).toBe('1.0e300');
  });

  it('an integral number is an integer, printed in full (not 1e+21)', () => {
    expect(format(1e21)).toBe('1000000000000000000000');
    expect(format(-(2 ** 70))).toBe('-1180591620717411303424');
    expect(format(42)).toBe('42');
  });
});

describe('format(atom) against io_lib:format("~w")', () => {
  it('every code point up to U+017F alone and after an a, reserved words, and random names quote and escape as erl does', async () => {
    const single = Array.from({ length: 0x180 }, (_, c) => String.fromCodePoint(c));
    const names = [
      '', ...single, ...single.map((c) => `a${c}`), ...single.map((c) => `${c}a`),
      '\u65e5\u672c', 'b\u65e5', '\u{1f600}', '\ufffd', 'node@host', 'Elixir.Foo', 'with space', "it's", 'a\\b',
      ...'after and andalso band begin bnot bor bsl bsr bxor case catch cond div end fun if let not of or orelse receive rem try when xor maybe else query spec'.split(' '),
      ...fc.sample(fc.string({ unit: 'grapheme', maxLength: 12 }), { seed: SEED, numRuns: 200 }),
    ];
    const input = Buffer.concat(names.map((n) => {
      const b = Buffer.from(n, 'utf8');
      const len = Buffer.alloc(2);
      len.writeUInt16BE(b.length);
      return Buffer.concat([len, b]);
    }));
    const [release, ...lines] = await erlLines(PRINT_ATOMS, input);
    const erl = lines.map((l) => Buffer.from(l, 'base64').toString('utf8'));
    expect(erl).toHaveLength(names.length);
    // format() quotes maybe and else as OTP 27+ does (reserved since maybe_expr became the default); OTP 25 and 26 print them bare.
    const expected = (n: string, printed: string): string => (Number(release) < 27 && (n === 'maybe' || n === 'else') && printed === n ? `'${n}'` : printed);
    const mismatches = names.flatMap((n, i) => (format(atom(n)) === expected(n, erl[i]!) ? [] : [`${JSON.stringify(n)}: erl ${erl[i]} (OTP ${release}), format ${format(atom(n))}`]));
    expect(mismatches, `seed ${SEED}`).toEqual([]);
  });
});
