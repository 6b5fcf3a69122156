%% The registry behaviour: what a registry implements to be driven by
%% shardlab through shardlab_driver (the protocol core).
%%
%% The core validates IDs and owners in the model's error order before a
%% registry sees an operation, maps owner names to owner processes (a
%% registry sees pids) and back, and does owner death itself: it kills the
%% owner's process, and the registry's own cleanup (monitors, links) runs.
-module(shardlab_registry).

%% What the driver says in the hello: name, version, the operations it
%% supports (binaries, the protocol's op names) and whether it stores no
%% configurations.
-callback info(State :: term()) ->
    #{name := binary(), version := binary(), ops := [binary()], no_config => boolean()}.

%% start/1 builds an empty registry from the driver's command-line options.
-callback start(Options :: [string()]) -> State :: term().

%% stop/1 tears it down (reset is stop then start; every owner is dead by
%% then).
-callback stop(State :: term()) -> ok.

%% handle/3 performs one operation for one client. Args holds server,
%% transport and config as binaries, owner as a pid, bind_to (a binary or
%% undefined) for register_transport. It returns #{code := atom()} with,
%% where the operation has them, owner (a pid), config, server, count and
%% ids (a sorted list of binaries).
-callback handle(Op :: atom(), Args :: map(), State :: term()) -> map().
