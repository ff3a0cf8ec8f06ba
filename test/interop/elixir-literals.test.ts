/**
 * Elixir judges the Elixir literal reader (runtime/cli/elixir-literals.ts):
 * one `elixir` run (1) evaluates fixed literals with Code.eval_string, and
 * (2) prints random terms with inspect/2; beamwire parses each text and must
 * get the term Elixir's :erlang.term_to_binary encodes; (3) a second run
 * evaluates what formatElixir printed for each, which must give the same term
 * back on that release. formatElixir's text must also equal inspect/2's, except
 * where releases print differently and beamwire prints what all of them read:
 * charlists (`~c"abc"`, which Elixir 1.14 prints as 'abc') and maps of two or
 * more keys on OTP 26+ (inspect follows the node's internal key order there).
 * Never skipped: without elixir it fails.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatElixir } from '../../runtime/cli/elixir-format.js';
import { parseTerm, parseTermList } from '../../runtime/cli/term-parser.js';
import { atom, decode, equals, format, tuple, type Term } from '../../runtime/index.js';
import { requireElixir } from '../support/erl-node.js';
import { hasMultiKeyMap } from '../support/terms.js';
import { otp } from '../support/otp.js';

const SEED = 8;
const RANDOM_TERMS = 400;

const LITERALS = [
  '"abc"', '"héllo €"', '"a\\nb\\t\\"q\\"\\\\\\#{x}"', '"\\x41\\u00e9\\u{1F600}\\0\\a\\e\\d"', "'abc'", "'é'",
  ':ok', ':ok?', ':save!', ':"hello world"', ":'it is'", ':node@host', ':Foo', ':+', ':==', 'MyApp.Foo', 'Enum', 'true', ':false', 'nil',
  '1_000_000', '-42', '0xFF', '0o17', '0b1010', '-0x10', '0xFFFF_FFFF_FFFF_FFFF', '?a', '?\\n', '?é', '1.5', '1.0e-3', '1.0', '-0.0', '1.0e300',
  '[1, [2, [3]]]', '[a: 1, b: "two"]', '[1, 2, a: 3]', '["quoted key": 1, ok?: true]', '[a: 1,]', '[1 | 2]', '[1, 2 | [3]]', '{}', '{:ok, {1, "a"}}',
  '%{}', '%{"k" => 1, b: 2}', '%{{:t} => %{}}', '%{:a => 1, "k" => [:x]}',
  '<<1, 2, 255>>', '<<>>', '<<"é">>', '<<"a", 0, "b"::binary>>', '<<233::utf8>>', '<<256>>', '<<1::16>>', '<<-1::size(16)>>', '<<1::1, 5::3>>',
  '~c"abc"', '~s(a "q")', '~w(a b)', '~w[x y]a', '~w<p q>c', '[1, # one\n 2]',
];

const SCRIPT = `
import Bitwise
[file, seed, count] = System.argv()
b64 = fn t -> Base.encode64(:erlang.term_to_binary(t)) end
IO.puts(System.version() <> " " <> System.otp_release())
for src <- String.split(File.read!(file), <<0>>, trim: true) do
  {v, _} = Code.eval_string(src)
  IO.puts(b64.(v))
end
:rand.seed(:exsss, {String.to_integer(seed), 1, 2})
atoms = [:ok, :"a b", :"é", :Foo, :"Elixir.Foo.Bar", nil, true, false, :"with\\"quote", :"9x", :ok?, :"a-b", :+, :"", :node@host, :"Elixir.foo", :"\\n", :"日本"]
texts = ["", "abc", "é ü", "line\\nbreak\\t\\"q\\" \\\\ \\#{x}", "日本語", "😀"]
pick = fn l -> Enum.at(l, :rand.uniform(length(l)) - 1) end
gen = fn gen, depth ->
  k = if depth > 3, do: :rand.uniform(7), else: :rand.uniform(14)
  case k do
    1 -> :rand.uniform(2000) - 1000
    2 -> (:rand.uniform(1 <<< 62) - (1 <<< 61)) * pick.([1, 1 <<< 40, -(1 <<< 80)])
    3 -> (:rand.uniform() - 0.5) * :math.pow(10, :rand.uniform(600) - 300)
    4 -> pick.(atoms)
    5 -> pick.(texts)
    6 -> :crypto.strong_rand_bytes(:rand.uniform(6) - 1)
    7 -> String.to_charlist(pick.(texts))
    8 -> for _ <- 1..:rand.uniform(4), do: gen.(gen, depth + 1)
    9 -> List.to_tuple(for _ <- 1..:rand.uniform(4), do: gen.(gen, depth + 1))
    10 -> Map.new(for _ <- 1..:rand.uniform(3), do: {pick.(atoms), gen.(gen, depth + 1)})
    11 -> Map.new(for _ <- 1..:rand.uniform(3), do: {gen.(gen, depth + 1), gen.(gen, depth + 1)})
    12 -> for _ <- 1..:rand.uniform(3), do: {pick.(atoms), gen.(gen, depth + 1)}
    13 -> [gen.(gen, depth + 1) | gen.(gen, depth + 1)]
    14 -> n = :rand.uniform(20); <<:rand.uniform(1 <<< n) - 1::size(n)>>
  end
end
for _ <- 1..String.to_integer(count)//1 do
  t = gen.(gen, 0)
  IO.puts(Base.encode64(inspect(t, limit: :infinity, printable_limit: :infinity)) <> " " <> b64.(t))
end
`;

const INSPECT_ATOMS = `
[file] = System.argv()
bin = File.read!(file)
for <<len::16, name::binary-size(len) <- bin>> do
  a = String.to_atom(name)
  IO.puts(Base.encode64(inspect(a)) <> " " <> Base.encode64(inspect([{a, 1}])))
end
`;

async function elixirLines(script: string, input: Uint8Array, args: string[] = []): Promise<string[]> {
  requireElixir();
  const dir = await mkdtemp(join(tmpdir(), 'beamwire-elixir-'));
  try {
    const file = join(dir, 'input');
    await writeFile(file, input);
    const out = await new Promise<string>((resolve, reject) =>
      execFile(...otp('elixir', ['-e', script, file, ...args]), { timeout: 120_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
        error ? reject(new Error(`elixir failed: ${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    return out.trimEnd().split('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The release's `[elixirVersion, otpRelease]`, then one line per literal and per random term. */
async function runElixir(literals: string[], randomTerms = RANDOM_TERMS): Promise<[[string, number], string[]]> {
  const [release, ...lines] = await elixirLines(SCRIPT, Buffer.from(literals.join('\0') + '\0'), [String(SEED), String(randomTerms)]);
  const [version, otpRelease] = release!.split(' ') as [string, string];
  return [[version, Number(otpRelease)], lines];
}

/** Elixir's version as a comparable number: 1.14.0 → 1014. */
const versionOf = (v: string): number => {
  const [major, minor] = v.split('.').map(Number) as [number, number];
  return major * 1000 + minor;
};

const fromB64 = (s: string) => decode(Uint8Array.from(Buffer.from(s, 'base64')));

describe('Elixir literals against elixir (Code.eval_string, inspect/2, :erlang.term_to_binary)', () => {
  it('fixed literals and inspect/2 of random terms read as the terms Elixir built; formatElixir prints what inspect/2 printed', async () => {
    const [[version, otpRelease], lines] = await runElixir(LITERALS);
    expect(lines).toHaveLength(LITERALS.length + RANDOM_TERMS);
    const printed: [string, Term][] = [];
    let textCompared = 0;
    const wrong: string[] = [];
    LITERALS.forEach((src, i) => {
      const want = fromB64(lines[i]!);
      const got = parseTerm(src, { syntax: 'elixir' });
      if (!equals(got, want)) wrong.push(`${src}: elixir ${format(want)}, beamwire ${format(got)}`);
    });
    for (const line of lines.slice(LITERALS.length)) {
      const [text64, t2b] = line.split(' ') as [string, string];
      const text = Buffer.from(text64, 'base64').toString('utf8');
      const want = fromB64(t2b);
      try {
        const got = parseTerm(text, { syntax: 'elixir' });
        if (!equals(got, want)) wrong.push(`${text}: elixir ${format(want)}, beamwire ${format(got)}`);
        // Wrapped in a list, 'auto' must find it Elixir (or, with no mark, read it the same as Erlang would).
        const auto = parseTermList(`[${text}]`);
        if (!equals(auto[0]!, want) && !equals(auto[0]!, parseTerm(text, { syntax: 'erlang' }))) wrong.push(`auto: ${text}: ${format(auto[0]!)}`);
        // And formatElixir prints the decoded term as inspect/2 did, where this release's inspect follows the rules beamwire does.
        const ours = formatElixir(want);
        printed.push([ours, want]);
        const charlistQuotes = versionOf(version) < 1015 && ours.includes('~c"');
        const nodeKeyOrder = otpRelease >= 26 && hasMultiKeyMap(want);
        if (!charlistQuotes && !nodeKeyOrder) {
          textCompared++;
          if (ours !== text) wrong.push(`formatElixir: inspect ${text}, beamwire ${ours} (Elixir ${version}, OTP ${otpRelease})`);
        }
      } catch (e) {
        wrong.push(`${text}: ${(e as Error).message}`);
      }
    }
    expect(wrong, `seed ${SEED}`).toEqual([]);
    expect(textCompared, 'most texts are compared with inspect/2').toBeGreaterThan(RANDOM_TERMS / 4);
    // This release reads every text formatElixir printed back as the term it came from.
    const [, back] = await runElixir(printed.map(([text]) => text), 0);
    expect(back).toHaveLength(printed.length);
    const misread = printed.flatMap(([text, want], i) => (equals(fromB64(back[i]!), want) ? [] : [`${text}: Elixir ${version} reads ${format(fromB64(back[i]!))}`]));
    expect(misread).toEqual([]);
  }, 180_000);
});

describe('formatElixir(atom) against inspect/2', () => {
  it('operators, aliases, every code point up to U+017F alone and after an a, and random names, bare and as keyword keys', async () => {
    const single = Array.from({ length: 0x180 }, (_, c) => String.fromCodePoint(c));
    const operators = '@ ! ^ not + - ~~~ & === !== == != <= >= && || <> ++ -- +++ --- ** // :: <- .. ... |> =~ < > -> * / = | . and or when in ~>> <<~ ~> <~ <~> <|> >>> <<< ||| &&& ^^^ \\\\ % %{} {} <<>> ..// ? ?? ;'.split(' ');
    const names = [
      '', ...single, ...single.map((c) => `a${c}`), ...operators, 'nil', 'true', 'false', 'Elixir', 'Elixir.', 'Elixir.Foo', 'Elixir.Foo.Bar', 'Elixir.foo', 'Elixir.Foo..Bar', 'Elixir.Éa', 'Elixir.Foo_Bar1', 'Foo.Bar',
      'ok?', 'save!', 'a?b', 'a@', 'A@b', '@a', '日本', 'éa?', '9x', 'a-b', 'with"quote', 'a#{b}', 'a\u2028', '\ufffe',
      ...fc.sample(fc.string({ unit: 'grapheme', maxLength: 8 }), { seed: SEED, numRuns: 200 }),
    ];
    const input = Buffer.concat(names.map((n) => {
      const b = Buffer.from(n, 'utf8');
      const len = Buffer.alloc(2);
      len.writeUInt16BE(b.length);
      return Buffer.concat([len, b]);
    }));
    const lines = await elixirLines(INSPECT_ATOMS, input);
    expect(lines).toHaveLength(names.length);
    let quotedWhereBare = 0;
    const wrong = names.flatMap((n, i) => {
      const [bare, keyword] = lines[i]!.split(' ').map((x) => Buffer.from(x, 'base64').toString('utf8')) as [string, string];
      const ours = [formatElixir(atom(n)), formatElixir([tuple(atom(n), 1)])] as const;
      if (ours[0] === bare && ours[1] === keyword) return [];
      // Elixir 1.20 escapes a no-break space or a line separator in a quoted atom (:"\u00A0"); beamwire writes them as they are, which every release reads.
      const escaped = (x: string): string => x.replace(/[\u00a0\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
      if (escaped(ours[0]) === bare && escaped(ours[1]) === keyword) return [];
      // The one divergence allowed: a name quoted that inspect/2 leaves bare (a script past Latin and Han/kana).
      if (ours[0] === `:"${bare.slice(1)}"` && ours[1] === `["${keyword.slice(1, keyword.indexOf(':'))}"${keyword.slice(keyword.indexOf(':'))}` && !/^[\x00-\x7f]*$/.test(n)) {
        quotedWhereBare++;
        return parseTerm(ours[0], { syntax: 'elixir' }) === atom(n) ? [] : [`${JSON.stringify(n)}: ${ours[0]} does not read back`];
      }
      return [`${JSON.stringify(n)}: inspect ${bare} ${keyword}, beamwire ${ours[0]} ${ours[1]}`];
    });
    expect(wrong, `seed ${SEED}`).toEqual([]);
    expect(quotedWhereBare, 'most names print exactly as inspect/2 prints them').toBeLessThan(names.length / 10);
  });
});
