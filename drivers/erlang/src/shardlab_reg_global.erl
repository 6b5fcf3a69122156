%% OTP's own global name registry, servers profile: a server is a global
%% name {shardlab, ID} held by its owner's pid. global stores no
%% configuration. global links to each registered pid and removes its names
%% when it exits: cleanup is global's, on its own time.
-module(shardlab_reg_global).
-behaviour(shardlab_registry).
-export([info/1, start/1, stop/1, handle/3]).

info(_) ->
    #{name => <<"erlang-global">>, version => list_to_binary(erlang:system_info(otp_release)),
      ops => [<<"register_server">>, <<"unregister_server">>, <<"find_server">>,
              <<"list_servers">>, <<"owner_down">>],
      no_config => true}.

start(Options) ->
    %% By default global refuses a second name for a pid that holds one
    %% (register_name answers no, and the refusal is logged). The model
    %% lets an owner hold many entries, so the driver allows it unless
    %% --one-name-per-pid keeps global's default.
    case lists:member("--one-name-per-pid", Options) of
        true -> application:unset_env(kernel, global_multi_name_action);
        false -> application:set_env(kernel, global_multi_name_action, allow)
    end,
    %% global reports each dead pid that held several names; that is
    %% what owners here do.
    logger:set_primary_config(level, critical),
    clear(), global.

stop(_) -> clear().

clear() ->
    [global:unregister_name(N) || {shardlab, _} = N <- global:registered_names()],
    ok.

handle(register_server, #{server := Id, owner := Pid}, _) ->
    case global:register_name({shardlab, Id}, Pid) of
        yes -> #{code => ok};
        no -> #{code => already_registered}
    end;
handle(unregister_server, #{server := Id}, _) ->
    %% global:unregister_name/1 answers _ whether or not the name existed;
    %% a caller that must know looks first, under a lock of its own so
    %% that two unregistrations of one name cannot both find it.
    global:trans({{shardlab_unregister, Id}, self()},
                 fun() ->
                         case global:whereis_name({shardlab, Id}) of
                             undefined -> #{code => server_not_found};
                             _ -> global:unregister_name({shardlab, Id}), #{code => ok}
                         end
                 end, [node()]);
handle(find_server, #{server := Id}, _) ->
    case global:whereis_name({shardlab, Id}) of
        undefined -> #{code => server_not_found};
        Pid -> #{code => ok, owner => Pid}
    end;
handle(list_servers, _, _) ->
    #{code => ok, ids => lists:sort([Id || {shardlab, Id} <- global:registered_names()])}.
