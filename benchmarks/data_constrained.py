#!/usr/bin/env python
"""The data-constrained race on one book: AR and MDLM trained far past their best epoch on a quarter, a half and all
of the training chapters, at two model sizes; the best checkpoint of each, chosen on validation, scored on test.

Prabhudesai et al. (2025) find that masked diffusion overtakes AR once data is repeated enough, past a critical
compute C_crit(U) fitted between 25 M and 100 M unique tokens; Muennighoff et al. (2023) measure how much a repeated
epoch is worth by the decay constant R*_D of the effective data. This study asks the same questions 250-1,000x below
the smallest U those studies trained on: U = 19-75 thousand tokens of Frankenstein.

Every run trains the same number of optimizer steps (`--steps`, the same compute at a given size), so a smaller
share is repeated more: 1,800 steps of 32 windows of 128 tokens are 300 epochs of a quarter of the training
chapters, ~72 of all of them (an epoch is the trainer's: every packed window once, the last batch short). Both
objectives use their tuned regularisation from the race (benchmarks/race.py: MDLM dropout 0.1; AR dropout 0.2 and
weight decay 0.5), no curriculum and no warm start (one stage of training paragraphs, masking anywhere in (0, 1] for
MDLM), and the tokenizer, validation and test chapters of the whole book (`data.train_fraction` keeps a share of the
training chapters only). Validation every 100 steps for MDLM, every 20 for AR (whose best comes early); the record
keeps each run's validation curve (step, epochs, tokens read, FLOPs, BPC) and its best checkpoint's BPC on every
validation and test window in fp32 (`autoregressive.score_split`; MDLM: the NELBO bound). One JSON line per
finished run (resumable: a run already in --record is skipped, an interrupted one resumes), with the load
(`uptime`) at its end.

The record nbs/data_constrained.jsonl was written on a 2-core Xeon (AMX, bf16), one thread per run pinned to its
own core, two runs at a time (2026-12-06):

    python benchmarks/data_constrained.py --counts --sizes      # the count baselines of each share (no training)
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/data_constrained.py --sizes tiny --objectives mdlm
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/data_constrained.py --sizes tiny --objectives ar
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/data_constrained.py --sizes mini     # after the line above
    python benchmarks/data_constrained.py --table

12 runs, 2.0 CPU-hours in all (490-715 s a run; load 2.0-2.1).
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from race import VOCAB_2048, count_bpc, score, text_hashes     # noqa: E402  (the race's vocabulary, counts, scorer)

SIZES = {"tiny": {}, "mini": {"model.d_model": 64}}          # the tiny preset's 4 layers at width 128 and 64
RECIPES = {"mdlm": {"model.dropout": 0.1},
           "ar": {"model.dropout": 0.2, "training.weight_decay": 0.5}}
SHARES = (0.25, 0.5, 1.0)
EVAL_EVERY = {"mdlm": 100, "ar": 20}    # AR's best comes within its first few hundred steps: validate it finely


def run_name(objective: str, size: str, share: float, seed: int) -> str:
    return f"{objective}_{size}_u{share:g}_s{seed}"


def train_command(objective: str, size: str, share: float, seed: int, steps: int, eval_every: int, book: str,
                  out: Path) -> list[str]:
    "The `tiny-diffusion train` command of one run: one flat stage capped at `steps` optimizer steps."
    sets = {**VOCAB_2048, **RECIPES[objective], **SIZES[size], "data.train_fraction": share,
            "curriculum.enabled": False, "training.ar_init_steps": 0, "training.max_steps_per_stage": steps,
            "training.eval_every_steps": eval_every, "training.sample_every_epochs": 0,
            "training.ema": 0.0, "training.learning_rate": 0.003}   # the weights themselves, the rate of the record
    cmd = ["tiny-diffusion", "train", "--book", book, "--preset", "tiny", "--seed", str(seed), "--output", str(out),
           "--no-progress", "--objective", objective, "--epochs-per-stage", "400,300,300"]   # the step cap binds first
    for k, v in sets.items(): cmd += ["--set", f"{k}={v}"]
    return cmd


def curve(run_dir: Path, per_epoch: dict, model_cfg) -> list[dict]:
    "The run's validations from its JSON-lines log: step, epochs of its training text, tokens read, FLOPs, BPC."
    from tiny_diffusion.scaling import training_flops
    rows = []
    for log in sorted((run_dir / "logs").glob("training_*.jsonl")):
        for ln in log.read_text().splitlines():
            e = json.loads(ln)
            if e.get("kind") != "val": continue
            epochs = e["step"] / per_epoch["steps"]
            tokens = round(epochs * per_epoch["tokens"])
            rows.append(dict(step=e["step"], epochs=round(epochs, 2), tokens=tokens,
                             flops=float(f"{training_flops(model_cfg, tokens):.4g}"), val_bpc=round(e["val_bpc"], 4)))
    return sorted({r["step"]: r for r in rows}.values(), key=lambda r: r["step"])    # a resumed step counts once


def one_epoch(prep, cfg) -> dict:
    "What one epoch of the run's one stage is: its packed windows' tokens and its optimizer steps (the trainer's)."
    from tiny_diffusion.mdlm import stage_sequences
    seqs = stage_sequences(prep.stages[0], prep.tokenizer, cfg.model.max_seq_len, cfg.training.packing)
    per_step = cfg.training.batch_size * max(1, cfg.training.grad_accum)
    return dict(tokens=sum(map(len, seqs)), windows=len(seqs), steps=-(-len(seqs) // per_step))


def run_one(objective: str, size: str, share: float, seed: int, a) -> dict:
    "Train one run (resuming an interrupted one), score its best checkpoint; a JSON-ready record."
    from tiny_diffusion.checkpoint import load_checkpoint
    from tiny_diffusion.curriculum import prepare, prepared_dir
    name = run_name(objective, size, share, seed)
    out = Path(a.root) / name
    cmd = train_command(objective, size, share, seed, a.steps, a.eval_every or EVAL_EVERY[objective], a.book, out)
    if (out / "checkpoints" / "latest.pt").exists(): cmd += ["--resume", "auto"]
    t0 = time.time()
    with open(Path(a.root) / f"{name}.log", "a") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    wall = time.time() - t0
    ck = load_checkpoint(out / "checkpoints" / "best_model.pt")
    prep = prepare(a.book, prepared_dir(out), ck.config, quiet=True)
    unique = prep.statistics["stages"][0]["n_tokens"]               # the training paragraphs' text tokens
    per_epoch = one_epoch(prep, ck.config)                          # + the [BOS]/[EOS] of each, as windows
    n_par = sum(p.numel() for p in ck.model.parameters())
    return dict(run=name, objective=objective, size=size, share=share, seed=seed, parameters=n_par,
                model=ck.config.to_dict()["model"], unique_tokens=unique, steps=a.steps, per_epoch=per_epoch,
                epochs=round(a.steps / per_epoch["steps"], 1), command=" ".join(cmd), wall_seconds=round(wall, 1),
                **score(out, a.book, seed), curve=curve(out, per_epoch, ck.config.model),
                threads=os.environ.get("OMP_NUM_THREADS"),
                uptime=subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def count_rows(book: str, shares, root: Path) -> list[dict]:
    "Per share: the count baselines of its training paragraphs (`race.count_bpc`), on validation and test."
    from tiny_diffusion.config import ProjectConfig
    from tiny_diffusion.curriculum import keep_training_share, prepare, split_book
    from tiny_diffusion.text import load_book
    cfg = ProjectConfig.tiny().override(**VOCAB_2048)
    prep = prepare(book, root / "count_data", cfg, quiet=True)          # the tokenizer and splits every run uses
    held = {s: getattr(prep, s) for s in ("validation", "test")}
    splits = split_book(load_book(book), cfg.curriculum.validation_fraction, cfg.curriculum.test_fraction)
    rows = []
    for share in shares:
        train = [p for c in keep_training_share(splits, share).train for p in c.paragraphs]
        rows.append(dict(run=f"count_u{share:g}", objective="count", share=share, **text_hashes(prep),
                         bpc=count_bpc(prep.tokenizer, train, held)))
    return rows


def table(records: list[dict]) -> str:
    "One line per run: share, unique tokens, epochs, best step, validation and test BPC."
    lines = [f"{'run':22} {'params':>9} {'unique':>7} {'epochs':>6} {'best step':>9} {'validation':>10} {'test':>7}"]
    for r in sorted((r for r in records if r["objective"] != "count"),
                    key=lambda r: (r["size"], r["share"], r["objective"], r["seed"])):
        lines.append(f"{r['run']:22} {r['parameters']:>9,} {r['unique_tokens']:>7,} {r['epochs']:>6.0f} "
                     f"{r['best_step']:>9} {r['validation']['bpc']:>10.3f} {r['test']['bpc']:>7.3f}")
    for r in (r for r in records if r["objective"] == "count"):
        best = min((k for k in r["bpc"] if k != "unigram"), key=lambda k: r["bpc"][k]["validation"])
        lines.append(f"{r['run']:22} unigram {r['bpc']['unigram']['test']:.3f}, {best} (chosen on validation) "
                     f"{r['bpc'][best]['validation']:.3f} / {r['bpc'][best]['test']:.3f}")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--objectives", nargs="*", default=list(RECIPES), choices=list(RECIPES))
    p.add_argument("--sizes", nargs="*", default=list(SIZES), choices=list(SIZES))
    p.add_argument("--shares", nargs="*", type=float, default=list(SHARES), help="shares of the training chapters")
    p.add_argument("--seeds", nargs="*", type=int, default=[0])
    p.add_argument("--steps", type=int, default=1800, help="optimizer steps of every run")
    p.add_argument("--eval-every", type=int, default=0, help="validate every N steps (default: 100 MDLM, 20 AR)")
    p.add_argument("--book", default="frankenstein")
    p.add_argument("--root", default="runs/data_constrained", help="folder for the runs")
    p.add_argument("--record", default="nbs/data_constrained.jsonl", help="JSON lines appended here")
    p.add_argument("--counts", action="store_true", help="record the count baselines of every share first")
    p.add_argument("--table", action="store_true", help="print the record as a table and stop")
    a = p.parse_args(argv)
    record = Path(a.record)
    done = [json.loads(ln) for ln in record.read_text().splitlines() if ln.strip()] if record.exists() else []
    if a.table: return print(table(done))
    Path(a.root).mkdir(parents=True, exist_ok=True)
    if a.counts:
        new = [r for r in count_rows(a.book, sorted(a.shares), Path(a.root)) if all(d["run"] != r["run"] for d in done)]
        with open(record, "a") as f: f.writelines(json.dumps(r) + "\n" for r in new)
        done += new
    for size in a.sizes:
        for share in sorted(a.shares):
            for objective in a.objectives:
                for seed in a.seeds:
                    name = run_name(objective, size, share, seed)
                    if any(r["run"] == name for r in done): continue
                    print(f"data_constrained: {name}: training ({time.strftime('%H:%M:%S')})", file=sys.stderr,
                          flush=True)
                    done.append(run_one(objective, size, share, seed, a))
                    print(json.dumps({k: v for k, v in done[-1].items() if k != "curve"}), file=sys.stderr,
                          flush=True)
                    with open(record, "a") as f: f.write(json.dumps(done[-1]) + "\n")   # one line per finished run
    print(table(done))


if __name__ == "__main__":
    main()
