#!/usr/bin/env python
"""A fair race on one book: the diffusion model and its AR baseline tuned by the same search at the same budget,
chosen on the validation chapters, reported on the test chapters.

Each row is one `tiny-diffusion train` of the tiny preset (same tokenizer, same splits) with a few overrides, then its
best checkpoint (chosen in-run on validation windows) scored on every window of the validation and of the test
chapters by `autoregressive.score_split` in fp32 (MDLM: the NELBO bound ± its standard error; AR: exact). Rows are
compared on validation only; test is recorded for the rows chosen. Every row trains the same number of optimizer
steps (`BUDGET`; a `_long` row the main job's whole budget, `LONG_BUDGET`): MDLM rows as AR warm start + three
curriculum stages, AR rows as one stage of the training paragraphs capped at the same count. One JSON line per
finished run is appended to --record (resumable: a row and seed already there is skipped), with the load (`uptime`)
at its end.

The record nbs/race_results.jsonl was written by these, each run one thread on its own core of a 2-core Xeon
(AMX, bf16), two at a time (9-25 minutes a run, depending on the load beside it; 2026-12-06):

    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d01 --seeds 0 1 2
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d0 ar_d02 ar_d03 --seeds 0
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02 --seeds 1     # the chosen AR, seeds 1-2
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02 --seeds 2
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d01_w500 --seeds 0
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d01_wd05 --seeds 0    # weight decay 0.5
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd05 --seeds 0      # ... chosen for AR:
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd05 --seeds 1      # its seeds 1-2
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd05 --seeds 2
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d01_flat --seeds 0   # no curriculum
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd05_s400 ar_d02_wd05_s700 \
        ar_d02_wd1_s400 --seeds 0                                           # AR schedules ending early
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd05_s700 --seeds 1 2
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d01_v1024 ar_d02_wd05_s700_v1024 \
        mdlm_d01_lr5e-3 ar_d02_wd05_s700_lr5e-3 --seeds 0                  # vocabulary and learning rate
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d01_flat ar_d02_wd1_s400 --seeds 1 2
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d01_L6 ar_d02_wd05_s700_L6 --seeds 0
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d01_v4096 --seeds 0  # the ceiling
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd1_s400_v4096 --seeds 0
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d01_v4096 --seeds 1   # chosen: seeds 1-2
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d01_v4096 --seeds 2
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096 --seeds 0   # in the ceiling:
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d01_v4096_lr2e-3 --seeds 0  # no dropout;
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096 --seeds 1   # lr 0.002; chosen:
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096 --seeds 2   # no dropout
    # the main job's whole budget with a moving average of the weights (2026-12-06, 14-18 minutes a run):
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_ema998_long --seeds 0 2
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_ema998_long --seeds 1
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd1_s400_ema99 ar_d02_wd1_ema998_long \
        --seeds 0
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd1_ema998_long --seeds 1   # chosen:
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd1_ema998_long --seeds 2   # seeds 1-2
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd1_s1000_ema998_long --seeds 0
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd1_s700_ema995 --seeds 0 1  # chosen:
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd1_s700_ema995 --seeds 2    # seeds 0-2
    # the learning rate, on a 2-core AMD EPYC (AVX-512 bf16, no AMX; 2026-12-06, MDLM 16-17 minutes a run, AR 6-7):
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr2e-3_ema998_long --seeds 0
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr1e-3_ema998_long --seeds 0
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr2e-3_ema998_long --seeds 1
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr2e-3_ema998_long --seeds 2
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd1_s700_lr2e-3_ema995 --seeds 0 1 2
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows ar_d02_wd1_s700_lr1e-3_ema995 --seeds 0
    # the chosen MDLM's steps spent otherwise, and without its curriculum (the same EPYC, 2026-12-07, 13-16 minutes):
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr2e-3_ema998_w400_long --seeds 0
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr2e-3_ema998_e12-9-72_long \
        --seeds 0
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr2e-3_ema998_b99_long --seeds 0
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr2e-3_ema998_flat_long --seeds 0
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr2e-3_ema998_flat_long --seeds 1
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr2e-3_ema998_flat_long --seeds 2
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr2e-3_ema998_e12-9-72_long \
        --seeds 1                                                       # ahead on seed 0: seeds 1-2; chosen
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/race.py --rows mdlm_d0_v4096_lr2e-3_ema998_e12-9-72_long \
        --seeds 2
    python benchmarks/race.py --ngram        # the count baselines: unigram and Kneser-Ney 2-5
    python benchmarks/race.py --ngram --ngram-vocab 1024     # ... in the 1,024-token vocabulary rows' tokenizer
    python benchmarks/race.py --ngram --ngram-vocab 4096     # ... and in the 4,096-token ceiling's
    python benchmarks/race.py --table        # the record as a table (mean ± sd over seeds)

Rows of ROWS not in the record (AR with a 200-step average over its 400-step schedule; MDLM in 2,048
tokens without dropout, with 0.2 or weight decay 1.0; AR with dropout 0.1, weight decay 1.0 over 700 steps) are there
to be run next.
"""
from __future__ import annotations
import argparse, hashlib, json, os, re, statistics, subprocess, sys, time
from pathlib import Path

BUDGET = 1514                   # optimizer steps per row: 200 AR warm-start + 54 + 210 + 1,050 curriculum steps
EPOCHS = {200: "27,21,42", 500: "27,21,30"}    # stage epochs that make warm start + curriculum = BUDGET on Frankenstein
LONG_BUDGET = 2036              # 200 AR warm-start + 54 + 198 + 1,584 diffusion steps (4,096 tokens: 27, 22, 66 epochs)

# The rows ran in the tiny preset's 2,048-token vocabulary; the race then chose the 4,096-token ceiling for MDLM and the
# preset took it, so a row that names no vocabulary is pinned to 2,048 (the record's commands predate the pin)
VOCAB_2048 = {"data.vocab_size": 2048, "model.vocab_size": 2048}
VOCAB_4096 = {"data.vocab_size": 4096, "model.vocab_size": 4096}   # the ceiling: 2,462 tokens on Frankenstein
# name: (objective, AR warm-start steps (MDLM), overrides)
ROWS = {
    "mdlm_d0":       ("mdlm", 200, {"model.dropout": 0.0}),     # every row names its dropout: the preset's is 0.1
    "mdlm_d01":      ("mdlm", 200, {"model.dropout": 0.1}),
    "mdlm_d02":      ("mdlm", 200, {"model.dropout": 0.2}),
    "mdlm_d01_wd05": ("mdlm", 200, {"model.dropout": 0.1, "training.weight_decay": 0.5}),
    "mdlm_d01_w500": ("mdlm", 500, {"model.dropout": 0.1}),
    "ar_d0":         ("ar", 0, {"model.dropout": 0.0}),
    "ar_d01":        ("ar", 0, {"model.dropout": 0.1}),
    "ar_d02":        ("ar", 0, {"model.dropout": 0.2}),
    "ar_d03":        ("ar", 0, {"model.dropout": 0.3}),
    "ar_d02_wd05":   ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 0.5}),
    # the curriculum's contribution: the same warm start, then one stage of all paragraphs at every masking rate
    "mdlm_d01_flat": ("mdlm", 200, {"model.dropout": 0.1, "curriculum.enabled": False,
                                    "training.max_steps_per_stage": BUDGET - 200}),
    # AR stops improving after ~300 steps: a schedule that ends there (cosine over fewer steps, the budget unspent)
    "ar_d02_wd05_s400": ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 0.5,
                                   "training.max_steps_per_stage": 400}),
    "ar_d02_wd05_s700": ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 0.5,
                                   "training.max_steps_per_stage": 700}),
    "ar_d02_wd1_s400":  ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 1.0,
                                   "training.max_steps_per_stage": 400}),
    "ar_d02_wd1_s700":  ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 1.0,
                                   "training.max_steps_per_stage": 700}),
    "mdlm_d01_wd1":     ("mdlm", 200, {"model.dropout": 0.1, "training.weight_decay": 1.0}),
    # learning rate, depth and vocabulary, each beside the chosen rows
    "mdlm_d01_lr5e-3":  ("mdlm", 200, {"model.dropout": 0.1, "training.learning_rate": 0.005}),
    "mdlm_d01_L6":      ("mdlm", 200, {"model.dropout": 0.1, "model.n_layers": 6}),
    "mdlm_d01_v1024":   ("mdlm", 200, {"model.dropout": 0.1, "data.vocab_size": 1024, "model.vocab_size": 1024}),
    "ar_d02_wd05_s700_lr5e-3": ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 0.5,
                                          "training.max_steps_per_stage": 700, "training.learning_rate": 0.005}),
    "ar_d02_wd05_s700_L6":     ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 0.5,
                                          "training.max_steps_per_stage": 700, "model.n_layers": 6}),
    "ar_d02_wd05_s700_v1024":  ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 0.5,
                                          "training.max_steps_per_stage": 700, "data.vocab_size": 1024,
                                          "model.vocab_size": 1024}),
    "mdlm_d01_v4096":   ("mdlm", 200, {**VOCAB_4096, "model.dropout": 0.1}),
    "ar_d02_wd1_s400_v4096": ("ar", 0, {**VOCAB_4096, "model.dropout": 0.2, "training.weight_decay": 1.0,
                                        "training.max_steps_per_stage": 400}),
    # in the ceiling's vocabulary: the MDLM's best step is its last, so less regularisation or a gentler rate
    "mdlm_d0_v4096":    ("mdlm", 200, {**VOCAB_4096, "model.dropout": 0.0}),
    "mdlm_d01_v4096_lr2e-3": ("mdlm", 200, {**VOCAB_4096, "model.dropout": 0.1, "training.learning_rate": 0.002}),
    # a moving average of the weights (training.ema), validated and scored in their place: the chosen rows with one
    "mdlm_d0_v4096_ema995": ("mdlm", 200, {**VOCAB_4096, "model.dropout": 0.0, "training.ema": 0.995}),
    "ar_d02_wd1_s400_ema99":  ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 1.0,
                                         "training.max_steps_per_stage": 400, "training.ema": 0.99}),
    "ar_d02_wd1_s400_ema995": ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 1.0,
                                         "training.max_steps_per_stage": 400, "training.ema": 0.995}),
    "ar_d02_wd1_s700_ema995": ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 1.0,
                                         "training.max_steps_per_stage": 700, "training.ema": 0.995}),
    # the main job's whole 10 minutes (LONG_BUDGET): the MDLM's last stage 1.5 times as long, with a longer average;
    # AR with the same average over the same steps
    "mdlm_d0_v4096_ema998_long": ("mdlm", 200, {**VOCAB_4096, "model.dropout": 0.0, "training.ema": 0.998}),
    "ar_d02_wd1_ema998_long":    ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 1.0, "training.ema": 0.998}),
    "ar_d02_wd1_s1000_ema998_long": ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 1.0,   # the rate
                                               "training.ema": 0.998, "training.max_steps_per_stage": 1000}),  # decayed
    # the learning rate at the whole budget: 0.002 beat 0.003 in the first budget (1 seed, dropout 0.1)
    "mdlm_d0_v4096_lr2e-3_ema998_long": ("mdlm", 200, {**VOCAB_4096, "model.dropout": 0.0, "training.ema": 0.998,
                                                       "training.learning_rate": 0.002}),
    "mdlm_d0_v4096_lr1e-3_ema998_long": ("mdlm", 200, {**VOCAB_4096, "model.dropout": 0.0, "training.ema": 0.998,
                                                       "training.learning_rate": 0.001}),
    "ar_d02_wd1_s700_lr1e-3_ema995": ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 1.0,
                                                "training.max_steps_per_stage": 700, "training.ema": 0.995,
                                                "training.learning_rate": 0.001}),
    # the chosen MDLM's steps spent otherwise, the same budget: a longer AR warm start (400 steps, stage III 9 epochs
    # shorter), or the first two curriculum stages shortened for a longer third (12 + 9 + 72 epochs)
    "mdlm_d0_v4096_lr2e-3_ema998_w400_long": ("mdlm", 400, {**VOCAB_4096, "model.dropout": 0.0, "training.ema": 0.998,
                                                            "training.learning_rate": 0.002}),
    "mdlm_d0_v4096_lr2e-3_ema998_e12-9-72_long": ("mdlm", 200, {**VOCAB_4096, "model.dropout": 0.0,
                                                                "training.ema": 0.998,
                                                                "training.learning_rate": 0.002}),
    # ... or AdamW's second moment averaged over ~100 steps, not ~20 (β2 0.99: the masked loss's gradients are noisy)
    "mdlm_d0_v4096_lr2e-3_ema998_b99_long": ("mdlm", 200, {**VOCAB_4096, "model.dropout": 0.0, "training.ema": 0.998,
                                                           "training.learning_rate": 0.002,
                                                           "training.betas": "(0.9,0.99)"}),
    # the curriculum's contribution on the chosen recipe: the same warm start, then one stage of all paragraphs at
    # every masking rate for the same 1,836 diffusion steps
    "mdlm_d0_v4096_lr2e-3_ema998_flat_long": ("mdlm", 200, {**VOCAB_4096, "model.dropout": 0.0, "training.ema": 0.998,
                                                            "training.learning_rate": 0.002,
                                                            "curriculum.enabled": False,
                                                            "training.max_steps_per_stage": LONG_BUDGET - 200}),
    "ar_d02_wd1_s700_lr2e-3_ema995": ("ar", 0, {"model.dropout": 0.2, "training.weight_decay": 1.0,
                                                "training.max_steps_per_stage": 700, "training.ema": 0.995,
                                                "training.learning_rate": 0.002}),
}
ROW_BUDGET = {r: LONG_BUDGET for r in ROWS if r.endswith("_long")}     # the other rows: BUDGET
# a 1,024-token vocabulary cuts the book into ~20 % more tokens: stage III runs 30 steps an epoch, not 25, so
# 27 + 21 + 34 epochs are 54 + 231 + 1,020 = 1,305 diffusion steps (9 fewer than the others' 1,314; none over)
# a 4,096-token ceiling (2,462 tokens: the merges seen at least 10 times in the training chapters, lesson 03) cuts it
# into ~5 % fewer: 2 + 9 + 24 steps an epoch, so 27 + 22 + 44 epochs are
# 54 + 198 + 1,056 = 1,308 diffusion steps (6 fewer)
ROW_EPOCHS = {"mdlm_d01_v1024": "27,21,34", **{r: "27,22,44" for r in ROWS if r.startswith("mdlm") and "_v4096" in r},
              **{r: "27,22,66" for r in ROWS if r.startswith("mdlm") and "_v4096" in r and r.endswith("_long")},
              "mdlm_d0_v4096_lr2e-3_ema998_w400_long": "27,22,57",     # 400 + 54 + 198 + 1,368 = 2,020 steps
              "mdlm_d0_v4096_lr2e-3_ema998_e12-9-72_long": "12,9,72"}        # 200 + 24 + 81 + 1,728 = 2,033 steps


def train_command(name: str, seed: int, book: str, out: Path) -> list[str]:
    "The `tiny-diffusion train` command of one row."
    objective, warm, sets = ROWS[name]
    # the preset's vocabulary, learning rate and (no) average of the weights when most rows ran, unless a row names them
    sets = {**VOCAB_2048, "training.ema": 0.0, "training.learning_rate": 0.003, **sets}
    cmd = ["tiny-diffusion", "train", "--book", book, "--preset", "tiny", "--seed", str(seed), "--output", str(out),
           "--no-progress", "--objective", objective]
    if objective == "ar":   # one stage of all training paragraphs, the same number of steps
        sets = {"curriculum.enabled": False, "training.max_steps_per_stage": ROW_BUDGET.get(name, BUDGET), **sets}
        cmd += ["--epochs-per-stage", EPOCHS[200]]
    else:
        sets = {**sets, "training.ar_init_steps": warm}
        cmd += ["--epochs-per-stage", ROW_EPOCHS.get(name) or EPOCHS[warm]]
    for k, v in sets.items(): cmd += ["--set", f"{k}={json.dumps(v) if isinstance(v, bool) else v}"]
    return cmd


def score(run_dir: Path, book: str, seed: int) -> dict:
    "Validation and test BPC of the run's best checkpoint, every window, fp32."
    from tiny_diffusion.checkpoint import load_checkpoint
    from tiny_diffusion.curriculum import prepare, prepared_dir
    from tiny_diffusion.autoregressive import score_split
    ck = load_checkpoint(run_dir / "checkpoints" / "best_model.pt")
    prep = prepare(book, prepared_dir(run_dir), ck.config, quiet=True)
    out = {"best_step": ck.state.get("step"), **text_hashes(prep)}
    for split in ("validation", "test"):
        r = score_split(ck.model, prep, split, ck.objective, n_t=8, seed=seed)
        out[split] = {"bpc": round(r["bpc"], 4), "se": round(r.get("bpc_se", 0.0), 4)}
    return out


def text_hashes(prep) -> dict:
    "SHA-256 of the tokenizer and of the validation and test texts: every row of one race shares them."
    digest = lambda x: hashlib.sha256(x.encode()).hexdigest()[:16]
    return dict(tokenizer_sha256=digest(prep.tokenizer.to_str()),
                **{f"{s}_sha256": digest("\n\n".join(getattr(prep, s))) for s in ("validation", "test")})


def run_row(name: str, seed: int, book: str, root: Path) -> dict:
    "Train one row (resuming an interrupted run) and score it; a JSON-ready record."
    out = root / f"{name}_s{seed}"
    cmd = train_command(name, seed, book, out)
    if (out / "checkpoints" / "latest.pt").exists(): cmd += ["--resume", "auto"]
    t0 = time.time()
    with open(root / f"{name}_s{seed}.log", "a") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    wall = time.time() - t0
    log_text = (root / f"{name}_s{seed}.log").read_text()
    found = re.findall(r"^\s+(steps|seconds|precision|best_val_bpc): (\S+)$", log_text, re.M)
    summary = dict(reversed(found))         # the first run's closing summary (a resumed finished run prints 0 s)
    return dict(row=name, seed=seed, objective=ROWS[name][0], ar_init_steps=ROWS[name][1], overrides=ROWS[name][2],
                budget_steps=ROW_BUDGET.get(name, BUDGET), wall_seconds=round(wall, 1), command=" ".join(cmd),
                **score(out, book, seed),
                train_summary={k: summary.get(k) for k in ("steps", "seconds", "precision", "best_val_bpc")},
                threads=os.environ.get("OMP_NUM_THREADS"),
                uptime=subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def count_bpc(tokenizer, train: list[str], held: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    "BPC of the add-one unigram and Kneser-Ney orders 2-5 of `train` on each held-out split of `held`."
    from tiny_diffusion.evaluation import fit_ngram, ngram_bpc
    from tiny_diffusion.autoregressive import unigram_bpc
    out = {"unigram": {s: round(unigram_bpc(tokenizer, train, t), 4) for s, t in held.items()}}
    for order in (2, 3, 4, 5):
        kn = fit_ngram(tokenizer, train, order)
        out[f"kneser_ney_{order}"] = {s: round(ngram_bpc(tokenizer, train, t, order, kn), 4) for s, t in held.items()}
    return out


def ngram_rows(book: str, root: Path, vocab: int = 2048) -> list[dict]:
    """The count baselines of the training paragraphs (`count_bpc`) on validation and test, in a BPE vocabulary of
    `vocab` tokens (rows named `_v<vocab>` unless it is 2,048, the vocabulary most rows ran in)."""
    from tiny_diffusion.config import ProjectConfig
    from tiny_diffusion.curriculum import prepare
    from tiny_diffusion.text import load_book
    cfg = ProjectConfig.tiny().override(**{"data.vocab_size": vocab, "model.vocab_size": vocab})
    prep = prepare(book, root / f"ngram_data_v{vocab}", cfg, quiet=True)
    tag = "" if vocab == 2048 else f"_v{vocab}"
    held = {s: getattr(prep, s) for s in ("validation", "test")}
    train = [p for p in load_book(book).paragraphs if p not in set(held["validation"]) | set(held["test"])]
    hashes = text_hashes(prep)
    return [dict(row=name + tag, **hashes, **{s: {"bpc": v} for s, v in bpc.items()})
            for name, bpc in count_bpc(prep.tokenizer, train, held).items()]


def table(records: list[dict]) -> str:
    "One line per row: validation and test BPC, mean ± sd over its seeds."
    by: dict[str, list[dict]] = {}
    for r in records: by.setdefault(r["row"], []).append(r)
    lines = [f"{'row':16} {'seeds':8} {'validation':>16} {'test':>16}"]
    for name, rs in by.items():
        cells = []
        for s in ("validation", "test"):
            v = [r[s]["bpc"] for r in rs]
            cells.append(f"{statistics.mean(v):.3f} ± {statistics.stdev(v):.3f}" if len(v) > 1 else f"{v[0]:.3f}")
        seeds = ",".join(str(r.get("seed", "-")) for r in rs)
        lines.append(f"{name:16} {seeds:8} {cells[0]:>16} {cells[1]:>16}")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", nargs="*", default=[], choices=list(ROWS), help="rows to run")
    p.add_argument("--seeds", nargs="*", type=int, default=[0])
    p.add_argument("--book", default="frankenstein")
    p.add_argument("--root", default="runs/race", help="folder for the runs")
    p.add_argument("--record", default="nbs/race_results.jsonl", help="JSON lines appended here")
    p.add_argument("--ngram", action="store_true", help="add the count baselines (unigram, Kneser-Ney 2-5)")
    p.add_argument("--ngram-vocab", type=int, default=2048, help="their BPE vocabulary (default: most rows')")
    p.add_argument("--table", action="store_true", help="print the record as a table")
    a = p.parse_args(argv)
    root, record = Path(a.root), Path(a.record)
    root.mkdir(parents=True, exist_ok=True)
    done = [json.loads(ln) for ln in record.read_text().splitlines() if ln.strip()] if record.exists() else []
    new = ngram_rows(a.book, root, a.ngram_vocab) if a.ngram else []
    for name in a.rows:
        for seed in a.seeds:
            if any(r["row"] == name and r.get("seed") == seed for r in done + new): continue
            print(f"race: {name} seed {seed}: training ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)
            new.append(run_row(name, seed, a.book, root))
            print(json.dumps(new[-1]), file=sys.stderr, flush=True)
            with open(record, "a") as f: f.write(json.dumps(new[-1]) + "\n")      # one line per finished run
    if a.ngram:   # the count baselines, recorded once
        with open(record, "a") as f:
            f.writelines(json.dumps(r) + "\n" for r in new
                         if "seed" not in r and all(d["row"] != r["row"] for d in done))
    if a.table or not (a.rows or a.ngram): print(table(done + new))


if __name__ == "__main__":
    main()
