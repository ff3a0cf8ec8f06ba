# The Elixir side of test/runtimes/foreign-clients.ts: an Elixir node that
# runs checks against a beamwire node and prints `ok NAME` or
# `FAIL NAME: Reason` per check, then `done`. Argument: the beamwire node's name.
[bw_name] = System.argv()
bw = String.to_atom(bw_name)

check = fn name, f ->
  r = try do
    f.()
  catch
    c, e -> {c, e}
  end
  if r == :ok, do: IO.puts("ok #{name}"), else: IO.puts("FAIL #{name}: #{inspect(r)}")
end

check.("Node.ping", fn -> if Node.ping(bw) == :pong, do: :ok, else: :pang end)
check.("GenServer.call to node.serve", fn ->
  n = GenServer.call({:counter, bw}, :get)
  if is_integer(n), do: :ok, else: {:got, n}
end)
check.(":erpc.call", fn -> if :erpc.call(bw, :bw_fc, :add, [2, 3]) == 5, do: :ok, else: :wrong end)
check.("send and receive", fn ->
  send({:echo, bw}, {self(), %{elixir: "yes", list: [1, 2.5, :x]}})
  receive do
    {:echo, %{elixir: "yes", list: [1, 2.5, :x]}, pid} when node(pid) == bw -> :ok
    other -> {:unexpected, other}
  after 5000 -> :timeout
  end
end)
IO.puts("done")
