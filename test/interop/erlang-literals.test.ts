/**
 * Erlang judges the Erlang literal reader (runtime/cli/term-parser.ts) and
 * the 'auto' rule: one `erl -noshell` prints random terms with ~tp and ~w;
 * beamwire parses each text, pinned to Erlang and in 'auto' mode, and must
 * get the term term_to_binary encodes. Never skipped: without erl it fails.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseTerm } from '../../runtime/cli/term-parser.js';
import { decode, equals, format } from '../../runtime/index.js';
import { requireErl } from '../support/erl-node.js';
import { otp } from '../support/otp.js';

const SEED = 11;
const RANDOM_TERMS = 400;

// Atoms and texts as code point lists: -eval source is not read as UTF-8.
const SCRIPT = `
  [Seed, Count] = [list_to_integer(A) || A <- init:get_plain_arguments()],
  rand:seed(exsss, {Seed, 1, 2}),
  Atoms = [ok, 'a b', list_to_atom([233]), 'Foo', 'Elixir.Foo.Bar', nil, true, false, 'with\\'quote', '9x', 'a-b', '+', '', node@host, list_to_atom([10]), list_to_atom([26085, 26412]), list_to_atom([128, 159, 255])],
  Texts = ["", "abc", [233, 32, 252], "line\\nbreak\\t\\"q\\" \\\\ #{x} $a %c", [26085, 26412, 35486], [128512], [27, 0, 127]],
  Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,
  G = fun G(D) ->
    case rand:uniform(if D > 3 -> 7; true -> 13 end) of
      1 -> rand:uniform(2000) - 1000;
      2 -> (rand:uniform(1 bsl 62) - (1 bsl 61)) * Pick([1, 1 bsl 40, -(1 bsl 80)]);
      3 -> (rand:uniform() - 0.5) * math:pow(10, rand:uniform(600) - 300);
      4 -> Pick(Atoms);
      5 -> unicode:characters_to_binary(Pick(Texts));
      6 -> rand:bytes(rand:uniform(6) - 1);
      7 -> Pick(Texts);
      8 -> [G(D + 1) || _ <- lists:seq(1, rand:uniform(4))];
      9 -> list_to_tuple([G(D + 1) || _ <- lists:seq(1, rand:uniform(4) - 1)]);
      10 -> maps:from_list([{G(D + 1), G(D + 1)} || _ <- lists:seq(1, rand:uniform(3))]);
      11 -> [G(D + 1) | G(D + 1)];
      12 -> N = rand:uniform(20), X = rand:uniform(1 bsl N) - 1, <<X:N>>;
      13 -> {G(D + 1)}
    end
  end,
  B64 = fun(Chars) -> base64:encode(unicode:characters_to_binary(Chars)) end,
  Line = fun(T) -> [B64(io_lib:format("~tp", [T])), $\\s, B64(io_lib:format("~w", [T])), $\\s, base64:encode(term_to_binary(T)), $\\n] end,
  ok = file:write(standard_io, [Line(G(0)) || _ <- lists:seq(1, Count)]),
  halt().`;

function runErl(): Promise<string[]> {
  requireErl();
  return new Promise((resolve, reject) =>
    execFile(...otp('erl', ['-noshell', '-eval', SCRIPT, '-extra', String(SEED), String(RANDOM_TERMS)]), { timeout: 120_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`erl failed: ${error.message}\n${stderr}`)) : resolve(stdout.trimEnd().split('\n')),
    ),
  );
}

describe('Erlang literals against erl (io_lib:format ~tp and ~w, term_to_binary)', () => {
  it('what erl prints reads back as the term it printed, pinned and in auto mode', async () => {
    const lines = await runErl();
    expect(lines).toHaveLength(RANDOM_TERMS);
    const wrong: string[] = [];
    for (const line of lines) {
      const [p64, w64, t2b] = line.split(' ') as [string, string, string];
      const want = decode(Uint8Array.from(Buffer.from(t2b, 'base64')));
      for (const text of [Buffer.from(p64, 'base64').toString('utf8'), Buffer.from(w64, 'base64').toString('utf8')]) {
        for (const syntax of ['erlang', 'auto'] as const) {
          try {
            const got = parseTerm(text, { syntax });
            if (!equals(got, want)) wrong.push(`${syntax}: ${text}: erl ${format(want)}, beamwire ${format(got)}`);
          } catch (e) {
            wrong.push(`${syntax}: ${text}: ${(e as Error).message}`);
          }
        }
      }
    }
    expect(wrong, `seed ${SEED}`).toEqual([]);
  }, 180_000);
});
