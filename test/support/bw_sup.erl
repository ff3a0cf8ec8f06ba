%% An OTP supervisor for the interop tests, its flags and child specs given as
%% the argument: bw_sup:start(Name, {Flags, Specs}) starts it registered as Name
%% and unlinked from the caller (the test's ctl process).
-module(bw_sup).
-behaviour(supervisor).
-export([start/2, init/1]).

start(Name, FlagsAndSpecs) ->
    {ok, Pid} = supervisor:start_link({local, Name}, ?MODULE, FlagsAndSpecs),
    unlink(Pid),
    {ok, Pid}.

init({Flags, Specs}) -> {ok, {Flags, Specs}}.
