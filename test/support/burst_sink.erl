%% The Erlang half of bench/burst-rss.ts and test/interop/backpressure.test.ts: a registered `sink` that counts the
%% {seq, I, _} messages it gets and checks they come in order (I = 0, 1, 2...).
%% start(Every, Seconds) makes it sleep 1 ms after every Every messages (0:
%% never) for its first Seconds, a receiver slower than its sender, and fast
%% after that, so the backlog a slow run leaves can be checked in minutes.
-module(burst_sink).
-export([start/1, report/0, reset/0]).

%% `erl -s burst_sink start Every Seconds`: the arguments come as atoms.
start([Every, Seconds]) ->
    I = fun(A) -> list_to_integer(atom_to_list(A)) end,
    Until = erlang:monotonic_time(millisecond) + 1000 * I(Seconds),
    register(sink, spawn(fun() -> loop(0, 0, 0, I(Every), Until) end)),
    ok.

%% Counts from 0 again (sent from the node the sink runs on: it arrives before anything sent after the call returns).
reset() ->
    sink ! reset,
    ok.

%% {Count, NextExpected, Gaps}: Gaps counts the messages whose I was not the one expected.
report() ->
    sink ! {report, self()},
    receive {sink, R} -> R after 600000 -> timeout end.

loop(N, Next, Gaps, Every, Until) ->
    receive
        {seq, I, _} ->
            Gaps1 = case I of Next -> Gaps; _ -> Gaps + 1 end,
            N1 = N + 1,
            Every1 = case Every > 0 andalso N1 rem Every =:= 0 of
                true ->
                    timer:sleep(1),
                    case erlang:monotonic_time(millisecond) < Until of true -> Every; false -> 0 end;
                false -> Every
            end,
            loop(N1, I + 1, Gaps1, Every1, Until);
        reset ->
            loop(0, 0, 0, Every, Until);
        {report, From} ->
            From ! {sink, {N, Next, Gaps}},
            loop(N, Next, Gaps, Every, Until)
    end.
