/**
 * `npm run demo`: beamwire's codec on a gen_server call, and, where `erl` is
 * installed, the same bytes through a real Erlang VM and back.
 */
import { execFileSync } from 'node:child_process';
import { atom, decode, encode, equals, float, format, fromBinary, tuple, type Term } from '../runtime/index.js';

const show = format;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').replace(/(..)/g, '$1 ').trim();

const call = tuple(
  atom('$gen_call'),
  tuple(atom('request'), 1),
  tuple(atom('get'), 'user:1', [tuple(atom('timeout'), 5000), tuple(atom('retries'), 3)]),
);
const bytes = encode(call);
console.log('term      ', show(call));
console.log(`encoded    ${bytes.length} bytes: ${hex(bytes)}`);
console.log('decoded   ', show(decode(bytes)));

// What JavaScript numbers would lose, kept: 1 vs 1.0, -0.0, 2^64, a float and an integer key apart.
const tricky: Term = new Map<Term, Term>([
  [1, 'integer key'],
  [float(1), 'float key'],
  [atom('neg_zero'), float(-0)],
  [atom('big'), 2n ** 64n],
]);
const back = decode(encode(tricky));
console.log('lossless  ', show(back), equals(back, tricky) ? '(equal)' : '(DIFFERENT)');

let erl = false;
try {
  execFileSync('erl', ['-version'], { stdio: 'ignore' });
  erl = true;
} catch {
  console.log('\n(erl not found: install erlang-nox to see the round trip through Erlang)');
}
if (erl) {
  // Erlang decodes our bytes, prints the term, adds a field, and answers with term_to_binary.
  const script =
    `{ok, [B]} = io:fread("", "~s"), T = binary_to_term(binary:decode_hex(list_to_binary(B))),` +
    ` io:format("~w~n", [T]),` +
    ` {_, _, {get, Key, Opts}} = T,` +
    ` Reply = {reply, #{key => Key, opts => maps:from_list(Opts), node => node(), otp => list_to_binary(erlang:system_info(otp_release))}},` +
    ` io:format("~s", [binary:encode_hex(term_to_binary(Reply))]), halt().`;
  const out = execFileSync('erl', ['-noshell', '-eval', script], { input: Buffer.from(bytes).toString('hex') + '\n' });
  const [seen, replyHex] = out.toString().trim().split('\n');
  console.log('\nerlang decoded our bytes as', seen);
  const reply = decode(Uint8Array.from(Buffer.from(replyHex!, 'hex')));
  console.log('erlang replied', show(reply));
  const m = (reply as { at(i: number): Term }).at(1) as Map<Term, Term>;
  console.log(`key is ${fromBinary(m.get(atom('key'))!)}, OTP ${fromBinary(m.get(atom('otp'))!)}`);
}
