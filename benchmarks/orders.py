#!/usr/bin/env python
"""How loose is the MDLM's bound? The race's NELBO beside exact likelihoods of the same checkpoint read in fixed orders.

The NELBO that `benchmarks/race.py` reports for an MDLM is the mean, over uniformly random unmasking orders σ, of the
exact -log p_σ(x) of the model read as an autoregressive model in that order (lesson 07). The random-order sampler's
own likelihood is the mixture over orders, which Jensen's inequality puts below that mean. For each race run and
held-out split, this script scores every window in fp32 in these ways:

- the NELBO as the race scored it (`score_split`, n_t=8, the row's seed);
- left to right and right to left: two exact likelihoods, n passes per window, no Monte Carlo;
- K random orders (one per window each, seeded). Their mean estimates the NELBO again, as a check. `orders_bound` of
  all K is the K-sample importance-weighted bound on the mixture (Burda et al. 2016): an upper bound in expectation,
  tighter as K grows. Its values for K' = 1, 2, 4, ... are means over K/K' disjoint groups.

One JSON line per (run, split, K) is appended to --record (resumable: one already there is skipped), with the load
(`uptime`). Each order is one pass per token position, about 40 s per split on one thread for the tiny preset. The
record nbs/order_scores.jsonl was written by these, each one thread on its own core of a 2-core Xeon (2026-12-06),
after race.py's chosen MDLM row, mdlm_d0_v4096, seeds 0-2:

    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/orders.py runs/race/mdlm_d0_v4096_s{0,2}
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/orders.py runs/race/mdlm_d0_v4096_s1

and then, for the test split with 32 orders (the first 8 the same draws; 24-28 minutes a run, 2026-12-06):

    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/orders.py runs/race/mdlm_d0_v4096_s{0,1,2} --splits test \\
        --orders 32

and for the row chosen at the main job's whole budget, mdlm_d0_v4096_ema998_long, the test split with 8 orders
(5-7 minutes a run, 2026-12-06):

    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/orders.py runs/race/mdlm_d0_v4096_ema998_long_s{0,2} \\
        --splits test
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/orders.py runs/race/mdlm_d0_v4096_ema998_long_s1 \\
        --splits test

and for the row chosen after it, with a learning rate of 0.002, on a 2-core AMD EPYC (no AMX; 12-13 minutes a run
with 8 orders, 23-30 with 16, the first 8 the same draws; 2026-12-06):

    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/orders.py \\
        runs/race/mdlm_d0_v4096_lr2e-3_ema998_long_s{0,1,2} --splits test
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/orders.py runs/race/mdlm_d0_v4096_lr2e-3_ema998_long_s0 \\
        --splits test --orders 16
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/orders.py \\
        runs/race/mdlm_d0_v4096_lr2e-3_ema998_long_s{1,2} --splits test --orders 16

and with 32 orders, the first 16 the same draws (47-56 minutes a run on the EPYC, two side by side; 2026-12-06):

    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/orders.py \\
        runs/race/mdlm_d0_v4096_lr2e-3_ema998_long_s{0,2} --splits test --orders 32
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/orders.py runs/race/mdlm_d0_v4096_lr2e-3_ema998_long_s1 \\
        --splits test --orders 32

and for the row chosen after it, with stages of 12, 9 and 72 epochs, the test split with 16 orders (21-26 minutes a
run on the EPYC, two side by side; 2026-12-07):

    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/orders.py \\
        runs/race/mdlm_d0_v4096_lr2e-3_ema998_e12-9-72_long_s{0,2} --splits test --orders 16
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/orders.py \\
        runs/race/mdlm_d0_v4096_lr2e-3_ema998_e12-9-72_long_s1 --splits test --orders 16
"""
from __future__ import annotations
import argparse, json, math, re, subprocess, sys, time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from race import text_hashes                                          # noqa: E402  the race's text fingerprints
from tiny_diffusion.autoregressive import score_split, split_texts   # noqa: E402
from tiny_diffusion.checkpoint import load_checkpoint                # noqa: E402
from tiny_diffusion.curriculum import prepare, prepared_dir          # noqa: E402
from tiny_diffusion.mdlm import chunk_for_scoring, order_nll, orders_bound  # noqa: E402


def score_orders(run: Path, book: str, split: str, k: int, seed: int) -> dict:
    "The NELBO, the two fixed orders and `k` random orders of one run's best checkpoint on one split, as BPC."
    ck = load_checkpoint(run / "checkpoints" / "best_model.pt")
    if ck.objective != "mdlm": raise SystemExit(f"{run} is an {ck.objective} run; orders score MDLM runs only")
    prep = prepare(book, prepared_dir(run), ck.config, quiet=True)
    ref = score_split(ck.model, prep, split, "mdlm", n_t=8, seed=seed)
    chunks = chunk_for_scoring(prep.tokenizer, split_texts(prep, split), ck.model.cfg.max_seq_len)
    to_bpc = lambda nats: round(float(nats.sum()) / math.log(2) / chunks.n_chars, 4)   # [N] nats -> BPC
    g, out = torch.Generator().manual_seed(seed), {}
    for name in ["l2r", "r2l"] + [f"random {i + 1}/{k}" for i in range(k)]:
        t0 = time.time()
        out[name] = order_nll(ck.model, chunks.tokens, chunks.pad_mask, name.split()[0], generator=g)    # [N]
        print(f"{run.name} {split}: {name} {to_bpc(out[name]):.4f} bpc ({time.time() - t0:.0f} s)", flush=True)
    rand = torch.stack([v for n, v in out.items() if n.startswith("random")])                        # [k, N]
    sizes = [2 ** i for i in range(int(math.log2(k)) + 1) if k % 2 ** i == 0]
    bound = {K: to_bpc(torch.stack([orders_bound(grp) for grp in rand.split(K)]).mean(0)) for K in sizes}
    return dict(nelbo=round(ref["bpc"], 4), nelbo_se=round(ref["bpc_se"], 4), l2r=to_bpc(out["l2r"]),
                r2l=to_bpc(out["r2l"]), random_orders=[to_bpc(r) for r in rand], random_mean=to_bpc(rand.mean(0)),
                orders_bound={str(K): v for K, v in bound.items()}, windows=len(chunks.tokens), chars=chunks.n_chars,
                **text_hashes(prep))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, help="race run folders (<row>_s<seed>), each with checkpoints/")
    p.add_argument("--book", default="frankenstein")
    p.add_argument("--splits", nargs="+", default=["validation", "test"], choices=["validation", "test"])
    p.add_argument("--orders", type=int, default=8, help="random orders per window (K)")
    p.add_argument("--record", type=Path, default=Path("nbs/order_scores.jsonl"), help="JSON lines appended here")
    a = p.parse_args()
    if a.orders < 1: p.error(f"--orders must be at least 1, not {a.orders}")
    for run in a.runs:
        if not (run / "checkpoints" / "best_model.pt").exists():
            p.error(f"{run} has no checkpoints/best_model.pt; pass a folder benchmarks/race.py trained")
    lines = a.record.read_text().splitlines() if a.record.exists() else []
    done = {(r["run"], r["split"], r["orders"]) for r in map(json.loads, lines)}
    for run in a.runs:
        m = re.fullmatch(r"(.+)_s(\d+)", run.name)
        row, seed = (m.group(1), int(m.group(2))) if m else (run.name, 0)
        for split in a.splits:
            if (run.name, split, a.orders) in done:
                print(f"{run.name} {split}: in the record, skipped")
                continue
            t0 = time.time()
            rec = dict(run=run.name, row=row, seed=seed, split=split, orders=a.orders,
                       **score_orders(run, a.book, split, a.orders, seed), seconds=round(time.time() - t0, 1),
                       uptime=subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
            with a.record.open("a") as f: f.write(json.dumps(rec) + "\n")
            print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
