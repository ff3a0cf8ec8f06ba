%% The Erlang half of the RPC benchmark (bench/rpc.ts). Loaded (-pa) into
%% the two `erl` nodes that rpc.ts starts, and called through their `ctl`
%% process (test/support/erl-node.ts), so the Erlang callers are timed inside
%% Erlang, with erlang:monotonic_time/0, by the method rpc.ts uses for
%% beamwire's node.rpc: N sequential calls, each timed on its own.
-module(rpc_bench).
-export([calls/7]).

%% N sequential erpc:call(Node, M, F, A, Timeout), each of which must return
%% Expect. Returns {N, TotalNanoseconds, SortedNanosecondsList}; rpc.ts
%% computes mean, p50 and p99 from the list exactly as for beamwire's calls.
calls(Node, M, F, A, Expect, Timeout, N) ->
    Times = loop(Node, M, F, A, Expect, Timeout, N, []),
    {N, lists:sum(Times), lists:sort(Times)}.

loop(_Node, _M, _F, _A, _Expect, _Timeout, 0, Acc) -> Acc;
loop(Node, M, F, A, Expect, Timeout, N, Acc) ->
    T0 = erlang:monotonic_time(),
    Expect = erpc:call(Node, M, F, A, Timeout),
    T1 = erlang:monotonic_time(),
    Ns = erlang:convert_time_unit(T1 - T0, native, nanosecond),
    loop(Node, M, F, A, Expect, Timeout, N - 1, [Ns | Acc]).
