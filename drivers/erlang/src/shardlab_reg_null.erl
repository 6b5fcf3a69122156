%% A registry that does nothing: every operation succeeds at once. Driving
%% it measures the protocol's own cost on the BEAM.
-module(shardlab_reg_null).
-behaviour(shardlab_registry).
-export([info/1, start/1, stop/1, handle/3]).

info(_) ->
    #{name => <<"erlang-null">>, version => <<"1">>,
      ops => [<<"register_server">>, <<"register_transport">>, <<"unregister_server">>,
              <<"unregister_transport">>, <<"find_server">>, <<"find_transport">>,
              <<"list_servers">>, <<"list_transports">>, <<"bind">>, <<"unbind">>,
              <<"server_for_transport">>, <<"route_to_server">>, <<"route_to_transport">>,
              <<"broadcast">>, <<"owner_down">>]}.

start(_) -> null.
stop(_) -> ok.

handle(broadcast, _, _) -> #{code => ok, count => 0};
handle(Op, _, _) when Op =:= list_servers; Op =:= list_transports -> #{code => ok, ids => []};
handle(_, _, _) -> #{code => ok}.
