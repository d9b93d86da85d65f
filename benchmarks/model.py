#!/usr/bin/env python
"""Training speed and memory of the Transformer: forward+backward tokens/s and peak memory, as JSON.

    python benchmarks/model.py              # tiny and default, T=128/512, both attention kinds, fp32/bf16
    python benchmarks/model.py --presets tiny --seq-lens 128 --batch 8 --repeat 5
    python benchmarks/model.py --presets tiny --seq-lens 128 --batch 32 --precisions fp32,bf16,bf16-sdpa --repeat 9

Each case builds the preset's model (max_seq_len raised to the sequence length), runs `--warmup` untimed
forward+backward passes of a cross-entropy loss on random tokens, then times `--repeat` more and reports
the median. Peak memory is measured with the torch profiler (`profile_memory=True`): the largest total of
live CPU tensor allocations during one forward+backward pass, weights and gradients included. On CUDA it is
torch.cuda.max_memory_allocated. bf16 means `torch.autocast(device, dtype=torch.bfloat16)`, with attention in the
precision `model.attend` chooses (on a CPU: fp32 unless its probe finds bf16 attention more than 1.2× faster);
bf16-sdpa is the same autocast with attention forced to bf16, to measure what that choice is worth side by side.
"""
from __future__ import annotations
import argparse, json, os, platform, statistics, time

import torch
import torch.nn.functional as F

import tiny_diffusion.model as model_module
from tiny_diffusion.config import count_parameters, get_device, preset
from tiny_diffusion.model import Transformer, cpu_bf16_attention_speedup


def step(model, x, precision: str, device) -> None:
    "One forward+backward pass of next-token-style cross-entropy (the loss kind does not change the cost)."
    pays = model_module.cpu_bf16_attention_pays
    if precision == "bf16-sdpa": model_module.cpu_bf16_attention_pays = lambda: True   # attend keeps bf16
    try:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision.startswith("bf16")):
            logits = model(x)
    finally:
        model_module.cpu_bf16_attention_pays = pays
    F.cross_entropy(logits.float().flatten(0, 1), x.flatten()).backward()
    model.zero_grad(set_to_none=True)


def peak_bytes(model, x, precision: str, device) -> int:
    "Peak live tensor memory in bytes during one step (profiler on CPU, allocator statistics on CUDA)."
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        step(model, x, precision, device)
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device)
    from torch.profiler import ProfilerActivity, profile
    base = sum(p.numel() * p.element_size() for p in model.parameters())
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step(model, x, precision, device)
    live, peak = 0, 0
    # self memory: a parent op's total already includes its children's allocations
    events = sorted((e for e in prof.events() if e.self_cpu_memory_usage), key=lambda e: e.time_range.start)
    for e in events:  # allocations (+) and frees (-) in time order
        live += e.self_cpu_memory_usage
        peak = max(peak, live)
    return base + peak


def bench(name: str, seq_len: int, causal: bool, precision: str, batch: int, warmup: int, repeat: int, device) -> dict:
    cfg = preset(name).model
    cfg.max_seq_len, cfg.dropout = max(cfg.max_seq_len, seq_len), 0.0
    torch.manual_seed(0)
    model = Transformer(cfg, causal=causal).to(device).train()
    x = torch.randint(6, cfg.vocab_size, (batch, seq_len), device=device)
    for _ in range(warmup): step(model, x, precision, device)
    times = []
    for _ in range(repeat):
        if device.type == "cuda": torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        step(model, x, precision, device)
        if device.type == "cuda": torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    sec = statistics.median(times)
    return dict(preset=name, params=count_parameters(cfg), seq_len=seq_len, batch=batch,
                attention="causal" if causal else "bidirectional", precision=precision,
                seconds_per_step=round(sec, 4), tokens_per_s=round(batch * seq_len / sec, 1),
                peak_memory_mb=round(peak_bytes(model, x, precision, device) / 2**20, 1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default="tiny,default")
    ap.add_argument("--seq-lens", default="128,512")
    ap.add_argument("--precisions", default="fp32,bf16")
    ap.add_argument("--batch", type=int, default=4, help="sequences per step")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    a = ap.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    device = get_device(a.device)
    rows = [bench(p, int(t), causal, prec, a.batch, a.warmup, a.repeat, device)
            for p in a.presets.split(",") for t in a.seq_lens.split(",") for causal in (False, True)
            for prec in a.precisions.split(",")]
    print(json.dumps(dict(device=str(device), torch=torch.__version__, threads=torch.get_num_threads(),
                          cpu=platform.processor() or platform.machine(), load=os.getloadavg(),
                          attention_bf16_speedup=round(cpu_bf16_attention_speedup(), 2) if device.type == "cpu"
                          else None,
                          memory="torch profiler: peak live tensor bytes in one step, weights+grads included"
                          if device.type == "cpu" else "torch.cuda.max_memory_allocated",
                          results=rows), indent=1))


if __name__ == "__main__":
    main()
