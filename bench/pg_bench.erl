%% The Erlang half of bench/pg.ts: subscribers, Erlang's publisher and the join/leave
%% propagation probe, in the default pg scope. Called through erpc from the benchmark.
-module(pg_bench).
-export([subscribers/2, publish/2, joiner/1, propagation/3, echo/0, rtt/2]).

%% N processes on this node that join Group and count the messages of each round.
subscribers(Group, N) ->
    [spawn(fun() -> ok = pg:join(Group, self()), subscriber() end) || _ <- lists:seq(1, N)],
    ok.

subscriber() ->
    receive {go, Count, From} -> count(Count, From) end.

count(0, From) -> From ! {done, self()}, subscriber();
count(K, From) -> receive {msg, _} -> count(K - 1, From) end.

%% Broadcasts broadcasts, each one message to every member pg:get_members gives at that moment
%% (as Phoenix.PubSub's PG2 adapter does), timed from the first send until every member has
%% counted them all. Microseconds.
publish(Group, Broadcasts) ->
    Members = pg:get_members(Group),
    [P ! {go, Broadcasts, self()} || P <- Members],
    T0 = erlang:monotonic_time(microsecond),
    broadcast(Group, Broadcasts),
    wait(length(Members)),
    erlang:monotonic_time(microsecond) - T0.

broadcast(_, 0) -> ok;
broadcast(Group, K) ->
    [P ! {msg, K} || P <- pg:get_members(Group)],
    broadcast(Group, K - 1).

wait(0) -> ok;
wait(K) -> receive {done, _} -> wait(K - 1) end.

%% A process that joins Group on `join` and leaves it on `leave`.
joiner(Group) ->
    spawn(fun Loop() ->
        receive
            join -> ok = pg:join(Group, self());
            leave -> ok = pg:leave(Group, self())
        end,
        Loop()
    end).

%% N times: tell Joiner to join, wait for pg:monitor's join here; then the same for leave.
%% Each time is a request to the joiner's node plus the propagation of its join back here.
%% {JoinTimesUs, LeaveTimesUs}.
propagation(Joiner, Group, N) ->
    {Ref, _} = pg:monitor(Group),
    R = [once(Ref, Joiner, Group) || _ <- lists:seq(1, N)],
    pg:demonitor(Ref),
    {[J || {J, _} <- R], [L || {_, L} <- R]}.

once(Ref, Joiner, Group) ->
    T0 = erlang:monotonic_time(microsecond),
    Joiner ! join,
    receive {Ref, join, Group, _} -> ok end,
    T1 = erlang:monotonic_time(microsecond),
    Joiner ! leave,
    receive {Ref, leave, Group, _} -> ok end,
    {T1 - T0, erlang:monotonic_time(microsecond) - T1}.

%% A process that answers {From, ping} with pong: the bare round trip, beside propagation's.
echo() ->
    spawn(fun Loop() -> receive {From, ping} -> From ! pong end, Loop() end).

%% N sequential round trips to Echo, microseconds each.
rtt(Echo, N) ->
    [begin
         T0 = erlang:monotonic_time(microsecond),
         Echo ! {self(), ping},
         receive pong -> ok end,
         erlang:monotonic_time(microsecond) - T0
     end || _ <- lists:seq(1, N)].
