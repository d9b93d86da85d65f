#!/usr/bin/env python
"""The speed-quality frontier of the samplers against the AR baseline, on trained checkpoints, as JSON.

First train the main job's model (the README's command) and the AR baseline of the same budget, as the fair race
chose it on the validation chapters (`benchmarks/race.py`, row ar_d02_wd1_s400, in 2,048 tokens; about 8 and 3
minutes on 2 cores):

    tiny-diffusion train --book frankenstein --preset tiny --output runs/tiny
    tiny-diffusion train --book frankenstein --preset tiny --seed 0 --output runs/ar --objective ar \\
        --epochs-per-stage 27,21,42 --set curriculum.enabled=false --set training.max_steps_per_stage=400 \\
        --set model.dropout=0.2 --set training.weight_decay=1.0 --set data.vocab_size=2048 --set model.vocab_size=2048

(the record benchmarks/sampling_results.json was measured on exactly these two), then measure (10-20 minutes on one
thread, by the machine's speed that day; pin it, e.g. `taskset -c 1 env OMP_NUM_THREADS=1 python ...`):

    python benchmarks/sampling.py --mdlm runs/tiny/checkpoints/best_model.pt --ar runs/ar/checkpoints/best_model.pt \\
        --output benchmarks/sampling_results.json --plot nbs/images/sampling_frontier.png

(`--replot benchmarks/sampling_results.json --plot nbs/images/sampling_frontier.png` redraws the README's figure
from the record alone, in seconds.)

Every row generates --length tokens (default 256, semi-autoregressive blocks: the tiny model's context is 128) from
[BOS] alone: --single samples one after another (batch 1) and one batch of --batch samples, then untimed batches up
to --quality-samples for the quality figures. Speed is generated tokens per second of CPU time (one thread: what the
work costs, whatever else shares the core; wall-time figures are kept beside it), and `speed_vs_ar_*` divides it by
the AR baseline's, timed just before and just after the row (`ar_tokens_per_s_*`, their geometric mean: the
machine's speed can drift by half within minutes); `passes` counts forward passes per sample (the AR baseline: one
per token, with its KV cache). Quality is measured on all samples of the row together: gen-perplexity under the AR
checkpoint (the judge; it wrote the AR rows itself, so those are flattered) and under a Kneser-Ney 3-gram of the
training text (a judge that wrote nothing), the unigram token entropy beside that of held-out text, the share of the
samples' words that occur in the book, and their shape: words per sentence and paragraphs per 1,000 characters (a
sampler can break its text into fragments that the judges score kindly). `chars_per_token` is the characters a
generated token carries on average: the two models may use different tokenizers, so equal tokens/s need not be
equal text per second.
"""
from __future__ import annotations
import argparse, json, math, os, platform, sys, time
from pathlib import Path

import numpy as np
import torch

from tiny_diffusion.checkpoint import load_checkpoint
from tiny_diffusion.curriculum import prepare, prepared_dir
from tiny_diffusion.evaluation import (Memorizer, ModelJudge, NgramJudge, heldout_slices, recorded_book,
                                       sentence_lengths, token_entropy, words, _save_fig, _token_rows)
from tiny_diffusion.sampling import generate, plot_frontier
from tiny_diffusion.text import load_book, punkt_for, punkt_sample, split_sentences

NUCLEUS = dict(temperature=0.5, top_p=0.9)       # the tiny preset's token choice
FULL = dict(temperature=1.0, top_p=1.0)          # the model's own distribution
# (name, generate options): the AR baseline, then the diffusion samplers; `steps` is per block
ROWS = [("AR, KV cache", dict(**NUCLEUS)),
        ("AR, KV cache, T=1", dict(**FULL))]
ROWS += [(f"ancestral, {s} steps", dict(strategy="ancestral", steps=s, **NUCLEUS))
         for s in (128, 64, 48, 32, 24, 16, 12)]
ROWS += [(f"ancestral, {s} steps, cache", dict(strategy="ancestral", steps=s, block_cache=True, **NUCLEUS))
         for s in (32, 24)]                            # Fast-dLLM's cache of the kept context, on the default blocks
ROWS += [(f"confidence, {s} steps", dict(strategy="confidence", steps=s, **NUCLEUS)) for s in (32, 16)]
ROWS += [(f"threshold {t}", dict(strategy="threshold", steps=128, threshold=t, **NUCLEUS)) for t in (0.9,)]
SEMI_AR = dict(block_size=32, block_cache=True, **NUCLEUS)   # blocks of 32 new tokens, Fast-dLLM's cache
ROWS += [("ancestral, blocks of 32, 16 steps, cache", dict(strategy="ancestral", steps=16, **SEMI_AR)),
         ("ancestral, blocks of 32, 8 steps, cache", dict(strategy="ancestral", steps=8, **SEMI_AR)),
         ("ancestral, blocks of 32, 8 steps, no cache",
          dict(SEMI_AR, strategy="ancestral", steps=8, block_cache=False)),
         ("threshold 0.9, blocks of 32, cache", dict(strategy="threshold", steps=32, **SEMI_AR)),
         ("remask 0.05, 64 steps", dict(strategy="remask", steps=64, remask=0.05, **NUCLEUS)),
         ("ancestral, 32 steps, T=1", dict(strategy="ancestral", steps=32, **FULL)),
         ("ancestral, 32 steps, T=1, float32 Gumbel", dict(strategy="ancestral", steps=32, noise="float32", **FULL)),
         ("ancestral, 32 steps, T=1, float64 Gumbel", dict(strategy="ancestral", steps=32, noise="float64", **FULL))]
# DUS's dilated order (Luxembourg et al. 2025): equal groups of spread-out positions, on the default blocks
DILATED = dict(strategy="dilated", schedule="linear", block_cache=True, **NUCLEUS)
ROWS += [(f"dilated, {s} steps, cache", dict(DILATED, steps=s)) for s in (16, 8, 4, 2)]
ROWS += [("dilated, 4 steps, no cache", dict(DILATED, steps=4, block_cache=False)),
         ("dilated, 8 steps, cosine, cache", dict(DILATED, steps=8, schedule="cosine"))]
# bf16 autocast (what precision=auto picks for training on a CPU with fast bf16): does it change the race?
ROWS += [("AR, KV cache, bf16", dict(precision="bf16", **NUCLEUS)),
         ("ancestral, 24 steps, bf16", dict(strategy="ancestral", steps=24, precision="bf16", **NUCLEUS))]


class Quality:
    "The judges and the book's words, built once from the MDLM run's prepared data."
    def __init__(self, mdlm_path: str, ar_path: str):
        ck = load_checkpoint(mdlm_path)
        run_dir = Path(mdlm_path).resolve().parent.parent
        book = recorded_book(ck.state, run_dir) or "frankenstein"
        prep = prepare(book, prepared_dir(run_dir), ck.config, quiet=True)
        held = set(prep.validation) | set(prep.test)
        train = [p for p in load_book(book, max_chars=ck.config.data.max_chars).paragraphs if p not in held]
        self.book_words = set(Memorizer("\n\n".join(train)).words)
        self.punkt = punkt_for(punkt_sample(train))                      # sentences split as `evaluate` splits them
        self.heldout = "\n\n".join(prep.validation)   # choosing a sampler is tuning: validation, never test
        self.ar, self.ngram = ModelJudge(ar_path), NgramJudge(ck.tokenizer, prep.stages[-1], 3)

    def __call__(self, texts: list[str]) -> dict:
        "Gen-perplexity under both judges (with the AR judge's relative standard error), entropy, book words."
        per = [self.ar.score([t]) for t in texts]
        log_ppl = np.array([p["nats"] / max(p["tokens"], 1) for p in per])              # per sample
        ar, kn = self.ar.score(texts), self.ngram.score(texts)
        flat = [w for t in texts for w in words(t)]
        return dict(gen_ppl_ar=math.exp(ar["nats"] / ar["tokens"]),
                    gen_ppl_ar_rse=float(log_ppl.std(ddof=1) / len(texts) ** 0.5),
                    gen_ppl_kn=math.exp(kn["nats"] / kn["tokens"]),
                    entropy=token_entropy(_token_rows(self.ar.tokenizer, texts, eos=False)),
                    book_words=sum(w in self.book_words for w in flat) / max(len(flat), 1),
                    sentence_words=float(np.mean(self.sentence_words(texts))),
                    paragraphs_per_kchar=1000 * sum(len(self.paragraphs(t)) for t in texts) / sum(map(len, texts)))

    @staticmethod
    def paragraphs(text: str) -> list[str]:
        return [p for p in text.split("\n\n") if p.strip()]

    def sentence_words(self, texts: list[str]) -> list[int]:
        "Words per sentence, each text split into paragraphs (a paragraph break ends a sentence), then by Punkt."
        groups = split_sentences([p for t in texts for p in self.paragraphs(t)], punkt=self.punkt)
        return sentence_lengths([s for g in groups for s in g])

    def reference(self, texts: list[str], seed: int = 0) -> dict:
        "The same figures for held-out passages as long (in characters) as `texts`."
        return self(heldout_slices(self.heldout, [len(t) for t in texts], np.random.default_rng(seed)))


def timed(*args, **kw) -> tuple:
    "generate(...) and the CPU seconds it took (immune to other processes sharing the core, unlike wall time)."
    t0 = time.process_time()
    g = generate(*args, **kw)
    return g, time.process_time() - t0


def measure(model, tok, opts: dict, length: int, single: int, batch: int, n_quality: int) -> tuple[dict, list[str]]:
    """Tokens per CPU second at batch 1 (`single` samples in turn) and at batch `batch`; passes per sample; the
    texts: those samples and untimed batches after them, `n_quality` in all (quality needs more than speed does)."""
    common = dict(length=length, stop_at_eos=False, **opts)
    ones = [timed(model, tok, seed=s, **common) for s in range(single)]
    many, cpu = timed(model, tok, seed=1000, num_samples=batch, **common)
    texts = [t for g, _ in ones for t in g.texts] + many.texts
    seed = 1001
    while len(texts) < n_quality:                                   # untimed batches, for the quality figures
        texts += generate(model, tok, seed=seed, num_samples=min(batch, n_quality - len(texts)), **common).texts
        seed += 1
    figures = dict(passes=ones[0][0].nfe, passes_per_token=round(ones[0][0].nfe / length, 3),
                   tokens_per_s_batch1=single * length / sum(c for _, c in ones),
                   tokens_per_s_batch=batch * length / cpu,
                   wall_tokens_per_s_batch1=single * length / sum(g.seconds for g, _ in ones),
                   wall_tokens_per_s_batch=batch * length / many.seconds)
    return figures, texts


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n", 2)[2],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mdlm", default="runs/tiny/checkpoints/best_model.pt", help="the diffusion checkpoint")
    p.add_argument("--ar", default="runs/ar/checkpoints/best_model.pt", help="the AR baseline (also the judge)")
    p.add_argument("--length", type=int, default=256, help="tokens per sample")
    p.add_argument("--single", type=int, default=4, help="samples generated one at a time (batch 1)")
    p.add_argument("--batch", type=int, default=16, help="samples generated in one batch")
    p.add_argument("--quality-samples", type=int, default=64,
                   help="samples each row's quality is measured on (the timed ones, then untimed batches)")
    p.add_argument("--rows", default="", help="comma-separated row numbers to run (default: all)")
    p.add_argument("--output", help="write the JSON here too")
    p.add_argument("--plot", help="draw the frontier (lesson 11's plot_frontier) into this PNG too")
    p.add_argument("--replot", metavar="RECORD", help="only draw --plot from this JSON record, measuring nothing")
    a = p.parse_args(argv)
    if a.replot:
        if not a.plot: p.error("--replot needs --plot PATH, the PNG to write")
        if not Path(a.replot).is_file(): p.error(f"{a.replot} not found; pass a JSON record this script wrote")
        _save_fig(plot_frontier(json.loads(Path(a.replot).read_text())), Path(a.plot))
        return 0
    for path in (a.mdlm, a.ar):
        if not Path(path).is_file(): p.error(f"{path} not found; train it first (see --help)")
    t_all = time.perf_counter()
    torch.manual_seed(0)
    mdlm, ar = load_checkpoint(a.mdlm), load_checkpoint(a.ar)
    quality = Quality(a.mdlm, a.ar)
    rows = [r for i, r in enumerate(ROWS) if not a.rows or str(i) in a.rows.split(",")]
    generate(mdlm.model, mdlm.tokenizer, length=16, steps=4, seed=0)                  # warm-up
    generate(ar.model, ar.tokenizer, length=16, seed=0)
    out = dict(machine=dict(cpu=platform.processor() or platform.machine(), threads=torch.get_num_threads(),
                            torch=torch.__version__, load_before=os.getloadavg()[0]),
               mdlm=a.mdlm, ar=a.ar, length=a.length, single=a.single, batch=a.batch,
               quality_samples=a.quality_samples, rows=[])
    # the machine's speed drifts over minutes (a shared host), so every row is compared with AR timed beside it:
    # the AR baseline's speed just before and just after the row, geometric mean
    ar_speed = lambda: measure(ar.model, ar.tokenizer, ROWS[0][1], a.length, a.single, a.batch, 0)[0]
    before = ar_speed()
    for name, opts in rows:
        ck = ar if name.startswith("AR") else mdlm
        t0 = time.perf_counter()
        speed, texts = measure(ck.model, ck.tokenizer, opts, a.length, a.single, a.batch, a.quality_samples)
        after = ar_speed()
        for b in ("batch1", "batch"):
            beside = math.sqrt(before[f"tokens_per_s_{b}"] * after[f"tokens_per_s_{b}"])
            speed.update({f"ar_tokens_per_s_{b}": beside, f"speed_vs_ar_{b}": speed[f"tokens_per_s_{b}"] / beside})
        before = after
        row = dict(sampler=name, options=opts, **speed, **quality(texts), seconds=time.perf_counter() - t0,
                   chars_per_token=sum(map(len, texts)) / (len(texts) * a.length))   # the two tokenizers differ
        out["rows"].append({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
        print(f"{name:50s} {speed['passes']:4d} passes  {speed['tokens_per_s_batch1']:7.0f} tok/s  "
              f"{speed['tokens_per_s_batch']:7.0f} tok/s (batch {a.batch})  gen-PPL {row['gen_ppl_ar']:6.1f} "
              f"KN {row['gen_ppl_kn']:6.1f}  H {row['entropy']:.2f}  book {row['book_words']:.2f}  "
              f"vs AR {row.get('speed_vs_ar_batch1', 1):.2f} / {row.get('speed_vs_ar_batch', 1):.2f}", file=sys.stderr)
    out["heldout"] = {k: round(v, 4) for k, v in quality.reference(texts).items()}
    out["machine"]["load_after"], out["seconds"] = os.getloadavg()[0], round(time.perf_counter() - t_all, 1)
    text = json.dumps(out, indent=1)
    if a.output: Path(a.output).write_text(text + "\n")
    if a.plot: _save_fig(plot_frontier(out), Path(a.plot))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
