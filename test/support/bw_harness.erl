%% -*- coding: utf-8 -*-
%% The Erlang half of test/support/erl.ts: a real BEAM that judges beamwire's
%% bytes. It talks over its own stdin/stdout as a {packet,4} port, with a
%% framing of its own (not ETF), so the harness never depends on the codec
%% under test:
%%
%%   request  <<Id:32, Op:8, Payload/binary>>
%%   reply    <<Id:32, Status:8, Payload/binary>>   Status 0 = ok, 1 = error (UTF-8 text)
%%
%% It also generates random terms of every kind (term/0 below), so beamwire
%% is tested on what Erlang makes, not only on what TypeScript imagines.
%%
%% On start it sends <<0:32, 0, OtpRelease/binary>>. EOF on stdin halts the node.
%% Run as: erl -noinput -pa Dir -eval 'bw_harness:main()'.
-module(bw_harness).
-export([main/0, term/0]).

-define(OP_ROUND_TRIP, 1).
-define(OP_COMPARE, 2).
-define(OP_GENERATE, 3).
-define(OP_STOP, 4).

main() ->
    process_flag(trap_exit, true),
    Port = open_port({fd, 0, 1}, [binary, {packet, 4}, eof]),
    port_command(Port, <<0:32, 0, (list_to_binary(erlang:system_info(otp_release)))/binary>>),
    loop(Port).

loop(Port) ->
    receive
        {Port, {data, <<Id:32, ?OP_STOP, _/binary>>}} ->
            port_command(Port, <<Id:32, 0>>),
            erlang:halt(0, [{flush, true}]);
        {Port, {data, <<Id:32, Op, Payload/binary>>}} ->
            Reply = try handle(Op, Payload) of
                        Bin when is_binary(Bin) -> <<Id:32, 0, Bin/binary>>
                    catch
                        throw:{reply_error, Text} ->
                            <<Id:32, 1, (unicode:characters_to_binary(Text))/binary>>;
                        Class:Reason:Stack ->
                            Text = io_lib:format("~p:~tp in ~tp", [Class, Reason, hd(Stack ++ [none])]),
                            <<Id:32, 1, (unicode:characters_to_binary(Text))/binary>>
                    end,
            port_command(Port, Reply),
            loop(Port);
        {Port, {data, Short}} ->
            io:format(standard_error, "bw_harness: short request ~w~n", [Short]),
            erlang:halt(3);
        {Port, eof} ->
            erlang:halt(0);
        {'EXIT', Port, Reason} ->
            io:format(standard_error, "bw_harness: port closed: ~p~n", [Reason]),
            erlang:halt(1);
        _Other ->
            loop(Port)
    end.

%% term_to_binary(binary_to_term(Bytes), Opts). Flags: bit 0 = {minor_version,2},
%% bit 1 = compressed.
handle(?OP_ROUND_TRIP, <<Flags, Bytes/binary>>) ->
    Term = decode(Bytes, "input"),
    Opts = [{minor_version, 2} || Flags band 1 =/= 0] ++ [compressed || Flags band 2 =/= 0],
    term_to_binary(Term, Opts);
%% <<Equal, SameBytes>>: Equal is binary_to_term(Ours) =:= binary_to_term(Original);
%% SameBytes also tells 0.0 from -0.0, which =:= does not before OTP 27.
handle(?OP_COMPARE, <<Len:32, Ours:Len/binary, Original/binary>>) ->
    A = decode(Ours, "ours"),
    B = decode(Original, "original"),
    Same = term_to_binary(A, [{minor_version, 2}]) =:= term_to_binary(B, [{minor_version, 2}]),
    <<(bool(A =:= B)), (bool(Same))>>;
%% Count terms from the generator below, each as
%% <<L1:32, T2b:L1/binary, L2:32, T2bUtf8:L2/binary, L3:32, Text:L3/binary>>
%% (Text: the term printed, for failure messages).
handle(?OP_GENERATE, <<Count:32, Seed:32>>) ->
    _ = rand:seed(exsss, {Seed, Seed bxor 16#5DEECE66D, 16#B}),
    << <<(frame(term_to_binary(T)))/binary,
         (frame(term_to_binary(T, [{minor_version, 2}])))/binary,
         (frame(unicode:characters_to_binary(describe(T))))/binary>>
       || T <- [term() || _ <- lists:seq(1, Count)] >>;
handle(Op, Payload) ->
    throw({reply_error, io_lib:format("unknown request ~b with ~b payload bytes", [Op, byte_size(Payload)])}).

%% For failure messages: depth-limited, and cut at 2000 characters.
describe(T) ->
    string:slice(io_lib:format("~tP", [T, 10]), 0, 2000).

decode(Bytes, Which) ->
    try binary_to_term(Bytes)
    catch error:Reason ->
        throw({reply_error, io_lib:format("binary_to_term(~s) raised ~p on ~b bytes: ~w",
                                          [Which, Reason, byte_size(Bytes), head(Bytes)])})
    end.

head(Bytes) when byte_size(Bytes) =< 64 -> Bytes;
head(<<H:64/binary, _/binary>>) -> <<H/binary, "...">>.

frame(Bin) -> <<(byte_size(Bin)):32, Bin/binary>>.

bool(true) -> 1;
bool(false) -> 0.

%% ---------------------------------------------------------------------------
%% Random terms of every kind, from the process's rand state. Closures are
%% made by this compiled module, so they are real NEW_FUN_EXT funs whose free
%% variables are random terms too.

term() -> gen(4).

gen(0) -> leaf();
gen(D) ->
    case rand:uniform(12) of
        N when N =< 6 -> leaf();
        7 -> tuple(D);
        8 -> proper_list(D);
        9 -> improper_list(D);
        10 -> map(D);
        11 -> closure(D);
        12 -> proper_list(D)
    end.

leaf() ->
    case rand:uniform(16) of
        1 -> small_int();
        2 -> integer();
        3 -> integer();
        4 -> float_();
        5 -> float_();
        6 -> atom();
        7 -> atom();
        8 -> binary();
        9 -> bitstring();
        10 -> string();
        11 -> charlist();
        12 -> pid();
        13 -> port();
        14 -> ref();
        15 -> export_fun();
        16 -> pick([[], {}, #{}, <<>>])
    end.

rare() -> rand:uniform(40) =:= 1.

pick(List) -> lists:nth(rand:uniform(length(List)), List).

count() -> rand:uniform(6) - 1.

small_int() -> rand:uniform(256) - 1.

integer() ->
    case rand:uniform(6) of
        1 -> rand:uniform(1 bsl 32) - (1 bsl 31) - 1;
        2 -> pick(int_boundaries());
        3 -> bignum(rand:uniform(8));
        4 -> bignum(rand:uniform(40));
        5 -> -rand:uniform(1000);
        6 -> case rare() of
                 true -> bignum(250 + rand:uniform(60));
                 false -> bignum(rand:uniform(16))
             end
    end.

int_boundaries() ->
    [0, 255, 256, -1, -255, -256,
     (1 bsl 31) - 1, -(1 bsl 31), 1 bsl 31, -(1 bsl 31) - 1, 1 bsl 32,
     (1 bsl 53) - 1, 1 bsl 53, (1 bsl 53) + 1, -((1 bsl 53) - 1), -(1 bsl 53), -(1 bsl 53) - 1,
     1 bsl 63, (1 bsl 64) - 1, 1 bsl 64, -(1 bsl 64),
     (1 bsl 2040) - 1, 1 bsl 2040, -(1 bsl 2040)].

bignum(Bytes) ->
    Magnitude = binary:decode_unsigned(rand:bytes(Bytes), little),
    pick([1, -1]) * Magnitude.

float_() ->
    case rand:uniform(4) of
        1 -> pick(float_specials());
        2 -> float(rand:uniform(2001) - 1001);
        3 -> (rand:uniform() - 0.5) * math:pow(10, rand:uniform(41) - 21);
        4 -> random_bits_float()
    end.

float_specials() ->
    <<NegZero/float>> = <<128, 0:56>>,
    [0.0, NegZero, 1.0, -1.0, 1.5, 0.1, 1.0e300, -1.0e300, 5.0e-324, -5.0e-324,
     2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
     9007199254740992.0, 123456789.0, 1.0e15, 1.0e16, 1.0e21, 1.0e-7].

%% Any finite double; NaN and infinities do not match a float segment.
random_bits_float() ->
    case <<(rand:uniform(1 bsl 64) - 1):64>> of
        <<F/float>> -> F;
        _ -> random_bits_float()
    end.

atom() ->
    case rand:uniform(3) of
        1 -> pick(atom_pool());
        _ -> list_to_atom([char() || _ <- lists:seq(1, rand:uniform(13) - 1)])
    end.

atom_pool() ->
    [ok, error, true, false, undefined, nil, '', 'Hello World', '$gen_call', 'a@b',
     list_to_atom("h" ++ [16#E9] ++ "llo"), list_to_atom([16#65E5, 16#672C]), list_to_atom([16#1F680]),
     list_to_atom(lists:duplicate(255, $x)), list_to_atom(lists:duplicate(255, 16#E9)),
     list_to_atom(lists:duplicate(255, 16#65E5)), list_to_atom(lists:duplicate(86, 16#65E5))].

%% A code point from ASCII, Latin-1, CJK or emoji: 1 to 4 UTF-8 bytes.
char() ->
    case rand:uniform(5) of
        1 -> $a + rand:uniform(26) - 1;
        2 -> 32 + rand:uniform(95) - 1;
        3 -> 16#A0 + rand:uniform(96) - 1;
        4 -> 16#4E00 + rand:uniform(16#5200) - 1;
        5 -> 16#1F600 + rand:uniform(80) - 1
    end.

binary() ->
    case rare() of
        true -> rand:bytes(256 + rand:uniform(70000));
        false -> rand:bytes(rand:uniform(25) - 1)
    end.

bitstring() ->
    Bits = rand:uniform(7),
    <<(rand:bytes(rand:uniform(6) - 1))/binary, (rand:uniform(1 bsl Bits) - 1):Bits>>.

%% A list of bytes, which term_to_binary writes as STRING_EXT up to 65535
%% elements and as LIST_EXT beyond.
string() ->
    Length = case rare() of
                 true -> pick([65534, 65535, 65536, 65537]);
                 false -> rand:uniform(20)
             end,
    [small_int() || _ <- lists:seq(1, Length)].

charlist() -> [char() || _ <- lists:seq(1, rand:uniform(10))].

remote_node() ->
    Name = pick([<<"other@host">>, <<"n@127.0.0.1">>, <<"ノード@host"/utf8>>]),
    <<119, (byte_size(Name)), Name/binary>>.

u32() -> rand:uniform(1 bsl 32) - 1.

pid() ->
    case rand:uniform(3) of
        1 -> self();
        2 -> spawn(fun() -> ok end);
        3 -> binary_to_term(<<131, 88, (remote_node())/binary, (u32()):32, (u32()):32, (u32()):32>>)
    end.

port() ->
    case rand:uniform(3) of
        1 -> hd(erlang:ports());
        2 -> binary_to_term(<<131, 89, (remote_node())/binary, (rand:uniform(1 bsl 28) - 1):32, (u32()):32>>);
        3 -> binary_to_term(<<131, 120, (remote_node())/binary, (rand:uniform(1 bsl 64) - 1):64, (u32()):32>>)
    end.

ref() ->
    case rand:uniform(3) of
        1 -> make_ref();
        2 -> alias();
        3 ->
            %% OTP 25 hashes a one-word remote ref inconsistently, which breaks
            %% it as a key of a map of more than 32 keys (see map/1).
            Words = case get(no_one_word_refs) of
                        true -> 1 + rand:uniform(4);
                        _ -> rand:uniform(5)
                    end,
            binary_to_term(<<131, 90, Words:16, (remote_node())/binary, (u32()):32,
                             << <<(u32()):32>> || _ <- lists:seq(1, Words) >>/binary>>)
    end.

export_fun() ->
    case rand:uniform(3) of
        1 -> fun erlang:node/0;
        _ -> erlang:make_fun(atom(), atom(), rand:uniform(256) - 1)
    end.

tuple(D) ->
    case rare() of
        true -> list_to_tuple([small_int() || _ <- lists:seq(1, 250 + rand:uniform(20))]);
        false -> list_to_tuple([gen(D - 1) || _ <- lists:seq(1, count())])
    end.

proper_list(D) -> [gen(D - 1) || _ <- lists:seq(1, count())].

improper_list(D) ->
    lists:foldr(fun(E, Tail) -> [E | Tail] end, not_a_list(), [gen(D - 1) || _ <- lists:seq(1, rand:uniform(4))]).

not_a_list() ->
    case leaf() of
        L when is_list(L) -> not_a_list();
        T -> T
    end.

map(D) ->
    Size = case rare() of
               true -> 33 + rand:uniform(40);
               false -> count()
           end,
    Outer = get(no_one_word_refs),
    put(no_one_word_refs, Outer =:= true orelse Size > 32),
    Keys = [key(D - 1) || _ <- lists:seq(1, Size)],
    put(no_one_word_refs, Outer),
    Pairs = [{K, gen(D - 1)} || K <- Keys],
    Extra = case rand:uniform(4) of
                1 -> [{1, gen(D - 1)}, {1.0, gen(D - 1)}];
                _ -> []
            end,
    maps:from_list(Pairs ++ Extra).

key(D) ->
    case rand:uniform(3) of
        1 -> atom();
        2 -> leaf();
        3 -> gen(min(D, 2))
    end.

closure(D) ->
    X = gen(D - 1),
    Y = gen(D - 1),
    case rand:uniform(5) of
        1 -> fun() -> ok end;
        2 -> fun() -> X end;
        3 -> fun(A) -> {X, Y, A} end;
        4 -> Z = gen(D - 1), fun(A, B) -> [X, Y, Z, A, B] end;
        5 -> fun Loop(0) -> X; Loop(K) -> Loop(K - 1) end
    end.
