#!/usr/bin/env python
"""Quality under a fixed CPU budget: MDLM with the curriculum, MDLM without it, and the AR baseline, as JSON.

    python benchmarks/quality.py                       # the issue's budget: about 30 minutes per model, whole book
    python benchmarks/quality.py --minutes 8           # a smaller time budget per model
    python benchmarks/quality.py --epochs 12 --max-chars 112050 --set model.d_model=64 model.n_layers=2 \
        model.n_heads=2 --samples 8 --keep-samples 3 --output runs/capstone --json nbs/capstone_results.json

All three models have the same shape (the `--preset`, `tiny` by default) and the same tokenizer, trained on the
same book for the same number of epochs; only the objective (`mdlm` / `ar`) and `curriculum.enabled` change.
With `--minutes`, the number of epochs is chosen from a short timing of training steps on this machine so that
the model without curriculum (the one that sees the most tokens per epoch) fits the budget; the curriculum
model sees shorter segments in its first stages and usually finishes earlier. Prints a short JSON summary
(best held-out BPC per model, the epoch of that best, epochs, wall time); `--json PATH` also writes the full
record (per-epoch held-out BPC, tokens and training FLOPs, evaluation reports, samples) that the capstone
notebook plots. Held-out BPC is exact for AR and the NELBO upper bound for MDLM.

The data comes from ONE call of `curriculum.prepare` with the curriculum config (under OUTPUT/shared): the
curriculum model trains on its stages; the flat MDLM and the AR model train on its last stage (every training
paragraph, packed into windows: what `prepare` gives with `curriculum.enabled` false). So the three models share
one tokenizer and are scored on the same held-out chapters. Each best checkpoint then goes through
`evaluation.evaluate`, whose own `prepare` (the model's config, in its run folder) must give the same tokenizer
and held-out text byte for byte: the script checks it.
"""
from __future__ import annotations
import argparse, dataclasses, hashlib, json, os, platform, sys, tempfile, time
from pathlib import Path

import torch

from tiny_diffusion.config import ProjectConfig, preset
from tiny_diffusion.text import load_book, resolve_book
from tiny_diffusion.tokenizer import train_tokenizer
from tiny_diffusion.curriculum import Prepared, prepare

MODELS = {  # name -> (objective, curriculum enabled)
    "mdlm_curriculum": ("mdlm", True),
    "mdlm_flat": ("mdlm", False),
    "ar": ("ar", False),
}


def model_config(base: ProjectConfig, name: str, epochs: int, seed: int) -> ProjectConfig:
    "The config of one of the three runs: `base` with its objective, curriculum switch and `epochs` in total."
    objective, curriculum = MODELS[name]
    cfg = ProjectConfig.from_dict(base.to_dict())
    cfg.seed, cfg.training.objective, cfg.curriculum.enabled = seed, objective, curriculum
    share = [s.epochs for s in cfg.curriculum.stages]  # keep the preset's proportions (tiny: 2:2:4)
    split = [max(1, round(epochs * s / sum(share))) for s in share]
    split[-1] = max(1, epochs - sum(split[:-1]))
    cfg.curriculum.stages = [dataclasses.replace(s, epochs=e) for s, e in zip(cfg.curriculum.stages, split)]
    cfg.training.sample_every_epochs = 0  # samples are drawn once, from the best checkpoint, by the evaluation
    return cfg


def seconds_per_token(cfg: ProjectConfig, steps: int = 2) -> float:
    "Measured training seconds per token of `cfg`'s model (full-length batches, forward + backward + AdamW)."
    from tiny_diffusion.model import Transformer
    if cfg.training.objective == "ar": from tiny_diffusion.autoregressive import ar_loss as loss_fn
    else: from tiny_diffusion.mdlm import mdlm_loss as loss_fn
    torch.manual_seed(cfg.seed)
    model = Transformer(cfg.model, causal=cfg.training.objective == "ar")
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.training.learning_rate)
    B, T = cfg.training.batch_size, cfg.model.max_seq_len
    x = torch.randint(6, cfg.model.vocab_size, (B, T))   # [B,T] ordinary (non-special) token ids
    def step():
        loss = loss_fn(model, x)[0]
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps): step()
    return (time.perf_counter() - t0) / (steps * B * T)


def epochs_for_budget(base: ProjectConfig, book, minutes: float, seed: int, share: float = 0.75) -> tuple[int, dict]:
    "Epochs that fit `minutes` of training for the no-curriculum model (`share` of it; the rest is validation)."
    bk = load_book(book, max_chars=base.data.max_chars)
    cfg = ProjectConfig.from_dict(base.to_dict())
    tok = train_tokenizer(bk.paragraphs, cfg.data.vocab_size)
    cfg.model.vocab_size, cfg.seed = len(tok), seed
    tokens = len(tok.encode(bk.text)) * (1 - cfg.curriculum.heldout_fraction)  # ≈ training tokens per epoch
    spt = seconds_per_token(cfg)  # AR and MDLM cost the same per token: one forward and backward of the same model
    epochs = max(1, int(minutes * 60 * share / (spt * tokens)))
    return epochs, dict(seconds_per_token=spt, tokens_per_epoch_estimate=int(tokens), minutes=minutes, share=share)


def shared_data(book, base: ProjectConfig, epochs: int, seed: int, output: Path, progress: bool = False) -> dict[str, Prepared]:
    "Each model's data from one `prepare` with the curriculum config: the stages, or only the last (all paragraphs)."
    cfg = model_config(base, "mdlm_curriculum", epochs, seed)
    if cfg.curriculum.stages[-1].format != "paragraphs":
        raise SystemExit("the last curriculum stage must be 'paragraphs' (the flat and AR runs train on it); fix --preset/--set")
    prep = prepare(book, output / "shared", cfg, progress=progress)
    flat = dataclasses.replace(prep, stages=[prep.stages[-1]])  # same tokenizer object, same held-out paragraphs
    return {name: prep if MODELS[name][1] else flat for name in MODELS}


def epoch_records(summary: dict, cfg: ProjectConfig, prep) -> dict:
    "Per-epoch held-out BPC, wall time, tokens and training FLOPs of one finished run, from its log and data."
    from tiny_diffusion.scaling import training_flops
    from tiny_diffusion.curriculum import stage_plan
    from tiny_diffusion.trainer import read_log, stage_sequences
    log = read_log(summary["log"])
    t_start = next(r["time"] for r in log if r["kind"] == "start")
    model = ProjectConfig.from_dict(cfg.to_dict()).model
    model.vocab_size = len(prep.tokenizer)
    L = model.max_seq_len
    stage_tokens = [sum(len(s) for s in stage_sequences(texts, prep.tokenizer, L, cfg.training.packing)) for texts in prep.stages]
    vals = [r for r in log if r["kind"] == "val"]
    tokens, seen = [], 0
    for r in vals:  # one validation per epoch (eval_every_epochs = 1)
        seen += stage_tokens[r["stage"] - 1]
        tokens.append(seen)
    bpcs = [r["val_bpc"] for r in vals]
    best = min(range(len(bpcs)), key=bpcs.__getitem__) if bpcs else None
    return dict(epoch=list(range(1, len(vals) + 1)), stage=[r["stage"] for r in vals], val_bpc=bpcs,
                seconds=[r["time"] - t_start for r in vals], tokens=tokens,
                flops=[training_flops(model, t, L) for t in tokens],
                stage_names=[s.name for s in stage_plan(cfg)], stage_tokens_per_epoch=stage_tokens,
                unique_tokens=sum(len(s) for s in stage_sequences(prep.stages[-1], prep.tokenizer, L, cfg.training.packing)),
                best_bpc=bpcs[best] if bpcs else None, best_epoch=best + 1 if bpcs else None,
                still_improving=best == len(bpcs) - 1 if bpcs else None,
                vocab_size=model.vocab_size, parameters=next(r["parameters"] for r in log if r["kind"] == "start"))


def short_report(report: dict, n_samples: int) -> dict:
    "An evaluation report without file paths, with its first `n_samples` samples (small enough to commit)."
    keep = {k: v for k, v in report.items() if k not in ("files", "plots", "samples", "checkpoint")}
    keep["checkpoint"] = "/".join(Path(report.get("checkpoint", "")).parts[-3:])  # NAME/checkpoints/best_model.pt
    keep["samples"] = report.get("samples", [])[:n_samples]
    return json.loads(json.dumps(keep, default=float))


def run(args) -> dict:
    "Train and evaluate every requested model; the full record."
    from tiny_diffusion.checkpoint import load_checkpoint
    from tiny_diffusion.trainer import train
    from tiny_diffusion.evaluation import evaluate
    book = str(resolve_book(args.book))
    base = preset(args.preset)
    if args.max_chars: base.data.max_chars = args.max_chars
    base.override(**{k: v for k, v in (kv.split("=", 1) for kv in args.set)})  # e.g. model.d_model=64
    budget = None
    if args.epochs: epochs = args.epochs
    else: epochs, budget = epochs_for_budget(base, book, args.minutes, args.seed)
    epochs = max(epochs, len(base.curriculum.stages))  # the curriculum needs at least one epoch per stage
    root = Path(args.output)
    record = dict(book=Path(book).stem, preset=args.preset, overrides=args.set, max_chars=base.data.max_chars, seed=args.seed,
                  epochs=epochs, budget=budget,
                  command=" ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
                  machine=dict(platform=platform.platform(), cpus=os.cpu_count(), torch=torch.__version__,
                               threads=torch.get_num_threads()), models={})
    old = Path(args.json) if args.json and args.append else None
    if old is not None and old.is_file():  # add models to an earlier record of the same experiment
        prev = json.loads(old.read_text())
        if any(prev.get(k) != record[k] for k in SAME_EXPERIMENT):
            raise SystemExit(f"{old} records another experiment (book, preset, max_chars, seed or epochs differ); drop --append")
        record["models"] = {k: v for k, v in prev["models"].items() if k not in args.models}
        record["commands"] = prev.get("commands", [prev["command"]])
    record["commands"] = record.get("commands", []) + [record["command"]]
    datas = shared_data(book, base, epochs, args.seed, root, args.progress)
    tokenizer = datas["ar"].tokenizer.to_str()
    record["tokenizer_sha256"] = hashlib.sha256(tokenizer.encode()).hexdigest()
    record["heldout_sha256"] = hashlib.sha256("\n\n".join(datas["ar"].heldout).encode()).hexdigest()
    for old_rec in record["models"].values():  # --append: the earlier models must have used the same tokenizer and text
        if old_rec.get("data_sha256") != [record["tokenizer_sha256"], record["heldout_sha256"]]:
            raise SystemExit(f"{old} was trained on other prepared data (tokenizer or held-out text differ); drop --append")
    for name in args.models:
        cfg = model_config(base, name, epochs, args.seed)
        out, data = root / name, datas[name]
        t0 = time.time()
        summary = train(cfg, data, output_dir=out, progress=args.progress)
        rec = dict(objective=cfg.training.objective, curriculum=cfg.curriculum.enabled,
                   stage_epochs=[s.epochs for s in cfg.curriculum.stages] if cfg.curriculum.enabled else [epochs],
                   train_seconds=time.time() - t0, steps=summary["steps"], best_val_bpc=summary["best_val_bpc"],
                   data_sha256=[record["tokenizer_sha256"], record["heldout_sha256"]])
        rec.update(epoch_records(summary, cfg, data))
        if args.samples and summary.get("best_model"):
            rep = evaluate(summary["best_model"], book=book, references=args.references, samples=args.samples,
                           output_dir=out / "eval", style_analysis=bool(args.references), seed=args.seed)
            rec["evaluation"] = short_report(rep, args.keep_samples)
            own = Prepared.load(out)  # what evaluate's prepare made for this model's config
            assert own.tokenizer.to_str() == tokenizer and own.heldout == datas["ar"].heldout, f"{name}: data differs"
        assert load_checkpoint(summary["latest"]).tokenizer.to_str() == tokenizer, f"{name}: tokenizer differs"
        record["models"][name] = rec
        if args.json: write_json(record, Path(args.json))  # partial results survive an interrupted run
    return record


SAME_EXPERIMENT = ("book", "preset", "overrides", "max_chars", "seed", "epochs")

def merge_records(target: Path, others: list[Path]) -> dict:
    "Add the models of records `others` (runs of the same experiment made apart) to the record at `target`."
    record = json.loads(target.read_text())
    record["commands"] = record.get("commands", [record["command"]])
    for o in others:
        rec = json.loads(Path(o).read_text())
        if any(rec.get(k) != record.get(k) for k in SAME_EXPERIMENT):
            raise SystemExit(f"{o} records another experiment ({', '.join(SAME_EXPERIMENT)} must match {target})")
        if any(rec.get(k) != record.get(k) for k in ("tokenizer_sha256", "heldout_sha256")):
            raise SystemExit(f"{o} was trained on other prepared data (tokenizer or held-out text differ from {target})")
        record["models"].update(rec["models"])
        record["commands"] += rec.get("commands", [rec["command"]])
    write_json(record, target)
    return record


def write_json(obj, path: Path) -> None:
    "Write JSON atomically (temp file in the same folder, then rename)."
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp"); os.close(fd)
    Path(tmp).write_text(json.dumps(obj, indent=1, default=float) + "\n"); os.chmod(tmp, 0o644); os.replace(tmp, path)


def headline(record: dict) -> dict:
    "The short summary printed on stdout: best BPC per model, its epoch, epochs run, wall time."
    return dict(book=record["book"], preset=record["preset"], overrides=record.get("overrides", []), max_chars=record["max_chars"], epochs=record["epochs"],
                budget=record["budget"],
                models={k: dict(best_bpc=v["best_bpc"], best_epoch=v["best_epoch"], epochs=len(v["epoch"]),
                                still_improving=v["still_improving"], wall_seconds=round(v["train_seconds"], 1),
                                flops=v["flops"][-1] if v["flops"] else 0.0)
                        for k, v in record["models"].items()})


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--book", default="frankenstein", help="book name or path (default: frankenstein)")
    p.add_argument("--preset", default="tiny", help="model/training preset shared by the three models")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="config overrides by dot path for all models, e.g. model.d_model=64 model.n_layers=2")
    p.add_argument("--max-chars", type=int, default=0, help="train on the first N characters of the book (0 = all)")
    p.add_argument("--minutes", type=float, default=30.0, help="training budget per model (default: 30, the issue's)")
    p.add_argument("--epochs", type=int, default=0, help="epochs per model instead of a time budget")
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--samples", type=int, default=20, help="samples for each model's evaluation (0 = no evaluation)")
    p.add_argument("--keep-samples", type=int, default=4, help="samples per model kept in the JSON record")
    p.add_argument("--references", nargs="*", default=[], help="other books for Burrows' Delta (turns style analysis on)")
    p.add_argument("--output", default="runs/quality", help="folder for the three runs (checkpoints, logs, eval)")
    p.add_argument("--json", default="", help="also write the full record here")
    p.add_argument("--merge", nargs="+", default=[], metavar="JSON",
                   help="train nothing: add the models of these records (same experiment) to the record at --json")
    p.add_argument("--append", action="store_true", help="keep the other models already in --json (same experiment)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--progress", action="store_true", help="show progress bars")
    args = p.parse_args(argv)
    if args.minutes <= 0 and not args.epochs: p.error("--minutes must be > 0 (or pass --epochs N)")
    bad = [kv for kv in args.set if "=" not in kv]
    if bad: p.error(f"--set takes KEY=VALUE pairs, not {bad[0]!r} (e.g. --set model.d_model=64)")
    if args.merge and not args.json: p.error("--merge needs --json TARGET (the record to add the models to)")
    record = merge_records(Path(args.json), args.merge) if args.merge else run(args)
    out = headline(record)
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
