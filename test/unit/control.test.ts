/**
 * Unit tier: the control-message constructors and parser generated from
 * schemas/control.terms.yaml, on the REG_SEND that OTP 25 accepted (captured
 * in erlang-dist-protocol.md section 3.1), on every message of the schema, and
 * on terms that are not control messages.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { control, follows, needs, Op, parseControl } from '../../generated/control.js';
import { atom, decode, encode, equals, Pid, Reference, tuple, type Term } from '../../runtime/index.js';
import { TermShapeError } from '../../runtime/term/shape.js';
import { arbTerm } from '../support/arbitrary.js';

const bytes = (...parts: (number | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : [...Buffer.from(p, 'latin1')])));

const pid = new Pid(atom('ts@h'), 1, 0, 4);
const ref = new Reference(atom('ts@h'), 4, [1, 2, 3]);

describe('control messages (generated/control.ts)', () => {
  it('parses the REG_SEND to net_kernel that OTP 25 accepted, and builds the same bytes back', () => {
    const ctl = bytes(131, 104, 4, 97, 6, 88, 119, 4, 'ts@h', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 119, 0, 119, 10, 'net_kernel');
    const m = parseControl(decode(ctl));
    expect(m).toEqual({ kind: 'reg_send', from: pid, toName: atom('net_kernel') });
    expect(follows[m.kind]).toBe('message');
    expect(encode(control.regSend(pid, atom('net_kernel')))).toEqual(ctl);
  });

  it('has the spec operation numbers and flags', () => {
    expect([Op.LINK, Op.SEND, Op.REG_SEND, Op.MONITOR_P, Op.SPAWN_REQUEST, Op.ALIAS_SEND, Op.UNLINK_ID, Op.UNLINK_ID_ACK]).toEqual([1, 2, 6, 19, 29, 33, 35, 36]);
    expect(needs.spawn_request).toBe('SPAWN');
    expect(needs.unlink_id).toBe('UNLINK_ID');
    expect(follows.payload_exit).toBe('reason');
    expect(follows.spawn_request).toBe('args');
  });

  it('every message of the schema: constructor, encode, decode, parse gives back the fields', () => {
    const schema = YAML.parse(readFileSync('schemas/control.terms.yaml', 'utf8')) as {
      messages: Record<string, { op: number; fields: { id: string; type: string }[] }>;
    };
    const sample: Record<string, Term> = {
      pid,
      atom: atom('name'),
      reference: ref,
      integer: 2n ** 64n - 1n,
      term: tuple(atom('any'), [1, 2.5]),
      proc: atom('registered'),
      pid_or_atom: pid,
      list: [atom('monitor')],
    };
    const mfa = { module: atom('erpc'), function: atom('execute_call'), arity: 4 };
    const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    for (const [name, m] of Object.entries(schema.messages)) {
      const fields = m.fields.filter((f) => f.type !== 'unused');
      const args = fields.map((f) => (f.type === 'mfa' ? mfa : sample[f.type]!));
      const make = (control as unknown as Record<string, (...a: unknown[]) => Term>)[camel(name)]!;
      const parsed = parseControl(decode(encode(make(...args)))) as unknown as Record<string, unknown>;
      expect(parsed['kind'], name).toBe(name);
      fields.forEach((f, i) => {
        const got = parsed[camel(f.id)];
        if (f.type === 'mfa') expect(got, `${name}.${f.id}`).toEqual(mfa);
        else expect(equals(got as Term, args[i] as Term), `${name}.${f.id}`).toBe(true);
      });
    }
  });

  it('refuses what is not a control message with a TermShapeError naming the field', () => {
    const cases: [Term, RegExp][] = [
      [atom('hello'), /^control: must be a non-empty tuple/],
      [tuple(99, pid), /^control: has an unknown operation/],
      [tuple(1, pid), /^link: must be a tuple of 3 elements/],
      [tuple(1, pid, atom('x')), /^link\.to: must be a pid/],
      [tuple(19, pid, 42, ref), /^monitor_p\.to_proc: must be a pid or an atom/],
      [tuple(29, ref, pid, pid, tuple(atom('m'), atom('f'), 300), []), /^spawn_request\.mfa\.arity: must be 0\.\.255/],
      [tuple(35, 1.5, pid, pid), /^unlink_id\.id: must be an integer/],
    ];
    for (const [t, msg] of cases) expect(() => parseControl(t), msg.source).toThrow(msg);
  });

  it('any term: a control message or a TermShapeError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(arbTerm, fc.tuple(fc.integer({ min: 0, max: 40 }), fc.array(arbTerm, { maxLength: 6 })).map(([op, rest]) => tuple(op, ...rest))), (t) => {
        try {
          parseControl(t);
        } catch (e) {
          if (!(e instanceof TermShapeError)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
});
