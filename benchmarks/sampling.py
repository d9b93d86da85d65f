#!/usr/bin/env python
"""Sampling speed: tokens/s of the diffusion samplers and of the autoregressive baseline (KV cache), as JSON.

    python benchmarks/sampling.py                    # tiny and default presets, 256 tokens, 16/64/256 steps
    python benchmarks/sampling.py --presets tiny --steps 16,64 --repeat 3

Weights are untrained (speed does not depend on them). Each model gets a context long enough for the whole
sample to be one block, so every strategy does exactly `steps` forward passes over the same sequence; the AR
baseline generates the same number of tokens one at a time with its KV cache. Times are the best of --repeat runs.
"""
from __future__ import annotations
import argparse, json, platform, sys, time

import torch

from tiny_diffusion.config import ProjectConfig, count_parameters, get_device, preset
from tiny_diffusion.model import Transformer
from tiny_diffusion.sampling import STRATEGIES, generate
from tiny_diffusion.text import corpus_path, load_book
from tiny_diffusion.tokenizer import train_tokenizer


def best_seconds(fn, repeat: int) -> float:
    "Fastest wall time of `repeat` calls of `fn` (which returns a Generation)."
    return min(fn().seconds for _ in range(repeat))


def bench_preset(name: str, tok_cache: dict, length: int, steps_list: list[int], repeat: int, device) -> dict:
    "Tokens/s of every sampler for one preset's model shape."
    cfg = preset(name)
    vocab = cfg.data.vocab_size
    if vocab not in tok_cache:
        tok_cache[vocab] = train_tokenizer(load_book(corpus_path("frankenstein")).paragraphs, vocab_size=vocab)
    tok = tok_cache[vocab]
    mcfg = cfg.model
    mcfg.vocab_size, mcfg.dropout, mcfg.max_seq_len = len(tok), 0.0, max(mcfg.max_seq_len, length + 1)
    torch.manual_seed(0)
    mdlm = Transformer(mcfg).to(device).eval()
    ar = Transformer(mcfg, causal=True).to(device).eval()
    common = dict(length=length, seed=0, stop_at_eos=False, top_p=0.9)
    rate = lambda sec: round(length / sec, 1)
    out = {"parameters": count_parameters(mcfg), "d_model": mcfg.d_model, "n_layers": mcfg.n_layers,
           "vocab_size": mcfg.vocab_size, "context": mcfg.max_seq_len, "tokens": length,
           "diffusion_tokens_per_s": {}, "ancestral_uncached_tokens_per_s": {}, "ancestral_nfe": {}}
    generate(mdlm, tok, **dict(common, length=16), steps=4)                     # warm-up
    for steps in steps_list:
        for strategy in STRATEGIES:
            sec = best_seconds(lambda: generate(mdlm, tok, steps=steps, strategy=strategy, **common), repeat)
            out["diffusion_tokens_per_s"].setdefault(strategy + (" (cached)" if strategy == "ancestral" else ""),
                                                     {})[steps] = rate(sec)
        g = generate(mdlm, tok, steps=steps, strategy="ancestral", cache=False, **common)
        sec = min([g.seconds] + [generate(mdlm, tok, steps=steps, strategy="ancestral", cache=False, **common).seconds
                                 for _ in range(repeat - 1)])
        out["ancestral_uncached_tokens_per_s"][steps] = rate(sec)
        out["ancestral_nfe"][steps] = {"cached": generate(mdlm, tok, steps=steps, strategy="ancestral", **common).nfe,
                                       "uncached": g.nfe}
    ref = 64 if 64 in steps_list else steps_list[0]
    out[f"diffusion_bf16_tokens_per_s_{ref}_steps"] = rate(best_seconds(
        lambda: generate(mdlm, tok, steps=ref, precision="bf16", **common), repeat))
    generate(ar, tok, **dict(common, length=16))                                # warm-up
    out["ar_kv_cache_tokens_per_s"] = rate(best_seconds(lambda: generate(ar, tok, **common), repeat))
    out["ar_kv_cache_bf16_tokens_per_s"] = rate(best_seconds(lambda: generate(ar, tok, precision="bf16", **common), repeat))
    best = max(v[ref] for v in out["diffusion_tokens_per_s"].values())
    out[f"diffusion_faster_than_ar_at_{ref}_steps"] = best > out["ar_kv_cache_tokens_per_s"]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--presets", default="tiny,default", help="comma-separated preset names")
    p.add_argument("--steps", default="16,64,256", help="comma-separated step counts")
    p.add_argument("--length", type=int, default=256, help="tokens per sample")
    p.add_argument("--repeat", type=int, default=2, help="runs per figure; the fastest counts")
    p.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    a = p.parse_args(argv)
    device = get_device(a.device)
    steps_list = [int(s) for s in a.steps.split(",")]
    result = {"device": str(device), "threads": torch.get_num_threads(), "torch": torch.__version__,
              "python": platform.python_version(), "unit": "generated tokens per second (higher is better)",
              "presets": {}}
    tok_cache: dict = {}
    for name in a.presets.split(","):
        t0 = time.perf_counter()
        result["presets"][name] = bench_preset(name, tok_cache, a.length, steps_list, a.repeat, device)
        result["presets"][name]["benchmark_seconds"] = round(time.perf_counter() - t0, 1)
    json.dump(result, sys.stdout, indent=2); print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
