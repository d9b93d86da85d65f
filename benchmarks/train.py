"""Training throughput on this machine: tokens/s, step time and peak RSS per preset, objective, torch.compile and precision.

    python benchmarks/train.py                       # tiny and default, MDLM and AR, eager/compiled, fp32/bf16
    python benchmarks/train.py --presets tiny --steps 5

Each configuration runs in its own process (so peak RSS is its own) on random full-length batches of the
preset's batch size; prints one JSON document."""
import argparse, importlib.util, json, resource, subprocess, sys, time


def one(preset: str, objective: str, compile: bool, precision: str, steps: int, warmup: int, device: str) -> dict:
    "Time `steps` optimizer steps (after `warmup` untimed ones) of one configuration in this process."
    import torch
    from tiny_diffusion.config import preset as get_preset, get_device
    from tiny_diffusion.model import Transformer
    from tiny_diffusion.trainer import compute_loss, make_optimizer, precision_setup
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
        with autocast: loss, _ = compute_loss(fwd, x, m, objective, stage, cfg.training, torch.Generator(device=dev).manual_seed(i))
        scaler.scale(loss).backward(); scaler.step(opt); scaler.update(); opt.zero_grad(set_to_none=True)
        if dev.type == "cuda": torch.cuda.synchronize()
        if i >= warmup: times.append(time.perf_counter() - t0)
    step = sum(times) / len(times)
    return dict(preset=preset, objective=objective, compile=compile, precision=prec, device=str(dev), batch=B, seq_len=T,
                parameters=sum(p.numel() for p in model.parameters()), step_s=round(step, 4),
                tokens_per_s=round(B * T / step, 1),
                peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                peak_cuda_mb=round(torch.cuda.max_memory_allocated() / 2**20, 1) if dev.type == "cuda" else None)


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
    ap.add_argument("--one", nargs=4, metavar=("PRESET", "OBJECTIVE", "COMPILE", "PRECISION"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        p, o, c, pr = a.one
        print(json.dumps(one(p, o, c == "true", pr, a.steps, a.warmup, a.device))); return
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
                        row = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else \
                            dict(preset=p, objective=o, compile=c == "true", precision=pr, error=r.stderr.strip().splitlines()[-1][:200])
                    except subprocess.TimeoutExpired:
                        row = dict(preset=p, objective=o, compile=c == "true", precision=pr, error=f"timeout {a.timeout}s")
                    row["wall_s"] = round(time.time() - t0, 1)
                    rows.append(row); print(json.dumps(row), file=sys.stderr, flush=True)
    import torch
    print(json.dumps(dict(torch=torch.__version__, threads=torch.get_num_threads(), results=rows,
                          skipped=sorted(set(a.objectives.split(",")) - set(objectives))), indent=1))


if __name__ == "__main__":
    main()
