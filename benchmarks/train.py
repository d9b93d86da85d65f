"""Training throughput here: tokens/s, step time and peak RSS per preset, objective, torch.compile and precision.

    python benchmarks/train.py                       # tiny and default, MDLM and AR, eager/compiled, fp32/bf16
    python benchmarks/train.py --presets tiny --steps 5
    python benchmarks/train.py --compare-gpt         # our Transformer vs a nanoGPT-shaped GPT, side by side (ratio)
    python benchmarks/train.py --compare-vocab 2048,2462 --steps 20   # what the tiny preset's vocabulary costs

Each configuration runs in its own process (so peak RSS is its own) on random full-length batches of the
preset's batch size; prints one JSON document."""
import argparse, importlib.util, json, os, resource, subprocess, sys, time


def optimizer_step(fwd, opt, x, m, objective: str, stage, tcfg, autocast, scaler, generator) -> None:
    "One training step as the trainer takes it: the loss under autocast, the scaled backward, the optimizer step."
    from tiny_diffusion.trainer import compute_loss
    with autocast: loss, _ = compute_loss(fwd, x, m, objective, stage, tcfg, generator)
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    opt.zero_grad(set_to_none=True)


def one(preset: str, objective: str, compile: bool, precision: str, steps: int, warmup: int, device: str) -> dict:
    "Time `steps` optimizer steps (after `warmup` untimed ones) of one configuration in this process."
    import torch
    from tiny_diffusion.config import preset as get_preset, get_device
    from tiny_diffusion.model import Transformer
    from tiny_diffusion.trainer import make_optimizer, precision_setup
    cfg = get_preset(preset)
    dev = get_device(device)
    torch.manual_seed(0)
    model = Transformer(cfg.model, causal=objective == "ar").to(dev)
    fwd = torch.compile(model) if compile else model
    opt = make_optimizer(model, cfg.training)
    autocast, scaler, prec = precision_setup(precision, dev)
    B, T = cfg.training.batch_size, cfg.model.max_seq_len
    x = torch.randint(6, cfg.model.vocab_size, (B, T), device=dev)
    m = torch.ones(B, T, dtype=torch.bool, device=dev)
    stage, times = cfg.curriculum.stages[0], []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        optimizer_step(fwd, opt, x, m, objective, stage, cfg.training, autocast, scaler,
                       torch.Generator(device=dev).manual_seed(i))
        if dev.type == "cuda": torch.cuda.synchronize()
        if i >= warmup: times.append(time.perf_counter() - t0)
    step = sum(times) / len(times)
    return dict(preset=preset, objective=objective, compile=compile, precision=prec, device=str(dev),
                batch=B, seq_len=T,
                parameters=sum(p.numel() for p in model.parameters()), step_s=round(step, 4),
                tokens_per_s=round(B * T / step, 1),
                peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                peak_cuda_mb=round(torch.cuda.max_memory_allocated() / 2**20, 1) if dev.type == "cuda" else None)


def reference_gpt(V: int, d: int, L: int, H: int, T: int):
    """A GPT of nanoGPT's shape, rebuilt for the comparison: learned positions, LayerNorm, GELU 4d MLP, tied head,
    no dropout."""
    import torch, torch.nn as nn, torch.nn.functional as F
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        def forward(self, x):
            B, T, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, H, d // H).permute(2, 0, 3, 1, 4)
            x = x + self.proj(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, d))
            return x + self.out(F.gelu(self.fc(self.ln2(x))))
    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(V, d), nn.Embedding(T, d)
            self.blocks, self.ln = nn.ModuleList(Block() for _ in range(L)), nn.LayerNorm(d)
        def forward(self, idx):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
            for b in self.blocks: x = b(x)
            return F.linear(self.ln(x), self.wte.weight)
    return GPT()


def compare_gpt(steps: int, warmup: int, batch: int = 32, seq_len: int = 128) -> dict:
    """Tokens/s of one fp32 training step: the tiny preset's Transformer (AR loss; MDLM loss) vs the reference GPT,
    interleaved."""
    import torch, torch.nn.functional as F
    from tiny_diffusion.config import ProjectConfig
    from tiny_diffusion.model import Transformer
    from tiny_diffusion.autoregressive import ar_loss
    from tiny_diffusion.mdlm import mdlm_loss
    mc = ProjectConfig.tiny().model
    torch.manual_seed(0)
    x = torch.randint(6, mc.vocab_size, (batch, seq_len))
    ours_ar, ours_md = Transformer(mc, causal=True), Transformer(mc)
    gpt = reference_gpt(mc.vocab_size, mc.d_model, mc.n_layers, mc.n_heads, seq_len)
    def gpt_loss(m, x):
        logits = m(x[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1)), {}
    g = torch.Generator().manual_seed(0)
    runs = {"reference_gpt": (gpt, gpt_loss), "ours_ar": (ours_ar, ar_loss),
            "ours_mdlm": (ours_md, lambda m, x: mdlm_loss(m, x, generator=g, exact=True))}
    opts = {k: torch.optim.AdamW(m.parameters(), lr=1e-4) for k, (m, _) in runs.items()}
    times = {k: [] for k in runs}
    for i in range(warmup + steps):
        for k, (m, loss_fn) in runs.items():                        # interleaved: all three see the same machine
            t0 = time.perf_counter()
            loss, _ = loss_fn(m, x)
            loss.backward()
            opts[k].step()
            opts[k].zero_grad(set_to_none=True)
            if i >= warmup: times[k].append(time.perf_counter() - t0)
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    tps = {k: round(batch * seq_len / v) for k, v in med.items()}
    return dict(shape=dict(layers=mc.n_layers, d_model=mc.d_model, heads=mc.n_heads, vocab=mc.vocab_size, batch=batch,
                           seq_len=seq_len, precision="fp32"), tokens_per_s=tps,
                parameters={k: sum(p.numel() for p in m.parameters()) for k, (m, _) in runs.items()},
                ratio_ar_vs_gpt=round(tps["ours_ar"] / tps["reference_gpt"], 3),
                ratio_mdlm_vs_gpt=round(tps["ours_mdlm"] / tps["reference_gpt"], 3), threads=torch.get_num_threads(),
                load=os.getloadavg()[0])


def compare_vocab(sizes: list[int], steps: int, warmup: int) -> dict:
    """Step time of the tiny preset's MDLM and AR at each vocabulary size in `sizes` (e.g. 2048 and 2462, the size
    the 4,096-token ceiling reaches on Frankenstein), interleaved step by step, in the precision `auto` picks here."""
    import torch
    from tiny_diffusion.config import ProjectConfig, get_device
    from tiny_diffusion.model import Transformer
    from tiny_diffusion.trainer import make_optimizer, precision_setup
    cfg, dev = ProjectConfig.tiny(), get_device("cpu")
    autocast, scaler, prec = precision_setup("auto", dev)
    B, T = cfg.training.batch_size, cfg.model.max_seq_len
    runs = {}
    for v in sizes:
        for objective in ("mdlm", "ar"):
            torch.manual_seed(0)
            model = Transformer(cfg.override(**{"model.vocab_size": v}).model, causal=objective == "ar")
            x = torch.randint(6, v, (B, T))
            runs[f"{objective}_v{v}"] = (model, make_optimizer(model, cfg.training), objective, x)
    mask, stage = torch.ones(B, T, dtype=torch.bool), cfg.curriculum.stages[-1]
    times = {k: [] for k in runs}
    for i in range(warmup + steps):
        for k, (model, opt, objective, x) in runs.items():         # interleaved: every size sees the same machine
            t0 = time.perf_counter()
            optimizer_step(model, opt, x, mask, objective, stage, cfg.training, autocast, scaler,
                           torch.Generator().manual_seed(i))
            if i >= warmup: times[k].append(time.perf_counter() - t0)
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    ratio = {o: round(med[f"{o}_v{sizes[-1]}"] / med[f"{o}_v{sizes[0]}"], 3) for o in ("mdlm", "ar")}
    return dict(sizes=sizes, precision=prec, batch=B, seq_len=T, threads=torch.get_num_threads(),
                median_step_s={k: round(v, 4) for k, v in med.items()},
                step_time_ratio_last_vs_first=ratio, load=os.getloadavg()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default="tiny,default")
    ap.add_argument("--objectives", default="mdlm,ar")
    ap.add_argument("--compile", default="false,true", help="eager and/or compiled: false,true")
    ap.add_argument("--precisions", default="fp32,bf16")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per configuration")
    ap.add_argument("--compare-gpt", action="store_true",
                    help="only the side-by-side comparison with a nanoGPT-shaped GPT")
    ap.add_argument("--compare-vocab", default="", metavar="V1,V2",
                    help="only the step time of the tiny preset at these vocabulary sizes, interleaved (ratio)")
    ap.add_argument("--one", nargs=4, metavar=("PRESET", "OBJECTIVE", "COMPILE", "PRECISION"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.compare_gpt:
        print(json.dumps(compare_gpt(max(a.steps, 10), max(a.warmup, 2)), indent=1))
        return
    if a.compare_vocab:
        sizes = [int(v) for v in a.compare_vocab.split(",")]
        print(json.dumps(compare_vocab(sizes, max(a.steps, 10), max(a.warmup, 2)), indent=1))
        return
    if a.one:
        p, o, c, pr = a.one
        print(json.dumps(one(p, o, c == "true", pr, a.steps, a.warmup, a.device)))
        return
    objectives = [o for o in a.objectives.split(",")
                  if o != "ar" or importlib.util.find_spec("tiny_diffusion.autoregressive") is not None]
    rows = []
    for p in a.presets.split(","):
        for o in objectives:
            for c in a.compile.split(","):
                for pr in a.precisions.split(","):
                    cmd = [sys.executable, __file__, "--one", p, o, c, pr, "--steps", str(a.steps),
                           "--warmup", str(a.warmup), "--device", a.device]
                    t0 = time.time()
                    try:
                        r = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
                        if r.returncode == 0: row = json.loads(r.stdout.strip().splitlines()[-1])
                        else: row = dict(preset=p, objective=o, compile=c == "true", precision=pr,
                                         error=r.stderr.strip().splitlines()[-1][:200])
                    except subprocess.TimeoutExpired:
                        row = dict(preset=p, objective=o, compile=c == "true", precision=pr,
                                   error=f"timeout {a.timeout}s")
                    row["wall_s"] = round(time.time() - t0, 1)
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
    import torch
    print(json.dumps(dict(torch=torch.__version__, threads=torch.get_num_threads(), results=rows,
                          skipped=sorted(set(a.objectives.split(",")) - set(objectives))), indent=1))


if __name__ == "__main__":
    main()
