#!/usr/bin/python3
"""
mitogen's side of the router benchmark (bench/router.ts): the same five
measurements that beamwire's Router makes, on mitogen 0.3.3 (Debian's
python3-mitogen), in one process with one Broker.

  /usr/bin/python3 bench/mitogen_bench.py [--rounds N] [--quick]
      N rounds after a warm-up round; prints one JSON object
      {"mitogen": VERSION, "python": ..., "rounds": [ROUND, ...]}
  /usr/bin/python3 bench/mitogen_bench.py --serve [--quick]
      for bench/router.ts: prints {"ready": ...} once, then for each line
      read on stdin ("round" or "warm") runs one round and prints it as one
      JSON line; exits at end of input. The broker and its thread stay up
      between rounds, as beamwire's Router does, so neither side pays its
      interpreter's start-up inside a round.

A round:
  start-up   S times: router.local() (timed), router.local(via=ctx)
             (timed), then both shut down (wait): milliseconds each. The
             calls come after: start-up ends where a context can take one.
  round trip N sequential ctx.call(noop, i) into a context started
             directly, via one hop and via two hops: mean, p50, p99 in µs.
  in flight  F ctx.call_async(noop, i) at once into the direct context,
             then every result (Select.all): F / elapsed, BATCHES times.
  echo       M sequential ctx.call(echo, <1 MiB bytes>) into the direct
             context, result checked: M * 2**20 / elapsed / 1e6 (MB/s, one
             direction's payload per round trip). Again as a mitogen.core.Blob
             ('echoBlob'): on Python 3 mitogen pickles with protocol 2, where
             plain bytes go through a latin-1 str, and a Blob often goes
             faster; bench/router.ts takes the better of the two.
Run with /usr/bin/python3: the pyenv python3 on PATH has no mitogen.
"""

import json
import math
import os
import sys
import time


def noop(x):
    return x


def echo(b):
    return b


def stats_us(ns):
    ns = sorted(ns)
    n = len(ns)

    def pick(q):
        i = min(n - 1, max(0, math.ceil(q * n) - 1))
        return ns[i] / 1000.0

    return {'n': n, 'meanUs': sum(ns) / n / 1000.0, 'p50Us': pick(0.5), 'p99Us': pick(0.99)}


def sizes(quick):
    if quick:
        return {'startups': 1, 'calls': 300, 'inFlight': 1000, 'batches': 1, 'echoes': 5}
    return {'startups': 3, 'calls': 2000, 'inFlight': 1000, 'batches': 3, 'echoes': 10}


def startup(router, n):
    local_ms, via_ms = [], []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        ctx = router.local()
        t1 = time.perf_counter_ns()
        hop = router.local(via=ctx)
        t2 = time.perf_counter_ns()
        hop.shutdown(wait=True)
        ctx.shutdown(wait=True)
        local_ms.append((t1 - t0) / 1e6)
        via_ms.append((t2 - t1) / 1e6)
    return local_ms, via_ms


def sequential(ctx, n):
    times = []
    for i in range(n):
        t0 = time.perf_counter_ns()
        v = ctx.call(noop, i)
        times.append(time.perf_counter_ns() - t0)
        if v != i:
            raise RuntimeError('noop(%d) returned %r' % (i, v))
    return stats_us(times)


def in_flight(select, ctx, n, batches):
    total_ns = 0
    for _ in range(batches):
        t0 = time.perf_counter_ns()
        got = select.Select.all(ctx.call_async(noop, i) for i in range(n))
        total_ns += time.perf_counter_ns() - t0
        if sorted(got) != list(range(n)):
            raise RuntimeError('in-flight calls returned the wrong values')
    calls = n * batches
    return {'inFlight': n, 'calls': calls, 'seconds': total_ns / 1e9, 'callsPerSec': calls / (total_ns / 1e9)}


def echoes(ctx, m, wrap=bytes):
    payload = wrap(os.urandom(1 << 20))
    ctx.call(echo, payload)  # the first 1 MiB message grows the buffers: not timed
    t0 = time.perf_counter_ns()
    for _ in range(m):
        if ctx.call(echo, payload) != payload:
            raise RuntimeError('echo returned other bytes')
    ns = time.perf_counter_ns() - t0
    return {'bytes': 1 << 20, 'calls': m, 'seconds': ns / 1e9, 'mbPerSec': m * (1 << 20) / (ns / 1e9) / 1e6}


def one_round(router, select, blob, size):
    local_ms, via_ms = startup(router, size['startups'])
    ctx = router.local()
    hop = router.local(via=ctx)
    hop2 = router.local(via=hop)
    t0 = time.perf_counter_ns()
    ctx.call(noop, 0)  # the first call loads this module into the context
    first_call_ms = (time.perf_counter_ns() - t0) / 1e6
    for c in (ctx, hop, hop2):
        for i in range(50):
            c.call(noop, i)
    out = {
        'startupLocalMs': local_ms,
        'startupViaMs': via_ms,
        'firstCallMs': first_call_ms,
        'roundTrip': {
            'direct': sequential(ctx, size['calls']),
            'hop1': sequential(hop, size['calls']),
            'hop2': sequential(hop2, size['calls']),
        },
        'inFlight': in_flight(select, ctx, size['inFlight'], size['batches']),
        'echo': echoes(ctx, size['echoes']),
        'echoBlob': echoes(ctx, size['echoes'], blob),
    }
    hop2.shutdown(wait=True)
    hop.shutdown(wait=True)
    ctx.shutdown(wait=True)
    return out


def main(argv):
    import mitogen
    import mitogen.core
    import mitogen.master
    import mitogen.select

    quick = '--quick' in argv
    serve = '--serve' in argv
    rounds = 3
    if '--rounds' in argv:
        rounds = int(argv[argv.index('--rounds') + 1])
    size = sizes(quick)
    broker = mitogen.master.Broker()
    router = mitogen.master.Router(broker)
    info = {
        'mitogen': '.'.join(str(x) for x in mitogen.__version__),
        'python': sys.version.split()[0],
        'executable': sys.executable,
        'sizes': size,
    }
    try:
        if serve:
            print(json.dumps({'ready': info}), flush=True)
            for line in sys.stdin:
                cmd = line.strip()
                if cmd not in ('round', 'warm'):
                    raise SystemExit('mitogen_bench --serve: unknown command %r' % cmd)
                print(json.dumps(one_round(router, mitogen.select, mitogen.core.Blob, size)), flush=True)
        else:
            one_round(router, mitogen.select, mitogen.core.Blob, size)  # warm-up
            info['rounds'] = [one_round(router, mitogen.select, mitogen.core.Blob, size) for _ in range(rounds)]
            print(json.dumps(info, indent=2))
    finally:
        broker.shutdown()
        broker.join()


if __name__ == '__main__':
    main(sys.argv[1:])
