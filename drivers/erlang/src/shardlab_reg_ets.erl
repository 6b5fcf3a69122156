%% A registry after the seed's design: one ETS table per partition (an ID's
%% partition is phash2(ID, N)), reads straight from ETS, writes through one
%% process that owns the tables and monitors every owner, and transports
%% bound to servers.
%%
%% Two ideas keep it linearizable with lock-free reads:
%%  - an entry counts only while its owner is alive, so an owner's death
%%    removes all its entries in the one instant it dies, and the cleanup
%%    on the monitor's 'DOWN' only reclaims memory;
%%  - a binding records the server entry's reference (a generation), and
%%    counts only while that very entry is live, so unregistering a server
%%    is one delete and its stale bindings are ignored.
%%
%% Options: --partitions N (default 64); --stale-death-notice makes the
%% deliberately broken variant: the cleanup deletes, by ID, every ID the
%% dead owner ever registered, without looking at who holds it now (the
%% race erlmcp's registry had), so a death removes a later registration of
%% the same ID by another owner.
-module(shardlab_reg_ets).
-behaviour(shardlab_registry).
-export([info/1, start/1, stop/1, handle/3]).

info(#{stale := Stale}) ->
    #{name => case Stale of true -> <<"erlang-ets-stale">>; false -> <<"erlang-ets">> end,
      version => <<"1">>,
      ops => [<<"register_server">>, <<"register_transport">>, <<"unregister_server">>,
              <<"unregister_transport">>, <<"find_server">>, <<"find_transport">>,
              <<"list_servers">>, <<"list_transports">>, <<"bind">>, <<"unbind">>,
              <<"server_for_transport">>, <<"route_to_server">>, <<"route_to_transport">>,
              <<"broadcast">>, <<"owner_down">>]}.

start(Options) ->
    N = option_partitions(Options, 64),
    Stale = lists:member("--stale-death-notice", Options),
    Self = self(),
    W = spawn(fun() ->
                      Parts = list_to_tuple([ets:new(shardlab_part, [set, public, {read_concurrency, true}])
                                             || _ <- lists:seq(1, N)]),
                      Self ! {tables, self(), Parts},
                      writer(#{parts => Parts, stale => Stale, watched => #{}})
              end),
    receive {tables, W, Parts} -> #{parts => Parts, n => N, writer => W, stale => Stale} end.

option_partitions(["--partitions", V | _], _) -> list_to_integer(V);
option_partitions([_ | R], D) -> option_partitions(R, D);
option_partitions([], D) -> D.

stop(#{writer := W}) ->
    Ref = monitor(process, W),
    exit(W, kill),
    receive {'DOWN', Ref, process, W, _} -> ok end.

part(#{parts := P}, Id) -> element(erlang:phash2(Id, tuple_size(P)) + 1, P).

%% live/3: the entry under Key if its owner is alive.
live(S, Key = {_, Id}) ->
    case ets:lookup(part(S, Id), Key) of
        [E] -> case is_process_alive(element(2, E)) of
                   true -> {ok, E};
                   false -> none
               end;
        [] -> none
    end.

%% Reads run in the client's process.
handle(find_server, #{server := Id}, S) -> find(S, {s, Id}, server_not_found);
handle(find_transport, #{transport := Id}, S) -> find(S, {t, Id}, transport_not_found);
handle(server_for_transport, #{transport := T}, S) ->
    case live(S, {t, T}) of
        none -> #{code => transport_not_found};
        {ok, {_, _, _, _, none}} -> #{code => not_bound};
        {ok, {_, _, _, _, {Sv, SRef}} = E} ->
            Bound = case live(S, {s, Sv}) of
                        {ok, {_, _, _, SRef}} -> #{code => ok, server => Sv};
                        _ -> #{code => not_bound}
                    end,
            %% Owners die on their own time: the transport must still be
            %% the same live entry after the server was read, so that
            %% both reads hold at the instant the server was read.
            case live(S, {t, T}) of
                {ok, E} -> Bound;
                {ok, _} -> handle(server_for_transport, #{transport => T}, S); % rebound meanwhile: read again
                none -> #{code => transport_not_found}
            end
    end;
handle(route_to_server, #{server := Id}, S) -> route(S, {s, Id}, server_not_found);
handle(route_to_transport, #{transport := Id}, S) -> route(S, {t, Id}, transport_not_found);
%% Writes, lists and broadcasts run in the writer, one at a time.
handle(Op, Args, #{writer := W}) ->
    Ref = monitor(process, W),
    W ! {call, self(), Ref, Op, Args},
    receive
        {Ref, Result} -> demonitor(Ref, [flush]), Result;
        {'DOWN', Ref, process, W, Why} -> error({writer_died, Why})
    end.

find(S, Key, Missing) ->
    case live(S, Key) of
        {ok, E} -> #{code => ok, owner => element(2, E), config => element(3, E)};
        none -> #{code => Missing}
    end.

route(S, Key, Missing) ->
    case live(S, Key) of
        {ok, E} -> element(2, E) ! {route, Key}, #{code => ok};
        none -> #{code => Missing}
    end.

writer(S) ->
    receive
        {call, From, Ref, Op, Args} ->
            {Result, S1} = write(Op, Args, S),
            From ! {Ref, Result},
            writer(S1);
        {'DOWN', _, process, Pid, _} ->
            writer(cleanup(Pid, S))
    end.

write(register_server, #{server := Id, owner := O, config := C}, S) ->
    case live(S, {s, Id}) of
        {ok, _} -> {#{code => already_registered}, S};
        none ->
            ets:insert(part(S, Id), {{s, Id}, O, C, make_ref()}),
            {#{code => ok}, watch(O, {s, Id}, S)}
    end;
write(register_transport, #{transport := Id, owner := O, config := C, bind_to := To}, S) ->
    case {live(S, {t, Id}), To} of
        {{ok, _}, _} -> {#{code => already_registered}, S};
        {none, undefined} ->
            ets:insert(part(S, Id), {{t, Id}, O, C, make_ref(), none}),
            {#{code => ok}, watch(O, {t, Id}, S)};
        {none, _} ->
            case live(S, {s, To}) of
                none -> {#{code => server_not_found}, S};
                {ok, {_, _, _, SRef}} ->
                    ets:insert(part(S, Id), {{t, Id}, O, C, make_ref(), {To, SRef}}),
                    {#{code => ok}, watch(O, {t, Id}, S)}
            end
    end;
write(unregister_server, #{server := Id}, S) -> {unregister(S, {s, Id}, server_not_found), S};
write(unregister_transport, #{transport := Id}, S) -> {unregister(S, {t, Id}, transport_not_found), S};
write(bind, #{transport := T, server := Sv}, S) ->
    case live(S, {s, Sv}) of
        none -> {#{code => server_not_found}, S};
        {ok, {_, _, _, SRef}} ->
            %% An owner may die between two reads: read the server again
            %% after the transport, so that the answer holds at one instant.
            case {live(S, {t, T}), live(S, {s, Sv})} of
                {_, none} -> {#{code => server_not_found}, S};
                {none, _} -> {#{code => transport_not_found}, S};
                {{ok, E}, _} -> ets:insert(part(S, T), setelement(5, E, {Sv, SRef})), {#{code => ok}, S}
            end
    end;
write(unbind, #{transport := T}, S) ->
    case live(S, {t, T}) of
        none -> {#{code => transport_not_found}, S};
        {ok, E} -> ets:insert(part(S, T), setelement(5, E, none)), {#{code => ok}, S}
    end;
write(broadcast, #{server := Sv}, S) ->
    case ets:lookup(part(S, Sv), {s, Sv}) of
        [] -> {#{code => server_not_found}, S};
        [{_, SO, _, SRef}] ->
            Bound = [O || P <- tuple_to_list(maps:get(parts, S)),
                          {{t, _}, O, _, _, B} <- ets:tab2list(P), B =:= {Sv, SRef}],
            Alive = stable_alive([SO | Bound]),
            case maps:get(SO, Alive) of
                false -> {#{code => server_not_found}, S};
                true ->
                    Owners = [O || O <- Bound, maps:get(O, Alive)],
                    [O ! {route, {s, Sv}} || O <- Owners],
                    {#{code => ok, count => length(Owners)}, S}
            end
    end;
write(list_servers, _, S) -> {#{code => ok, ids => list(S, s)}, S};
write(list_transports, _, S) -> {#{code => ok, ids => list(S, t)}, S}.

unregister(S, Key = {_, Id}, Missing) ->
    case live(S, Key) of
        {ok, _} -> ets:delete(part(S, Id), Key), #{code => ok};
        none -> #{code => Missing}
    end.

list(S, Kind) ->
    Entries = [{Id, element(2, E)} || P <- tuple_to_list(maps:get(parts, S)),
                                      E <- ets:tab2list(P),
                                      {K, Id} <- [element(1, E)], K =:= Kind],
    Alive = stable_alive([O || {_, O} <- Entries]),
    lists:sort([Id || {Id, O} <- Entries, maps:get(O, Alive)]).

%% stable_alive/1 says which owners are alive at one instant. Owners die
%% on their own time, and a scan that checked each entry as it went could
%% see some of a dying owner's entries and not others, or one owner's
%% death and not an earlier one's. Deaths are final, so two passes over
%% the owners that agree hold at the instant between them; while writes
%% wait (this runs in the writer), only deaths can make them differ.
stable_alive(Pids) ->
    stable_alive(lists:usort(Pids), alive_map(lists:usort(Pids))).

stable_alive(Pids, Before) ->
    case alive_map(Pids) of
        Before -> Before;
        After -> stable_alive(Pids, After)
    end.

alive_map(Pids) -> maps:from_list([{P, is_process_alive(P)} || P <- Pids]).

%% watch monitors an owner once; the broken variant also remembers every
%% key the owner registered, and never forgets one.
watch(O, Key, #{watched := W, stale := Stale} = S) ->
    Keys = case maps:find(O, W) of
               {ok, Ks} -> Ks;
               error -> monitor(process, O), []
           end,
    S#{watched := W#{O => case Stale of true -> [Key | Keys]; false -> [] end}}.

cleanup(Pid, #{watched := W, stale := true} = S) ->
    %% The bug: delete by key, whoever holds the key now.
    [ets:delete(part(S, Id), Key) || Key = {_, Id} <- maps:get(Pid, W, [])],
    S#{watched := maps:remove(Pid, W)};
cleanup(Pid, #{watched := W} = S) ->
    [begin
         ets:match_delete(P, {'_', Pid, '_', '_'}),
         ets:match_delete(P, {'_', Pid, '_', '_', '_'})
     end || P <- tuple_to_list(maps:get(parts, S))],
    S#{watched := maps:remove(Pid, W)}.
