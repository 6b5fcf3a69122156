%% The driver protocol's core on the BEAM (docs/protocol.md): JSON lines on
%% stdin and stdout, one process per client so that each client's
%% operations run in order and different clients' run concurrently, owner
%% processes started on first use and killed on owner_down. A registry
%% plugs in through the shardlab_registry behaviour.
%%
%% Run: erl -noshell -noinput -pa ebin -s shardlab_driver main -extra MODULE [OPTION...]
-module(shardlab_driver).
-export([main/0, main/1, owner_call/2, valid_id/1]).

-define(PROTOCOL, 1).
-define(OPS, [<<"register_server">>, <<"register_transport">>, <<"unregister_server">>,
              <<"unregister_transport">>, <<"find_server">>, <<"find_transport">>,
              <<"list_servers">>, <<"list_transports">>, <<"bind">>, <<"unbind">>,
              <<"server_for_transport">>, <<"route_to_server">>, <<"route_to_transport">>,
              <<"broadcast">>, <<"owner_down">>]).

main() -> main(init:get_plain_arguments()).

main([ModName | Options]) ->
    %% stdout carries the protocol: log reports go to stderr.
    _ = logger:remove_handler(default),
    ok = logger:add_handler(shardlab_stderr, logger_std_h, #{level => warning, config => #{type => standard_error}}),
    Mod = list_to_atom(ModName),
    {module, Mod} = code:ensure_loaded(Mod),
    Port = open_port({fd, 0, 1}, [binary, {line, 1 bsl 16}, eof]),
    ets:new(shardlab_owners, [named_table, public, set, {read_concurrency, true}]),
    ets:new(shardlab_owner_names, [named_table, public, set, {read_concurrency, true}]),
    State = Mod:start(Options),
    loop(#{port => Port, mod => Mod, state => State, options => Options, clients => #{}, part => []}).

loop(#{port := Port} = S) ->
    receive
        {Port, {data, {noeol, Part}}} ->
            loop(S#{part := [Part | maps:get(part, S)]});
        {Port, {data, {eol, Last}}} ->
            Line = iolist_to_binary(lists:reverse([Last | maps:get(part, S)])),
            loop(request(Line, S#{part := []}));
        {Port, eof} ->
            %% Answer what was asked before stdin closed, then stop.
            [begin Pid ! {sync, self(), C}, receive {synced, C} -> ok end end
             || {C, Pid} <- maps:to_list(maps:get(clients, S))],
            erlang:halt(0)
    end.

request(<<>>, S) -> S;
request(Line, #{port := Port, mod := Mod} = S) ->
    Req = try shardlab_json:decode(Line)
          catch _:_ -> fatal("not JSON: ~s", [Line])
          end,
    is_map(Req) orelse fatal("not a request: ~s", [Line]),
    Id = maps:get(<<"id">>, Req),
    Args = maps:get(<<"args">>, Req, #{}),
    case maps:get(<<"op">>, Req) of
        <<"hello">> ->
            ?PROTOCOL = maps:get(<<"protocol">>, Args),
            Info = Mod:info(maps:get(state, S)),
            answer(Port, Id, Info#{code => ok, protocol => ?PROTOCOL}),
            S;
        <<"reset">> ->
            kill_all_owners(),
            Mod:stop(maps:get(state, S)),
            State = Mod:start(maps:get(options, S)),
            answer(Port, Id, #{code => ok}),
            S#{state := State};
        OpName ->
            Op = case lists:member(OpName, ?OPS) of
                     true -> binary_to_atom(OpName);
                     false -> fatal("unknown operation in: ~s", [Line])
                 end,
            Client = maps:get(<<"client">>, Req),
            {Pid, Clients} = case maps:find(Client, maps:get(clients, S)) of
                                 {ok, P} -> {P, maps:get(clients, S)};
                                 error ->
                                     P = spawn_link(fun client_loop/0),
                                     {P, (maps:get(clients, S))#{Client => P}}
                             end,
            Pid ! {op, Port, Mod, maps:get(state, S), Id, Op, Args},
            S#{clients := Clients}
    end.

fatal(Fmt, Args) ->
    io:format(standard_error, "shardlab_driver: " ++ Fmt ++ "~n", Args),
    erlang:halt(2).

answer(Port, Id, Result) ->
    port_command(Port, [shardlab_json:encode(#{id => Id, result => Result}), $\n]).

client_loop() ->
    receive
        {op, Port, Mod, State, Id, Op, Args} ->
            answer(Port, Id, wire(perform(Mod, State, Op, Args))),
            client_loop();
        {sync, From, C} ->
            From ! {synced, C},
            client_loop()
    end.

%% perform checks arguments in the model's order, then hands the operation
%% to the registry (or, for owner_down, kills the owner).
perform(Mod, State, Op, Args) ->
    Server = maps:get(<<"server">>, Args, undefined),
    Transport = maps:get(<<"transport">>, Args, undefined),
    Owner = maps:get(<<"owner">>, Args, undefined),
    Config = maps:get(<<"config">>, Args, <<>>),
    IDs = case Op of
              register_server -> [Server];
              register_transport -> [Transport] ++ [Server || Server =/= undefined];
              bind -> [Transport, Server];
              _ when Server =/= undefined -> [Server];
              _ when Transport =/= undefined -> [Transport];
              _ -> []
          end,
    case {lists:all(fun valid_id/1, IDs), Owner} of
        {false, _} -> #{code => invalid_id};
        {true, <<>>} -> #{code => invalid_owner};
        {true, _} when Op =:= owner_down -> owner_down(Owner);
        {true, _} ->
            A0 = #{server => Server, transport => Transport, config => Config},
            A1 = case Op of
                     register_transport -> A0#{bind_to => Server, server => undefined};
                     _ -> A0
                 end,
            case Owner of
                undefined -> Mod:handle(Op, A1, State);
                _ -> as_owner(Owner, fun(Pid) -> Mod:handle(Op, A1#{owner => Pid}, State) end)
            end
    end.

%% as_owner runs an operation that names an owner inside that owner's
%% process, so that it is over before the owner can die (an owner dies by
%% a message it handles after what it was asked before). An owner found
%% dead has a new incarnation under the same name, as in the model, where
%% a dead owner's number may register again at once.
as_owner(Name, Fun) ->
    Pid = owner(Name),
    case owner_call(Pid, fun() -> Fun(self()) end) of
        {error, owner_dead} -> as_owner(Name, Fun);
        Result -> Result
    end.

%% valid_id/1: 1..255 bytes of UTF-8 without ASCII control characters.
valid_id(Id) when is_binary(Id), byte_size(Id) >= 1, byte_size(Id) =< 255 ->
    case unicode:characters_to_binary(Id) of
        Id -> not lists:any(fun(C) -> C < 16#20 orelse C =:= 16#7f end, binary_to_list(Id));
        _ -> false
    end;
valid_id(_) -> false.

wire(#{owner := Pid} = R) when is_pid(Pid) -> wire(R#{owner := owner_name(Pid)});
wire(R) -> R.

%% Owners: a process per name, started on first use. A dead owner's pid
%% keeps its name, so an entry the registry has not cleaned up yet still
%% reads as the owner shardlab knew.
owner(Name) ->
    case ets:lookup(shardlab_owners, Name) of
        [{_, Pid}] ->
            case is_process_alive(Pid) of
                true -> Pid;
                false ->
                    %% Dead: the next incarnation takes the name.
                    ets:delete_object(shardlab_owners, {Name, Pid}),
                    owner(Name)
            end;
        [] ->
            Pid = spawn(fun owner_loop/0),
            case ets:insert_new(shardlab_owners, {Name, Pid}) of
                true ->
                    ets:insert(shardlab_owner_names, {Pid, Name}),
                    Pid;
                false ->
                    exit(Pid, kill),
                    owner(Name)
            end
    end.

owner_name(Pid) ->
    case ets:lookup(shardlab_owner_names, Pid) of
        [{_, Name}] -> Name;
        [] -> list_to_binary(pid_to_list(Pid))
    end.

owner_loop() ->
    receive
        {run, From, Ref, Fun} ->
            From ! {Ref, Fun()},
            owner_loop();
        die ->
            exit(killed);
        _ ->
            owner_loop()
    end.

%% owner_call/2 runs Fun in the owner's process (registries such as
%% Elixir's Registry register the calling process) and returns its result,
%% or {error, owner_dead}.
owner_call(Pid, Fun) ->
    Ref = monitor(process, Pid),
    Pid ! {run, self(), Ref, Fun},
    receive
        {Ref, Result} -> demonitor(Ref, [flush]), Result;
        {'DOWN', Ref, process, Pid, _} -> {error, owner_dead}
    end.

%% owner_down kills the owner and waits until it is dead; the registry
%% cleans up on its own time, so the answer carries no count and shardlab
%% records the death as pending.
owner_down(Name) ->
    case ets:lookup(shardlab_owners, Name) of
        [] -> ok;
        [{_, Pid}] ->
            %% Operations the owner was already asked to run finish
            %% first; a new incarnation takes the name only once this one
            %% is dead, so the two never hold entries at the same time.
            Ref = monitor(process, Pid),
            Pid ! die,
            receive {'DOWN', Ref, process, Pid, _} -> ok end,
            ets:delete_object(shardlab_owners, {Name, Pid})
    end,
    #{code => ok}.

kill(Pid) ->
    Ref = monitor(process, Pid),
    exit(Pid, kill),
    receive {'DOWN', Ref, process, Pid, _} -> ok end.

kill_all_owners() ->
    [kill(Pid) || {_, Pid} <- ets:tab2list(shardlab_owners)],
    ets:delete_all_objects(shardlab_owners),
    ets:delete_all_objects(shardlab_owner_names).
