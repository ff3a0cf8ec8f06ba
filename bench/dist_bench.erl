%% The Erlang half of the distribution benchmark (bench/dist.ts). Loaded
%% (-pa) into the `erl` nodes that dist.ts starts; dist.ts calls these
%% functions through the nodes' `ctl` process (test/support/erl-node.ts), so
%% every figure of the Erlang → Erlang runs is timed inside Erlang, with
%% erlang:monotonic_time/0, by the same method dist.ts uses on the JS side:
%%
%%   one-way: the sender notes the time, sends N copies of msg() to the
%%            registered `counter` of the other node, then {done, self()};
%%            the counter answers {count, Count}; the time until that answer
%%            arrives is the run's time (so it covers the receiver having
%%            consumed every message, not only the sender having queued it).
%%   round trip: the registered `echo` of the other node is bound to the
%%            caller ({bind, Pid}) and sends every message back to it; the
%%            caller times each of N sequential send → reply pairs.
-module(dist_bench).
-export([msg/0, start/0, counter/0, echo/0, send/3, rtt/2]).

%% The message every run sends, in both directions.
msg() ->
    {'$gen_call', {request, 1}, {get, <<"user:1">>, [{timeout, 5000}, {retries, 3}]}}.

%% Registers `counter` and `echo` on this node. Returns ok.
start() ->
    register(counter, spawn(fun counter/0)),
    register(echo, spawn(fun echo/0)),
    ok.

counter() -> counter(0).
counter(N) ->
    receive
        {done, From} ->
            From ! {count, N},
            counter(0);
        _ ->
            counter(N + 1)
    end.

echo() ->
    receive
        {bind, Pid} -> echo(Pid)
    end.
echo(To) ->
    receive
        {bind, Pid} -> echo(Pid);
        M -> To ! M, echo(To)
    end.

%% One-way run: N messages to Dest ({counter, Node}), then done.
%% Returns {Count, Microseconds}.
send(Dest, N, Msg) ->
    T0 = erlang:monotonic_time(),
    send_loop(Dest, N, Msg),
    Dest ! {done, self()},
    Count = receive {count, C} -> C after 60000 -> timeout end,
    T1 = erlang:monotonic_time(),
    {Count, erlang:convert_time_unit(T1 - T0, native, microsecond)}.

send_loop(_Dest, 0, _Msg) -> ok;
send_loop(Dest, N, Msg) ->
    Dest ! Msg,
    send_loop(Dest, N - 1, Msg).

%% Round-trip run: N sequential round trips through Echo ({echo, Node}).
%% Returns {N, TotalNanoseconds, SortedNanosecondsList}; dist.ts computes
%% mean and p99 from the list exactly as it does for beamwire's.
rtt(Echo, N) ->
    Echo ! {bind, self()},
    Msg = msg(),
    Times = rtt_loop(Echo, Msg, N, []),
    Echo ! {bind, undefined},
    {N, lists:sum(Times), lists:sort(Times)}.

rtt_loop(_Echo, _Msg, 0, Acc) -> Acc;
rtt_loop(Echo, Msg, N, Acc) ->
    T0 = erlang:monotonic_time(),
    Echo ! Msg,
    receive Msg -> ok end,
    T1 = erlang:monotonic_time(),
    rtt_loop(Echo, Msg, N - 1, [erlang:convert_time_unit(T1 - T0, native, nanosecond) | Acc]).
