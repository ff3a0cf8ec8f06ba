/** Unit tier: the RPC envelopes generated from schemas/gen.terms.yaml and schemas/erpc.terms.yaml. */
import { describe, expect, it } from 'vitest';
import { erpc, parseErpc } from '../../generated/erpc.js';
import { gen, parseGen } from '../../generated/gen.js';
import { atom, decode, encode, ImproperList, Pid, Reference, tuple } from '../../runtime/index.js';
import { TermShapeError } from '../../runtime/term/shape.js';

const pid = new Pid(atom('a@h'), 1, 0, 4);
const ref = new Reference(atom('a@h'), 4, [1, 2, 3]);

describe('gen envelopes', () => {
  it("{'$gen_call', {Pid, [alias | Mref]}, Request} and {'$gen_cast', Request}", () => {
    const from = tuple(pid, new ImproperList([atom('alias')], ref));
    expect(parseGen(decode(encode(gen.genCall(from, tuple(atom('get'), 1)))))).toMatchObject({ kind: 'gen_call', request: tuple(atom('get'), 1) });
    expect(parseGen(gen.genCast(atom('ping')))).toEqual({ kind: 'gen_cast', request: atom('ping') });
    expect(() => parseGen(tuple(atom('$gen_call'), 1))).toThrow(TermShapeError);
  });
});

describe('erpc results (tag in second position)', () => {
  it('tells the four results apart, and the two error arities', () => {
    expect(parseErpc(tuple(ref, atom('return'), 42))).toEqual({ kind: 'return', resRef: ref, value: 42 });
    expect(parseErpc(tuple(ref, atom('throw'), atom('oops')))).toEqual({ kind: 'throw', resRef: ref, value: atom('oops') });
    expect(parseErpc(tuple(ref, atom('exit'), atom('bye')))).toEqual({ kind: 'exit', resRef: ref, reason: atom('bye') });
    expect(parseErpc(tuple(ref, atom('error'), atom('badarg'), []))).toEqual({ kind: 'error', resRef: ref, reason: atom('badarg'), stack: [] });
    expect(parseErpc(tuple(ref, atom('error'), tuple(atom('erpc'), atom('notsup'))))).toMatchObject({ kind: 'erpc_error' });
    expect(erpc.return_(ref, 1)).toEqual(tuple(ref, atom('return'), 1));
  });

  it('refuses other terms with a TermShapeError', () => {
    expect(() => parseErpc(tuple(ref, atom('maybe'), 1))).toThrow(/unknown tag/);
    expect(() => parseErpc(tuple(1, atom('return'), 1))).toThrow(/return\.res_ref: must be a reference/);
    expect(() => parseErpc(atom('normal'))).toThrow(/must be a tuple of more than 1 elements/);
  });
});
