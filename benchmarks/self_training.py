#!/usr/bin/env python
"""Self-training in stage III against none, at the main job's budget: the tiny preset on Frankenstein, per seed.

    python benchmarks/self_training.py --seeds 0 1            # off and on (share 0.25) for each seed; prints JSON lines

Both runs of a seed share one prepared copy of the book (`--data`, prepared once with the tiny preset) and differ
only in `training.self_training`. Each best checkpoint is scored on every window of one split in fp32
(`autoregressive.score_split`; NELBO, `--n-t` levels) beside its loss there at 10 / 50 / 100 % masking: `--split
validation` by default, since whether to self-train is a tuning decision (`--split test` to report the choice).
About 8 minutes per run on one core (one thread) of a 2-core CPU, plus the fills (250 windows denoised in 128 steps:
about 100 s).
"""
import argparse, json, os, time
from pathlib import Path


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--share", type=float, default=0.25, help="training.self_training of the 'on' runs")
    p.add_argument("--data", default="runs/selftrain/data",
                   help="prepared data (made here with the tiny preset if absent)")
    p.add_argument("--output", default="runs/selftrain", help="folder for the runs and result.json")
    p.add_argument("--n-t", type=int, default=16, help="NELBO levels for the score")
    p.add_argument("--split", choices=("validation", "test"), default="validation", help="the chapters scored")
    args = p.parse_args(argv)
    from tiny_diffusion.config import ProjectConfig, atomic_write, preset
    from tiny_diffusion.curriculum import prepare
    from tiny_diffusion.trainer import train
    from tiny_diffusion.checkpoint import load_checkpoint
    from tiny_diffusion.autoregressive import score_split
    from tiny_diffusion.mdlm import chunk_for_scoring, loss_by_mask_level
    base = preset("tiny_scratch").override(**{"training.device": "cpu"})
    data = prepare("frankenstein", args.data, base)
    out, res = Path(args.output), {}
    for seed in args.seeds:
        for name, share in [("off", 0.0), ("on", args.share)]:
            cfg = ProjectConfig.from_dict(base.to_dict()).override(**{"training.self_training": share, "seed": seed})
            load0, t0 = os.getloadavg()[0], time.time()
            s = train(cfg, data, out / f"{name}_s{seed}", progress=False)
            ck = load_checkpoint(s["best_model"])
            r = score_split(ck.model, data, args.split, "mdlm", n_t=args.n_t, seed=0, tokenizer=ck.tokenizer)
            ch = chunk_for_scoring(ck.tokenizer, getattr(data, args.split), ck.config.model.max_seq_len)
            lv = loss_by_mask_level(ck.model, ch.tokens[:32], ch.pad_mask[:32], seed=0)
            res[f"{name}_s{seed}"] = dict(
                self_training=share, seed=seed, steps=s["steps"], best_val_bpc=s["best_val_bpc"],
                split=args.split, bpc=r["bpc"], bpc_se=r["bpc_se"], unigram_bpc=s["unigram_bpc"],
                loss_10_50_100={k: round(float(v), 3) for k, v in lv.items() if float(k) in (0.1, 0.5, 1.0)},
                wall_s=round(time.time() - t0, 1), load=[load0, os.getloadavg()[0]])
            print(json.dumps(res[f"{name}_s{seed}"]), flush=True)
    atomic_write(out / "result.json", json.dumps(res, indent=1) + "\n")
    return res


if __name__ == "__main__":
    main()
