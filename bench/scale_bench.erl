%% Erlang's side of bench/scale.ts: the same measurements as
%% bench/scale-child.mjs, in an `erl +P 2000000` of its own, and the senders
%% and sink of the 10-peer throughput run. Each of idle/1 and ring/3 prints
%% one line `RESULT {json}` and halts.
-module(scale_bench).
-export([idle/1, ring/3, blast/2, sink/2]).

%% Spawns N processes that each wait in a receive, timed until all have
%% started; then the memory they hold, after a collection of the caller.
idle(N) ->
    garbage_collect(),
    Before = erlang:memory(total),
    {Seconds, Pids} = spawn_all(N, fun() -> receive stop -> ok end end),
    garbage_collect(),
    After = erlang:memory(total),
    {memory, One} = erlang:process_info(hd(Pids), memory),
    out(io_lib:format("{\"mode\":\"idle\",\"n\":~b,\"alive\":~b,\"spawnPerSec\":~f,\"spawnSeconds\":~f,\"bytesPerProcess\":~f,\"processInfoMemory\":~b,\"total\":~b}",
                      [N, erlang:system_info(process_count), N / Seconds, Seconds, (After - Before) / N, One, After])).

%% A ring of N processes (each first receives its next pid, then forwards
%% every integer decremented); T tokens spread over the ring, H hops in all.
ring(N, H, T) ->
    Self = self(),
    {_, Pids} = spawn_all(N, fun() -> receive {next, Next} -> hop(Next, Self) end end),
    Tuple = list_to_tuple(Pids),
    [element(I, Tuple) ! {next, element(I rem N + 1, Tuple)} || I <- lists:seq(1, N)],
    garbage_collect(),
    Per = H div T,
    T0 = erlang:monotonic_time(),
    [element(K * N div T + 1, Tuple) ! Per || K <- lists:seq(0, T - 1)],
    [receive token_done -> ok end || _ <- lists:seq(1, T)],
    Seconds = erlang:convert_time_unit(erlang:monotonic_time() - T0, native, nanosecond) / 1.0e9,
    out(io_lib:format("{\"mode\":\"ring\",\"n\":~b,\"hops\":~b,\"tokens\":~b,\"seconds\":~f,\"msgsPerSec\":~f}",
                      [N, Per * T, T, Seconds, Per * T / Seconds])).

hop(Next, Collector) ->
    receive
        0 -> Collector ! token_done, hop(Next, Collector);
        K -> Next ! K - 1, hop(Next, Collector)
    end.

spawn_all(N, Fun) ->
    Counter = counters:new(1, [write_concurrency]),
    T0 = erlang:monotonic_time(),
    Pids = [spawn(fun() -> counters:add(Counter, 1, 1), Fun() end) || _ <- lists:seq(1, N)],
    wait_started(Counter, N),
    {erlang:convert_time_unit(erlang:monotonic_time() - T0, native, nanosecond) / 1.0e9, Pids}.

wait_started(Counter, N) ->
    case counters:get(Counter, 1) of
        N -> ok;
        _ -> erlang:yield(), wait_started(Counter, N)
    end.

out(Json) ->
    io:format("RESULT ~s~n", [Json]),
    halt(0).

%% The 10-peer run: N messages from this node to Dest, as fast as it sends.
blast(Dest, N) -> blast_loop(Dest, N).
blast_loop(_, 0) -> ok;
blast_loop(Dest, N) -> Dest ! {msg, N}, blast_loop(Dest, N - 1).

%% Registers `scale_sink`, counts Total messages, then tells ReplyTo.
sink(Total, ReplyTo) ->
    Pid = spawn(fun() ->
        register(scale_sink, self()),
        count(Total),
        ReplyTo ! sink_done
    end),
    {ok, Pid}.

count(0) -> ok;
count(N) -> receive {msg, _} -> count(N - 1) end.
