%% An EPMD module (erl -epmd_module bw_fixed_epmd) for nodes without EPMD: every
%% peer listens on the port in $BW_PEER_PORT, this node on any free one, and
%% nothing registers. OTP's erl_epmd callbacks, as -epmd_module requires.
-module(bw_fixed_epmd).
-export([start_link/0, register_node/2, register_node/3, listen_port_please/2,
         port_please/2, port_please/3, address_please/3, names/0, names/1]).

start_link() -> ignore.
register_node(_Name, _Port) -> {ok, 1}.
register_node(_Name, _Port, _Family) -> {ok, 1}.
listen_port_please(_Name, _Host) -> {ok, 0}.
port_please(Name, Host) -> port_please(Name, Host, infinity).
port_please(_Name, _Host, _Timeout) -> {port, list_to_integer(os:getenv("BW_PEER_PORT")), 6}.
address_please(_Name, Host, Family) -> inet:getaddr(Host, Family).
names() -> {error, address}.
names(_Host) -> {error, address}.
