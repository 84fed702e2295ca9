#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The raw Gloo all-reduce on this machine: N processes (torch.distributed,
Debian's python3-torch: the same libtorch and Gloo as sprout-train) sum one
float32 tensor of the given size, and rank 0 prints the median seconds per
all-reduce as JSON. The peer for sprout-train's bucketed gradient all-reduce
(bench/backend/dp_scaling.py).

usage: /usr/bin/python3 bench/backend/gloo_allreduce.py --elements N [--ranks 2] [--iterations 30]"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rank_main(args):
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{args.port}", rank=args.rank,
                            world_size=args.ranks)
    t = torch.ones(args.elements, dtype=torch.float32)
    for _ in range(3):
        dist.all_reduce(t)
    seconds = []
    for _ in range(args.iterations):
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce(t)
        seconds.append(time.perf_counter() - start)
    if args.rank == 0:
        print(json.dumps({"elements": args.elements, "bytes": 4 * args.elements, "ranks": args.ranks,
                          "median_seconds": statistics.median(seconds)}))
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--elements", type=int, required=True)
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--iterations", type=int, default=30)
    p.add_argument("--rank", type=int, default=-1)
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    if args.rank >= 0:
        return rank_main(args)
    port = free_port()
    procs = [subprocess.Popen([sys.executable, __file__, "--elements", str(args.elements), "--ranks", str(args.ranks),
                               "--iterations", str(args.iterations), "--rank", str(r), "--port", str(port)],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
             for r in range(args.ranks)]
    out = procs[0].communicate()[0]
    for q in procs[1:]:
        q.wait()
    sys.stdout.write(out)


if __name__ == "__main__":
    main()
