/**
 * Type-level test of the generated service stubs: not run, only compiled by
 * test/types/stubs.test.ts (TypeScript compiler API, the repo's tsconfig),
 * which demands zero diagnostics. Each `@ts-expect-error` line must be an
 * error, so an unused one fails the test as surely as a wrong type would.
 */
import { erlang, exposeErlang, type ErlangServer } from '../../generated/services/erlang.js';
import { exposeLists, lists, type ListsServer } from '../../generated/services/lists.js';
import { maps } from '../../generated/services/maps.js';
import { os, osType, timestamp, type OsType, type Timestamp } from '../../generated/services/os.js';
import type { Node } from '../../runtime/node/node.js';
import type { Atom } from '../../runtime/term/atom.js';
import type { Reference, Term } from '../../runtime/term/values.js';
import * as C from '../../runtime/stubs/index.js';

/** node.rpc and node.expose with the signatures runtime/node promises. */
declare const node: {
  rpc(nodeName: string, module: string | Atom, fun: string | Atom, args: Term[], opts?: { timeout?: number }): Promise<Term>;
  expose(moduleName: string, impl: Record<string, (...args: Term[]) => Term | Promise<Term>>): void;
};
const caller: C.RpcCaller = node;
declare function expectType<T>(value: T): void;

export async function client(): Promise<void> {
  // Results carry their TS types.
  expectType<number[]>(await lists.seq(caller, 'erl@h', 1, 10));
  expectType<Term[]>(await lists.reverse(caller, 'erl@h', [1, 'two']));
  expectType<number>(await lists.sum(caller, 'erl@h', [1, 2.5], { timeout: 100 }));
  expectType<boolean>(await lists.member(caller, 'erl@h', 1, [1]));
  expectType<string>(await erlang.node(caller, 'erl@h'));
  expectType<string[]>(await erlang.nodes(caller, 'erl@h'));
  expectType<string>(await erlang.systemInfo(caller, 'erl@h', 'otp_release'));
  expectType<Reference>(await erlang.makeRef(caller, 'erl@h'));
  expectType<Map<Term, Term>>(await maps.fromList(caller, 'erl@h', [[1, 2]]));
  expectType<OsType>(await os.type(caller, 'erl@h'));
  expectType<'unix' | 'win32'>((await os.type(caller, 'erl@h'))[0]);
  expectType<Timestamp>(await os.timestamp(caller, 'erl@h'));
  expectType<[number, number, number]>(await os.timestamp(caller, 'erl@h'));
  const bound = C.bind(lists, caller, 'erl@h');
  expectType<number[]>(await bound.seq(1, 3));

  // Wrong arguments do not compile.
  // @ts-expect-error a string is not an integer
  await lists.seq(caller, 'erl@h', '1', 10);
  // @ts-expect-error seq/2 takes two integers
  await lists.seq(caller, 'erl@h', 1);
  // @ts-expect-error sum takes a list of numbers
  await lists.sum(caller, 'erl@h', ['1']);
  // @ts-expect-error system_info is declared for otp_release only
  await erlang.systemInfo(caller, 'erl@h', 'process_count');
  // @ts-expect-error the target node is a string
  await erlang.node(caller, 42);
  // @ts-expect-error a caller must have rpc
  await erlang.node({}, 'erl@h');
  // @ts-expect-error from_list takes {K, V} pairs, as two-element arrays
  await maps.fromList(caller, 'erl@h', [[1, 2, 3]]);
  // @ts-expect-error options are { timeout?: number }
  await lists.seq(caller, 'erl@h', 1, 2, { timeout: '1s' });
  // @ts-expect-error the bound stub has no caller parameter left
  await bound.seq(caller, 'erl@h', 1, 3);
  // @ts-expect-error the result is number[], not string[]
  expectType<string[]>(await lists.seq(caller, 'erl@h', 1, 10));
  // @ts-expect-error os:type/0 gives a pair
  expectType<[string, string, string]>(await os.type(caller, 'erl@h'));
}

export function server(): void {
  const impl: ListsServer = {
    reverse: (list) => [...list].reverse(),
    seq: (from, to) => [from, to],
    seqStep: async (from) => [from],
    sum: (list) => list.length,
    member: () => false,
  };
  node.expose('lists', exposeLists(impl));

  const bad: ErlangServer = {
    node: () => 'ts@h',
    // @ts-expect-error nodes/0 returns a list of atom names, not one
    nodes: () => 'ts@h',
    systemInfo: () => '25',
    makeRef: () => {
      throw new Error('no refs here');
    },
    atomToBinary: (a) => a,
    phash2: () => 0,
  };
  node.expose('erlang', exposeErlang(bad));

  // @ts-expect-error an implementation must have every function
  exposeLists({ reverse: (l: Term[]) => l });

  // @ts-expect-error seq's arguments are numbers, so an implementation taking strings does not fit
  const wrong: ListsServer = { ...impl, seq: (a: string, b: string) => [a.length, b.length] };
  void wrong;

  // Named types are validators of their type.
  expectType<OsType>(C.decode(osType, [] as Term));
  expectType<Term>(C.encode(timestamp, [1, 2, 3]));
  // @ts-expect-error a timestamp has three integers
  C.encode(timestamp, [1, 2]);
}

/** The real Node is an RpcCaller, and takes an expose adapter's record. */
export function realNode(n: Node, impl: ListsServer): Promise<number[]> {
  n.expose('lists', exposeLists(impl));
  return lists.seq(n, 'erl@h', 1, 2);
}
