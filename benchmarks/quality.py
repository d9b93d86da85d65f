#!/usr/bin/env python
"""The capstone experiment: MDLM with and without the curriculum, two ablations of it, and the AR baseline, as JSON.

The commands that wrote nbs/capstone_results.json (whole Frankenstein, the tiny preset's model; each run one thread
pinned to its own core of a 2-core CPU: two curriculum-shaped models on core 1 while the flat MDLM, AR and the third
ran on core 0, then merged into one record; 21 minutes of wall time on core 1, 30 on core 0):

    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/quality.py --scale 3 --ar-patience 12 \
        --models mdlm_curriculum ordered_full_range --output runs/capstone --json nbs/capstone_results.json
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/quality.py --scale 3 --ar-patience 12 \
        --models mdlm_flat ar --output runs/capstone_b --json runs/capstone_b/flat_ar.json
    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/quality.py --scale 3 --ar-patience 12 \
        --models shuffled_emphasis --output runs/capstone_c --json runs/capstone_c/shuffled.json
    python benchmarks/quality.py --merge runs/capstone_b/flat_ar.json runs/capstone_c/shuffled.json \
        --json nbs/capstone_results.json
    python benchmarks/quality.py --rescore --roots runs/capstone runs/capstone_b runs/capstone_c \
        --json nbs/capstone_results.json

Two more training seeds of the two models whose gap is the difficulty order's effect (lesson 15 reads them beside
the record; about 20 minutes each, side by side):

    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/quality.py --scale 3 --ar-patience 12 --seed 1 \
        --models mdlm_curriculum shuffled_emphasis --samples 4 --infill-sentences 20 --output runs/capstone_s1 \
        --json nbs/capstone_seed1.json
    taskset -c 1 env OMP_NUM_THREADS=1 python benchmarks/quality.py --scale 3 --ar-patience 12 --seed 2 \
        --models mdlm_curriculum shuffled_emphasis --samples 4 --infill-sentences 20 --output runs/capstone_s2 \
        --json nbs/capstone_seed2.json

One command does the same one model after another: drop --models, about 50 minutes on one core.

Quick look (a slice of the book, a tenth of the epochs; a couple of minutes):

    python benchmarks/quality.py --max-chars 120000 --set training.batch_size=8 --scale 0.2 --samples 4 \
        --infill-sentences 20 --json /tmp/q.json

The five models share one shape (`--preset`, tiny_scratch by default: the tiny model from random weights, without
the AR warm start or dropout of the tiny preset), one tokenizer, one validation and one test text and one recipe;
they differ in what they train on and how they mask:

| name               | objective | training data, in order                  | masking rates drawn                      |
|--------------------|-----------|------------------------------------------|------------------------------------------|
| mdlm_curriculum    | MDLM      | curriculum: easy sentences, pairs, all   | each stage's band + a growing full share |
| ordered_full_range | MDLM      | the curriculum's stages, same order      | all of (0, 1] from the first step        |
| shuffled_emphasis  | MDLM      | random paragraphs, same tokens per stage | each stage's band + a growing full share |
| mdlm_flat          | MDLM      | all training paragraphs every epoch      | all of (0, 1]                            |
| ar                 | AR        | all training paragraphs every epoch      | (next-token prediction)                  |

The two ablations isolate the curriculum's two ingredients: `ordered_full_range` keeps the difficulty-ordered data
and drops the mask emphasis; `shuffled_emphasis` keeps the emphasis and replaces stages I and II by random paragraphs
with the same number of tokens (stage III is all paragraphs in both), so both take exactly the curriculum's steps.
The curriculum models run the preset's stage epochs times `--scale`; the flat MDLM and AR run the same number of
epochs over all the training text (the sum of the stage epochs), so they see more tokens: compare them by FLOPs.
AR stops after `--ar-patience` validations without a new best (it overfits long before the MDLMs stop improving).

Every model validates on the same validation windows (lesson 05's validation chapters) every `--eval-every`
optimizer steps (default: one epoch of the whole training text), so the curves have the same compute resolution. The
record holds, per validation: the step, stage, tokens seen, epochs of the training text, training FLOPs, validation
BPC (exact for AR, the NELBO bound with its Monte Carlo standard error for MDLM) and wall time; per model,
`evaluation.evaluate` of the best checkpoint (the test chapters, touched by nothing else: the bound on every window
in fp32, count baselines, loss by masking level, samples with gen-perplexity under a Kneser-Ney 3-gram judge, sample
entropy, word validity, infilling accuracy) and where the run sits against the critical compute. `--rescore` then
adds, per model, 8 independent NELBO estimates of the best checkpoint on every test window, with the same seeds for
every model: their spread is an honest standard error (the record's in-run "±" treated the n_t stratified levels as
independent draws, which overstated it: 0.11–0.20 BPC against 0.002–0.003; the package's scorer now estimates it
from two independent half-estimates per window), and their model-minus-model differences are paired, so two models
can be compared far more tightly than their separate errors suggest. The JSON is written after every model (an
interrupted run keeps what finished; rerun with --append --models ... to add the rest). Tokenizer, validation and
test text are hashed; every evaluation's own `prepare` must match them byte for byte.
"""
from __future__ import annotations
import argparse, dataclasses, hashlib, json, math, os, platform, random, sys, time
from pathlib import Path

import torch

from tiny_diffusion.config import ProjectConfig, atomic_path, preset
from tiny_diffusion.text import resolve_book
from tiny_diffusion.curriculum import Prepared, prepare

MODELS = {  # name -> (objective, data, full_range_share override)
    "mdlm_curriculum": ("mdlm", "curriculum", None),
    "ordered_full_range": ("mdlm", "curriculum", (1.0, 1.0)),
    "shuffled_emphasis": ("mdlm", "shuffled", None),
    "mdlm_flat": ("mdlm", "flat", None),
    "ar": ("ar", "flat", None),
}


def model_config(base: ProjectConfig, name: str, scale: float, seed: int, eval_every: int,
                 ar_patience: int) -> ProjectConfig:
    "The config of one run: `base` with its objective, data kind, masking and the preset's stage epochs × `scale`."
    objective, data, share = MODELS[name]
    cfg = ProjectConfig.from_dict(base.to_dict())
    cfg.seed, cfg.training.objective = seed, objective
    cfg.curriculum.enabled = data != "flat"   # flat: one stage, all paragraphs, sum of the stage epochs (stage_plan)
    cfg.curriculum.stages = [dataclasses.replace(s, epochs=max(1, round(s.epochs * scale)))
                             for s in cfg.curriculum.stages]
    if share is not None: cfg.curriculum.full_range_share = share
    cfg.curriculum.patience = ar_patience if objective == "ar" else 0
    # samples: once, at the best checkpoint
    cfg.training.eval_every_steps, cfg.training.sample_every_epochs = eval_every, 0
    return cfg


def shuffled_stages(prep: Prepared, seed: int) -> list[list[str]]:
    "Stages of random training paragraphs with as many tokens as each curriculum stage (the last: all paragraphs)."
    everything = prep.stages[-1]
    lengths = [len(ids) for ids in prep.tokenizer.encode_batch(list(everything))]    # each paragraph encoded once
    rng = random.Random(seed)
    stages = []
    for texts in prep.stages[:-1]:
        target = sum(len(ids) for ids in prep.tokenizer.encode_batch(list(texts)))
        order, picked, n = list(range(len(everything))), [], 0
        rng.shuffle(order)
        for i in order:
            if n >= target: break
            picked.append(everything[i])
            n += lengths[i]
        stages.append(picked)
    return stages + [list(everything)]


def shared_data(book, base: ProjectConfig, seed: int, output: Path, progress: bool = False) -> dict[str, Prepared]:
    "Every model's data from ONE `prepare` with the curriculum config: its stages, shuffled stages, or the last only."
    cfg = model_config(base, "mdlm_curriculum", 1, seed, 1, 0)
    if cfg.curriculum.stages[-1].format != "paragraphs":
        raise SystemExit("the last curriculum stage must be 'paragraphs' (the flat and AR runs train on it); "
                         "fix --preset/--set")
    prep = prepare(book, output / "shared", cfg, progress=progress)
    kinds = dict(curriculum=prep, flat=dataclasses.replace(prep, stages=[prep.stages[-1]]),
                 shuffled=dataclasses.replace(prep, stages=shuffled_stages(prep, seed)))
    return {name: kinds[MODELS[name][1]] for name in MODELS}


def steps_per_epoch(prep: Prepared, cfg: ProjectConfig) -> list[tuple[int, int]]:
    "Per stage of `prep`: (optimizer steps, tokens) in one epoch, as the trainer frames and batches it."
    from tiny_diffusion.mdlm import stage_sequences
    out = []
    for texts in prep.stages:
        seqs = stage_sequences(texts, prep.tokenizer, cfg.model.max_seq_len, cfg.training.packing)
        out.append((math.ceil(len(seqs) / cfg.training.batch_size), sum(len(s) for s in seqs)))
    return out


def curve(summary: dict, cfg: ProjectConfig, prep: Prepared, unique_tokens: int) -> dict:
    "Per validation of one finished run: step, stage, tokens, epochs of training text, FLOPs, validation BPC ± SE, time"
    from tiny_diffusion.scaling import training_flops
    from tiny_diffusion.trainer import read_log
    log = read_log(summary["log"])
    t_start = next(r["time"] for r in log if r["kind"] == "start")
    per_step = [tok / steps for steps, tok in steps_per_epoch(prep, cfg)]   # mean tokens per optimizer step, by stage
    ends = {r["stage"]: r["step"] for r in log if r["kind"] == "stage_end"}  # global step at each stage's end
    model = ProjectConfig.from_dict(cfg.to_dict()).model
    model.vocab_size = len(prep.tokenizer)
    rec = {k: [] for k in ("step", "stage", "tokens", "epochs", "flops", "val_bpc", "val_bpc_se", "seconds")}
    for r in (r for r in log if r["kind"] == "val"):
        k, tokens, before = r["stage"], 0.0, 0
        for j in range(1, k):                       # whole earlier stages, then this one up to the validation's step
            tokens += (ends[j] - before) * per_step[j - 1]
            before = ends[j]
        tokens += (r["step"] - before) * per_step[k - 1]
        for key, v in [("step", r["step"]), ("stage", k), ("tokens", round(tokens)), ("epochs", tokens / unique_tokens),
                       ("flops", training_flops(model, tokens, model.max_seq_len)), ("val_bpc", r["val_bpc"]),
                       ("val_bpc_se", r.get("val_bpc_se", 0.0)), ("seconds", r["time"] - t_start)]:
            rec[key].append(v)
    b = min(range(len(rec["val_bpc"])), key=rec["val_bpc"].__getitem__)
    last_tenth = b >= int(0.9 * (len(rec["val_bpc"]) - 1))
    rec.update(best_bpc=rec["val_bpc"][b], best_index=b, best_step=rec["step"][b], best_epochs=rec["epochs"][b],
               best_flops=rec["flops"][b], still_improving=last_tenth, vocab_size=model.vocab_size,
               parameters=next(r["parameters"] for r in log if r["kind"] == "start"),
               stopped=[r.get("message") for r in log if r["kind"] == "plateau"])
    return rec


def short_report(report: dict, n_samples: int) -> dict:
    "An evaluation report without file paths, with its first `n_samples` samples (small enough to commit)."
    keep = {k: v for k, v in report.items() if k not in ("files", "plots", "samples", "checkpoint")}
    keep["checkpoint"] = "/".join(Path(report.get("checkpoint", "")).parts[-3:])  # NAME/checkpoints/best_model.pt
    keep["samples"] = report.get("samples", [])[:n_samples]
    return json.loads(json.dumps(keep, default=float))


def load_now() -> list[float]:
    "The 1/5/15-minute load averages (recorded beside every timing)."
    return [round(x, 2) for x in os.getloadavg()]


def scale_for_minutes(base: ProjectConfig, datas: dict, minutes: float, seed: int, models: list[str],
                      share: float = 0.8) -> tuple[float, dict]:
    "The epoch scale whose training steps for `models` fill `share` of `minutes`, from 3 timed steps of the model."
    from tiny_diffusion.model import Transformer
    from tiny_diffusion.mdlm import mdlm_loss
    cfg = model_config(base, "mdlm_flat", 1, seed, 1, 0)
    cfg.model.vocab_size = len(datas["ar"].tokenizer)
    torch.manual_seed(seed)
    model = Transformer(cfg.model)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.training.learning_rate)
    x = torch.randint(6, cfg.model.vocab_size, (cfg.training.batch_size, cfg.model.max_seq_len))   # [B, T] ordinary ids
    times = []
    for _ in range(4):
        t0 = time.perf_counter()
        mdlm_loss(model, x)[0].backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
    sps = sorted(times[1:])[1]                                  # median of three, after a warm-up step
    steps = 0.0
    for name in models:                                         # steps at scale 1 (AR counted as if it ran to the end)
        c = model_config(base, name, 1, seed, 1, 0)
        epochs = ([s.epochs for s in c.curriculum.stages] if c.curriculum.enabled
                  else [sum(s.epochs for s in c.curriculum.stages)])
        steps += sum(e * n for e, (n, _) in zip(epochs, steps_per_epoch(datas[name], c)))
    scale = minutes * 60 * share / (sps * steps)
    return scale, dict(minutes=minutes, share=share, seconds_per_step=sps, steps_at_scale_1=steps, load=load_now())


def run(args) -> dict:
    "Train and evaluate every requested model; the full record."
    from tiny_diffusion.checkpoint import load_checkpoint
    from tiny_diffusion.trainer import train
    from tiny_diffusion.evaluation import evaluate
    from tiny_diffusion.scaling import run_position
    book = str(resolve_book(args.book))
    base = preset(args.preset)
    if args.max_chars: base.data.max_chars = args.max_chars
    base.override(**{k: v for k, v in (kv.split("=", 1) for kv in args.set)})  # e.g. model.d_model=64
    root = Path(args.output)
    datas = shared_data(book, base, args.seed, root, args.progress)
    flat_cfg = model_config(base, "mdlm_flat", 1, args.seed, 1, 0)
    (flat_steps, unique_tokens), = steps_per_epoch(datas["mdlm_flat"], flat_cfg)
    eval_every = args.eval_every or flat_steps                  # one epoch of the whole training text
    budget = None
    if args.scale: scale = args.scale
    else: scale, budget = scale_for_minutes(base, datas, args.minutes, args.seed, args.models)
    record = dict(book=Path(book).stem, preset=args.preset, overrides=args.set, max_chars=base.data.max_chars,
                  seed=args.seed, scale=round(scale, 4), budget=budget, eval_every_steps=eval_every,
                  unique_tokens=unique_tokens,
                  command=" ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
                  machine=dict(platform=platform.platform(), processor=platform.processor(), cpus=os.cpu_count(),
                               affinity=len(os.sched_getaffinity(0)), torch=torch.__version__,
                               threads=torch.get_num_threads()), models={})
    tokenizer = datas["ar"].tokenizer.to_str()
    record["tokenizer_sha256"] = hashlib.sha256(tokenizer.encode()).hexdigest()
    for split in ("validation", "test"):
        record[f"{split}_sha256"] = hashlib.sha256("\n\n".join(getattr(datas["ar"], split)).encode()).hexdigest()
    old = Path(args.json) if args.json and args.append else None
    if old is not None and old.is_file():  # add models to an earlier record of the same experiment
        prev = json.loads(old.read_text())
        if any(prev.get(k) != record[k] for k in SAME_EXPERIMENT):
            raise SystemExit(f"{old} records another experiment ({', '.join(SAME_EXPERIMENT)} differ); drop --append")
        record["models"] = {k: v for k, v in prev["models"].items() if k not in args.models}
        record["commands"] = prev.get("commands", [prev["command"]])
    record["commands"] = record.get("commands", []) + [record["command"]]
    for name in args.models:
        cfg = model_config(base, name, scale, args.seed, eval_every, args.ar_patience)
        out, data = root / name, datas[name]
        load0, t0 = load_now(), time.time()
        print(f"== {name}: load {load0}", file=sys.stderr, flush=True)
        summary = train(cfg, data, output_dir=out, progress=args.progress)
        rec = dict(objective=cfg.training.objective, data=MODELS[name][1],
                   full_range_share=list(cfg.curriculum.full_range_share),
                   stage_names=[s.name for s in (cfg.curriculum.stages if cfg.curriculum.enabled else [None]) if s]
                   or ["all"],
                   stage_epochs=[s.epochs for s in cfg.curriculum.stages] if cfg.curriculum.enabled
                   else [sum(s.epochs for s in cfg.curriculum.stages)],
                   stage_steps_tokens_per_epoch=steps_per_epoch(data, cfg),
                   wall_seconds=time.time() - t0, train_seconds=summary["train_seconds"],
                   val_seconds=summary["val_seconds"],
                   steps=summary["steps"], precision=summary["precision"], load_before=load0, load_after=load_now(),
                   data_sha256=[record[f"{k}_sha256"] for k in ("tokenizer", "validation", "test")])
        rec.update(curve(summary, cfg, data, unique_tokens))
        shape = ProjectConfig.from_dict(cfg.to_dict()).model
        shape.vocab_size = rec["vocab_size"]
        rec["position"] = {at: run_position(shape, unique_tokens, rec["tokens"][i])       # against the critical compute
                           for at, i in (("best", rec["best_index"]), ("end", -1))}
        if args.samples and summary.get("best_model"):
            rep = evaluate(summary["best_model"], book=book, samples=args.samples, output_dir=out / "eval",
                           style_analysis=False, seed=args.seed, infill_sentences=args.infill_sentences,
                           progress=args.progress)
            rec["evaluation"] = short_report(rep, args.keep_samples)
            own = Prepared.load(out)  # what evaluate's prepare made for this model's config
            same = (own.validation, own.test) == (datas["ar"].validation, datas["ar"].test)
            assert own.tokenizer.to_str() == tokenizer and same, f"{name}: data differs"
        assert load_checkpoint(summary["latest"]).tokenizer.to_str() == tokenizer, f"{name}: tokenizer differs"
        record["models"][name] = rec
        if args.json: write_json(record, Path(args.json))  # partial results survive an interrupted run
        print(json.dumps(headline(record)["models"][name]), file=sys.stderr, flush=True)
    return record


SAME_EXPERIMENT = ("book", "preset", "overrides", "max_chars", "seed", "scale", "tokenizer_sha256", "validation_sha256",
                   "test_sha256")


def merge_records(target: Path, others: list[Path]) -> dict:
    "Add the models of records `others` (runs of the same experiment made apart) to the record at `target`."
    record = json.loads(target.read_text())
    record["commands"] = record.get("commands", [record["command"]])
    for o in others:
        rec = json.loads(Path(o).read_text())
        if any(rec.get(k) != record.get(k) for k in SAME_EXPERIMENT):
            raise SystemExit(f"{o} records another experiment ({', '.join(SAME_EXPERIMENT)} must match {target})")
        record["models"].update(rec["models"])
        record["commands"] += rec.get("commands", [rec["command"]])
    write_json(record, target)
    return record


def replicate_scores(checkpoint: Path, test: list[str], k: int, n_t: int) -> list[float]:
    "Test BPC (fp32) of `checkpoint` from `k` independent NELBO estimates (seeds 1000…; `n_t` stratified levels each)."
    from tiny_diffusion.checkpoint import load_checkpoint
    from tiny_diffusion.mdlm import chunk_for_scoring
    from tiny_diffusion.autoregressive import heldout_score
    ck = load_checkpoint(checkpoint)
    chunks = chunk_for_scoring(ck.tokenizer, test, ck.config.model.max_seq_len)        # every test window
    reps = 1 if ck.objective == "ar" else k                                          # AR is exact: one is all there is
    return [heldout_score(ck.model, chunks, ck.objective, 32, n_t=n_t, seed=1000 + r)["bpc"] for r in range(reps)]


def rescore(target: Path, roots: list[Path], k: int, n_t: int) -> dict:
    "Add to each model of the record `k` independent test estimates of its best checkpoint (same seeds for all: paired)"
    record = json.loads(target.read_text())
    test = None
    for root in roots:
        if (root / "shared").is_dir():
            test = Prepared.load(root / "shared").test
            if hashlib.sha256("\n\n".join(test).encode()).hexdigest() != record.get("test_sha256"):
                raise SystemExit(f"{root}/shared holds other test text than {target} records "
                                 "(or it predates the test split)")
            break
    where = ", ".join(map(str, roots))
    if test is None: raise SystemExit(f"no prepared data under {where}/shared; pass --roots of the runs")
    for name, rec in record["models"].items():
        path = next((r / name / "checkpoints" / "best_model.pt" for r in roots
                     if (r / name / "checkpoints" / "best_model.pt").is_file()), None)
        if path is None: raise SystemExit(f"{name}: no best_model.pt under {where}; pass --roots of the runs")
        t0 = time.time()
        rec["replicates"] = dict(k=k, n_t=n_t, seeds=list(range(1000, 1000 + k)),
                                 bpc=replicate_scores(path, test, k, n_t), seconds=round(time.time() - t0, 1),
                                 load=load_now())
        print(f"{name}: {rec['replicates']['bpc']}", file=sys.stderr, flush=True)
        write_json(record, target)
    return record


def write_json(obj, path: Path) -> None:
    "Write JSON atomically (the package's atomic_path: a temp file in the same folder, then a rename), readable by all."
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, default=float) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o644)                             # a temp file is private (0600); the record is for everyone


def headline(record: dict) -> dict:
    "The short summary printed on stdout: best BPC per model, where it was reached, validations, wall time."
    return dict(book=record["book"], preset=record["preset"], overrides=record.get("overrides", []),
                max_chars=record["max_chars"], scale=record["scale"], budget=record["budget"],
                models={k: dict(best_bpc=round(v["best_bpc"], 4), best_epochs=round(v["best_epochs"], 1),
                                steps=v["steps"], validations=len(v["val_bpc"]), still_improving=v["still_improving"],
                                wall_seconds=round(v["wall_seconds"], 1), flops=f"{v['flops'][-1]:.3g}",
                                test_bpc=v.get("evaluation", {}).get("likelihood", {}).get("bpc"))
                        for k, v in record["models"].items()})


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--book", default="frankenstein", help="book name or path (default: frankenstein)")
    p.add_argument("--preset", default="tiny_scratch",
                   help="model/training preset shared by the models (default: tiny_scratch, the tiny model from "
                        "random weights)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="config overrides by dot path for all models, e.g. model.d_model=64 model.n_layers=2")
    p.add_argument("--max-chars", type=int, default=0, help="train on the first N characters of the book (0 = all)")
    p.add_argument("--scale", type=float, default=0.0,
                   help="stage epochs = the preset's × SCALE (0: choose from --minutes)")
    p.add_argument("--minutes", type=float, default=90.0,
                   help="training budget for all models together, without --scale")
    p.add_argument("--ar-patience", type=int, default=12,
                   help="AR stops after this many validations without a new best")
    p.add_argument("--eval-every", type=int, default=0,
                   help="validate every N steps (0: one epoch of the training text)")
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--samples", type=int, default=20, help="samples for each model's evaluation (0 = no evaluation)")
    p.add_argument("--keep-samples", type=int, default=4, help="samples per model kept in the JSON record")
    p.add_argument("--infill-sentences", type=int, default=200, help="test sentences for the infilling test")
    p.add_argument("--output", default="runs/capstone", help="folder for the runs (checkpoints, logs, eval)")
    p.add_argument("--json", default="", help="also write the full record here")
    p.add_argument("--merge", nargs="+", default=[], metavar="JSON",
                   help="train nothing: add the models of these records (same experiment) to the record at --json")
    p.add_argument("--append", action="store_true", help="keep the other models already in --json (same experiment)")
    p.add_argument("--rescore", action="store_true",
                   help="train nothing: add REPLICATES independent test estimates of each model's best checkpoint "
                        "to --json")
    p.add_argument("--roots", nargs="+", default=["runs/capstone"],
                   help="with --rescore: the --output folders of the runs")
    p.add_argument("--replicates", type=int, default=8,
                   help="with --rescore: independent estimates per model (paired seeds)")
    p.add_argument("--n-t", type=int, default=8, help="with --rescore: NELBO levels per estimate")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--progress", action="store_true", help="show progress bars")
    args = p.parse_args(argv)
    if args.minutes <= 0 and not args.scale: p.error("--minutes must be > 0 (or pass --scale F)")
    if args.scale < 0: p.error("--scale must be > 0 (e.g. --scale 3.5)")
    bad = [kv for kv in args.set if "=" not in kv]
    if bad: p.error(f"--set takes KEY=VALUE pairs, not {bad[0]!r} (e.g. --set model.d_model=64)")
    if args.merge and not args.json: p.error("--merge needs --json TARGET (the record to add the models to)")
    if args.rescore and not args.json: p.error("--rescore needs --json TARGET (the record to add the estimates to)")
    if args.rescore: record = rescore(Path(args.json), [Path(r) for r in args.roots], args.replicates, args.n_t)
    else: record = merge_records(Path(args.json), args.merge) if args.merge else run(args)
    out = headline(record)
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
