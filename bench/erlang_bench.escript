#!/usr/bin/env escript
%% -*- erlang -*-
%%
%% Erlang's own binary_to_term/1 and term_to_binary/2 over the same corpus
%% files the JS implementations read, with the same method as bench/run.ts:
%% a warm-up, then ROUNDS rounds; each round repeats whole passes over the
%% corpus until ROUND_MS have elapsed and reports terms done and microseconds
%% taken (timer:tc around each pass). run.ts takes the median.
%%
%% Usage: escript bench/erlang_bench.escript DIR WARM_MS ROUND_MS ROUNDS CORPUS...
%% Output: one line per round: "round CORPUS OP TERMS MICROSECONDS BYTES"
%% (BYTES: total ETF bytes read or written in the round).
-mode(compile).

main([Dir, WarmMs, RoundMs, Rounds | Corpora]) ->
    W = list_to_integer(WarmMs) * 1000,
    R = list_to_integer(RoundMs) * 1000,
    N = list_to_integer(Rounds),
    {ok, Vsn} = file:read_file(filename:join([code:root_dir(), "releases",
                                              erlang:system_info(otp_release), "OTP_VERSION"])),
    io:format("otp ~s erts ~s schedulers ~p~n",
              [string:trim(Vsn), erlang:system_info(version),
               erlang:system_info(schedulers_online)]),
    lists:foreach(fun(C) -> corpus(Dir, C, W, R, N) end, Corpora);
main(_) ->
    io:format(standard_error, "usage: erlang_bench.escript DIR WARM_MS ROUND_MS ROUNDS CORPUS...~n", []),
    halt(2).

corpus(Dir, Name, W, R, N) ->
    {ok, File} = file:read_file(filename:join(Dir, Name ++ ".etf")),
    Bins = [B || <<L:32, B:L/binary>> <= File],
    InBytes = lists:sum([byte_size(B) || B <- Bins]),
    Terms = [binary_to_term(B) || B <- Bins],
    OutBytes = lists:sum([byte_size(term_to_binary(T, [{minor_version, 2}])) || T <- Terms]),
    Decode = fun() -> decode_pass(Bins, 0) end,
    Encode = fun() -> encode_pass(Terms, 0) end,
    cell(Name, "decode", Decode, length(Bins), InBytes, W, R, N),
    cell(Name, "encode", Encode, length(Terms), OutBytes, W, R, N).

cell(Name, Op, Pass, Count, Bytes, W, R, N) ->
    garbage_collect(),
    _ = timed(Pass, W, 0, 0),
    lists:foreach(
      fun(_) ->
          {Passes, Us} = timed(Pass, R, 0, 0),
          io:format("round ~s ~s ~p ~p ~p~n", [Name, Op, Passes * Count, Us, Passes * Bytes])
      end,
      lists:seq(1, N)).

%% Whole passes until at least Budget microseconds have been spent.
timed(_Pass, Budget, Passes, Us) when Us >= Budget, Passes > 0 -> {Passes, Us};
timed(Pass, Budget, Passes, Us) ->
    {T, Count} = timer:tc(Pass),
    true = Count > 0,
    timed(Pass, Budget, Passes + 1, Us + T).

%% The match on the result keeps the compiler from treating the call as dead.
decode_pass([B | Bs], N) ->
    case binary_to_term(B) of
        undefined -> decode_pass(Bs, N);
        _ -> decode_pass(Bs, N + 1)
    end;
decode_pass([], N) -> N.

encode_pass([T | Ts], N) ->
    case term_to_binary(T, [{minor_version, 2}]) of
        <<>> -> encode_pass(Ts, N);
        _ -> encode_pass(Ts, N + 1)
    end;
encode_pass([], N) -> N.
