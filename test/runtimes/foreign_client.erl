%% The Erlang side of test/runtimes/foreign-clients.ts: a real OTP node that
%% runs checks against a beamwire node (whichever runtime runs it) and prints
%% one line per check, `ok NAME` or `FAIL NAME: Reason`, then `done`.
%% It is also a gen_server (registered fc_server) for beamwire to call.
-module(foreign_client).
-behaviour(gen_server).
-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(T, 5000).

main([BwName]) ->
    Bw = list_to_atom(BwName),
    {ok, _} = gen_server:start({local, fc_server}, ?MODULE, [], []),
    [check(Name, Fun, Bw) || {Name, Fun} <- checks()],
    io:format("done~n"),
    halt().

check(Name, Fun, Bw) ->
    R = try Fun(Bw) catch C:E:S -> {C, E, S} end,
    case R of
        ok -> io:format("ok ~s~n", [Name]);
        Bad -> io:format("FAIL ~s: ~0p~n", [Name, Bad])
    end.

%% The next message, given to What (which says ok or what arrived instead), or timeout.
recv(What) ->
    receive M -> What(M) after ?T -> timeout end.

checks() ->
    [{"net_adm:ping", fun(Bw) -> pong = net_adm:ping(Bw), ok end},
     {"nodes() lists it", fun(Bw) -> true = lists:member(Bw, nodes()), ok end},
     {"send to a registered name", fun(Bw) ->
          {echo, Bw} ! {self(), hello},
          recv(fun({echo, hello, P}) when is_pid(P), node(P) =:= Bw -> ok; (M) -> {unexpected, M} end) end},
     {"send to a pid", fun(Bw) ->
          {echo, Bw} ! {self(), first},
          P = receive {echo, first, P0} -> P0 after ?T -> exit(no_echo) end,
          P ! {self(), second},
          recv(fun({echo, second, P1}) when P1 =:= P -> ok; (M) -> {unexpected, M} end) end},
     {"a 1 MiB binary both ways", fun(Bw) ->
          B = crypto_free_bytes(1 bsl 20),
          {echo, Bw} ! {self(), B},
          recv(fun({echo, B2, _}) when B2 =:= B -> ok; (M) -> {unexpected, element(1, M)} end) end},
     {"terms of every kind round-trip", fun(Bw) ->
          T = {self(), make_ref(), #{<<"k">> => [1.5, -7, 1 bsl 100, -(1 bsl 70)]}, 'ñandú', "str", <<1:3>>,
               [a | b], fun erlang:node/0, {}, [], #{}, 3.0e-300},
          {echo, Bw} ! {self(), T},
          recv(fun({echo, T2, _}) when T2 =:= T -> ok; (M) -> {unexpected, M} end) end},
     {"erpc:call", fun(Bw) -> 3 = erpc:call(Bw, bw_fc, add, [1, 2]), ok end},
     {"rpc:call", fun(Bw) -> 42 = rpc:call(Bw, bw_fc, add, [40, 2]), ok end},
     {"erpc:call of a function that throws a JS Error", fun(Bw) ->
          try erpc:call(Bw, bw_fc, fail, []) of V -> {returned, V}
          catch error:{exception, {beamwire_error, <<"Error: failed on purpose">>}, [{bw_fc, fail, 0, _} | _]} -> ok end end},
     {"erpc:call of a function not exposed is undef", fun(Bw) ->
          try erpc:call(Bw, bw_fc, nope, [1]) of V -> {returned, V}
          catch error:{exception, undef, [{bw_fc, nope, [1], _} | _]} -> ok end end},
     {"erpc:cast", fun(Bw) ->
          ok = erpc:cast(Bw, bw_fc, notify, [self()]),
          recv(fun({notified, N}) when N =:= Bw -> ok; (M) -> {unexpected, M} end) end},
     {"spawn/4", fun(Bw) ->
          P = spawn(Bw, bw_fc, notify, [self()]),
          true = is_pid(P) andalso node(P) =:= Bw,
          recv(fun({notified, N}) when N =:= Bw -> ok; (M) -> {unexpected, M} end) end},
     {"monitor: DOWN with the exit reason", fun(Bw) ->
          V = erpc:call(Bw, bw_fc, victim, []),
          Ref = monitor(process, V),
          V ! {die, boom},
          recv(fun({'DOWN', R, process, P, boom}) when R =:= Ref, P =:= V -> ok; (M) -> {unexpected, M} end) end},
     {"link: EXIT with the exit reason (trap_exit)", fun(Bw) ->
          V = erpc:call(Bw, bw_fc, victim, []),
          process_flag(trap_exit, true),
          link(V),
          V ! {die, bang},
          R = recv(fun({'EXIT', P, bang}) when P =:= V -> ok; (M) -> {unexpected, M} end),
          process_flag(trap_exit, false),
          R end},
     {"exit(Pid, kill): DOWN killed", fun(Bw) ->
          V = erpc:call(Bw, bw_fc, victim, []),
          Ref = monitor(process, V),
          exit(V, kill),
          recv(fun({'DOWN', R, process, _, killed}) when R =:= Ref -> ok; (M) -> {unexpected, M} end) end},
     {"monitor of a name nobody has: DOWN noproc", fun(Bw) ->
          Ref = monitor(process, {nobody, Bw}),
          recv(fun({'DOWN', R, process, {nobody, N}, noproc}) when R =:= Ref, N =:= Bw -> ok; (M) -> {unexpected, M} end) end},
     {"a beamwire process linked to an Erlang one dies with it", fun(Bw) ->
          E = spawn(fun() -> receive go -> exit(linked_boom) end end),
          L = erpc:call(Bw, bw_fc, link_to, [E]),
          Ref = monitor(process, L),
          E ! go,
          recv(fun({'DOWN', R, process, _, linked_boom}) when R =:= Ref -> ok; (M) -> {unexpected, M} end) end},
     {"gen_server:call to node.serve", fun(Bw) ->
          1 = gen_server:call({counter, Bw}, bump),
          2 = gen_server:call({counter, Bw}, bump), ok end},
     {"gen_server:cast to node.serve", fun(Bw) ->
          ok = gen_server:cast({counter, Bw}, reset),
          0 = gen_server:call({counter, Bw}, get), ok end},
     {"gen_server:call to a name nobody has exits noproc", fun(Bw) ->
          {'EXIT', {noproc, _}} = (catch gen_server:call({nobody, Bw}, x)), ok end},
     {"sys:get_state of node.serve", fun(Bw) -> 0 = sys:get_state({counter, Bw}), ok end},
     {"beamwire -> Erlang: node.rpc", fun(Bw) -> [3, 2, 1] = erpc:call(Bw, bw_fc, rpc_back, [node()]), ok end},
     {"beamwire -> Erlang: send to a registered name", fun(Bw) ->
          register(fc_inbox, self()),
          ok = erpc:call(Bw, bw_fc, send_back, [node()]),
          R = recv(fun({from_bw, N}) when N =:= Bw -> ok; (M) -> {unexpected, M} end),
          unregister(fc_inbox),
          R end},
     {"beamwire -> Erlang: node.call to a gen_server", fun(Bw) -> 5 = erpc:call(Bw, bw_fc, call_back, [node()]), ok end},
     {"beamwire -> Erlang: node.monitor sees DOWN", fun(Bw) ->
          E = spawn(fun() -> receive go -> exit(watched) end end),
          ok = erpc:call(Bw, bw_fc, watch, [E, self()]),
          E ! go,
          recv(fun({watched_down, watched}) -> ok; (M) -> {unexpected, M} end) end},
     {"disconnect_node: nodedown", fun(Bw) ->
          monitor_node(Bw, true),
          true = erlang:disconnect_node(Bw),
          recv(fun({nodedown, N}) when N =:= Bw -> ok; (M) -> {unexpected, M} end) end}].

%% Bytes that do not repeat (so nothing compresses or dedups them), without the crypto app.
crypto_free_bytes(N) -> << <<(X * 7919 rem 251)>> || X <- lists:seq(1, N) >>.

init([]) -> {ok, #{}}.
handle_call({add, A, B}, _From, S) -> {reply, A + B, S}.
handle_cast(_, S) -> {noreply, S}.
