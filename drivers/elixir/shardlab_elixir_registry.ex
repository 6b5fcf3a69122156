defmodule ShardlabElixirRegistry do
  @moduledoc """
  Elixir's own `Registry` (`keys: :unique`, `partitions: N`) behind the
  driver protocol, servers profile. It implements the Erlang driver's
  `shardlab_registry` behaviour; the protocol core is the Erlang one
  (drivers/erlang), which runs each registration in its owner's process,
  as `Registry.register/3` registers the calling process.

  Options: `--partitions N` (default 1).
  """
  @behaviour :shardlab_registry

  @impl true
  def info(%{partitions: p}) do
    %{
      name: "elixir-registry-p#{p}",
      version: System.version(),
      ops: ["register_server", "unregister_server", "find_server", "list_servers", "owner_down"]
    }
  end

  @impl true
  def start(options) do
    # stdout carries the protocol.
    Logger.configure_backend(:console, device: :standard_error)
    partitions = partitions(options)
    name = :"shardlab_registry_#{System.unique_integer([:positive])}"
    {:ok, sup} = Registry.start_link(keys: :unique, name: name, partitions: partitions)
    # The driver's main process must not die with a registry it stops.
    Process.unlink(sup)
    %{name: name, sup: sup, partitions: partitions}
  end

  defp partitions(["--partitions", n | _]), do: String.to_integer(to_string(n))
  defp partitions([_ | rest]), do: partitions(rest)
  defp partitions([]), do: 1

  @impl true
  def stop(%{sup: sup}) do
    ref = Process.monitor(sup)
    Process.exit(sup, :shutdown)

    receive do
      {:DOWN, ^ref, :process, ^sup, _} -> :ok
    end
  end

  @impl true
  # Runs in the owner's process (the protocol core sees to it).
  def handle(:register_server, %{server: id, config: cfg}, %{name: name}) do
    case Registry.register(name, id, cfg) do
      {:ok, _} -> %{code: :ok}
      {:error, {:already_registered, _}} -> %{code: :already_registered}
    end
  end

  def handle(:unregister_server, %{server: id}, %{name: name}) do
    # Registry.unregister/2 unregisters the calling process's key, so the
    # owner is asked to do it; a lock per ID keeps two unregistrations of
    # one ID from both finding it.
    :global.trans(
      {{:shardlab_unregister, name, id}, self()},
      fn ->
        case Registry.lookup(name, id) do
          [{pid, _}] ->
            case :shardlab_driver.owner_call(pid, fn -> Registry.unregister(name, id) end) do
              :ok -> %{code: :ok}
              {:error, :owner_dead} -> %{code: :server_not_found}
            end

          [] ->
            %{code: :server_not_found}
        end
      end,
      [node()]
    )
  end

  def handle(:find_server, %{server: id}, %{name: name}) do
    case Registry.lookup(name, id) do
      [{pid, cfg}] -> %{code: :ok, owner: pid, config: cfg}
      [] -> %{code: :server_not_found}
    end
  end

  def handle(:list_servers, _, %{name: name}) do
    ids = Registry.select(name, [{{:"$1", :_, :_}, [], [:"$1"]}])
    %{code: :ok, ids: Enum.sort(ids)}
  end
end
