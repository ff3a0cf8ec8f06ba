#!/usr/bin/env escript
%% -*- erlang -*-
%%! +A0
%%
%% Writes the benchmark corpora. Erlang itself makes the bytes, so the
%% benchmark measures what a BEAM node actually sends, not what a JS encoder
%% believes it sends.
%%
%% Usage: escript bench/corpora.escript OUT_DIR
%%
%% For each corpus C in small, medium, blob it writes
%%   C.etf     term_to_binary(T, [{minor_version, 2}])  (UTF-8 atoms, as on
%%             the distribution wire and OTP 26+'s default)
%%   C.v1.etf  term_to_binary(T, [{minor_version, 1}])  (Latin-1 ATOM_EXT
%%             atoms) -- only for erlpack, whose decoder has no
%%             ATOM_UTF8_EXT / SMALL_ATOM_UTF8_EXT
%% Each file is a sequence of frames <<Len:32/big, Bin:Len/binary>>, one
%% frame per term. Generation is seeded, so every run writes the same bytes.
-mode(compile).

main([Dir]) ->
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    _ = rand:seed(exsss, {16#beef, 16#5eed, 131}),
    write(Dir, "small", [small(I) || I <- lists:seq(1, 10000)]),
    write(Dir, "medium", [medium(I) || I <- lists:seq(1, 2000)]),
    write(Dir, "blob", [blob(I) || I <- lists:seq(1, 200)]),
    ok;
main(_) ->
    io:format(standard_error, "usage: corpora.escript OUT_DIR~n", []),
    halt(2).

write(Dir, Name, Terms) ->
    Frame = fun(Opts) ->
        [begin B = term_to_binary(T, Opts), [<<(byte_size(B)):32>>, B] end || T <- Terms]
    end,
    ok = file:write_file(filename:join(Dir, Name ++ ".etf"), Frame([{minor_version, 2}])),
    ok = file:write_file(filename:join(Dir, Name ++ ".v1.etf"), Frame([{minor_version, 1}])).

%% (a) a gen_server:call as it crosses the wire.
small(I) ->
    {'$gen_call', {request, I},
     {get, <<"user:", (integer_to_binary(I))/binary>>, [{timeout, 5000}, {retries, 3}]}}.

%% (b) a ~1 KB record-ish map: nested maps and lists, floats (some integral),
%% atoms, tuples, binaries, a charlist, a 64-bit bignum (erlpack reads at most
%% 8-byte bignums); atom keys plus a few binary
%% keys. Shape and size vary with I.
medium(I) ->
    IB = integer_to_binary(I),
    Events = [#{ts => 1700000000000 + I * 1000 + K,
                event => lists:nth(1 + (I + K) rem 4, [login, logout, purchase, refund]),
                amount => (I * 7 + K) / 3,
                ok => (I + K) rem 3 =/= 0}
              || K <- lists:seq(1, 4 + I rem 5)],
    #{id => I,
      name => <<"user-", IB/binary>>,
      email => <<"user", IB/binary, "@example.com">>,
      active => I rem 2 =:= 0,
      score => I * 1.25,
      ratio => float(I rem 10),                    % integral float: 3.0
      snowflake => (1 bsl 60) + I * 1000000007,    % 64-bit id above 2^53: a bignum
      locale => "en_GB",                           % charlist (STRING_EXT)
      tags => lists:sublist([admin, staff, beta, vip, legacy, trial], 1 + I rem 6),
      roles => [{role, R, L} || {R, L} <- [{reader, 1}, {writer, 2}, {owner, 3}]],
      address => #{street => <<"1 Main Street">>,
                   city => lists:nth(1 + I rem 3, [<<"London">>, <<"Paris">>, <<"Berlin">>]),
                   zip => 10000 + I,
                   geo => {51.5 + I / 10000, -0.12 - I / 10000}},
      history => Events,
      limits => {I rem 100, 1 bsl 20, -I},
      bio => binary:copy(<<"lorem ipsum ">>, 4 + I rem 9),
      <<"etag">> => crypto_free_hash(I),
      <<"meta">> => #{<<"source">> => <<"bench">>, <<"rev">> => I rem 7, <<"weights">> => [0.5, 0.25, 0.125]}}.

crypto_free_hash(I) ->
    <<(erlang:phash2({etag, I})):32, (erlang:phash2({etag2, I})):32>>.

%% (c) a 64 KB payload.
blob(I) ->
    {blob, I, rand:bytes(65536)}.
