"""Which training recipe gets the diffusion model past counting? One change at a time, measured.

    python benchmarks/recipe.py                                  # the ladder of changes, seed 0, 600 steps each
    python benchmarks/recipe.py --only packed,exact --seeds 0,1,2  # chosen rows on three seeds
    python benchmarks/recipe.py --steps 300 --book alice_in_wonderland
    python benchmarks/recipe.py --curriculum --warm-start --only curr_mix50,curr_ar_init200_shift --seeds 0,1,2

Results of the last full measurement are kept in benchmarks/recipe_results.json (one JSON row per run).

Every row trains the `tiny` preset's Transformer (4 layers × 128, vocabulary from the book's BPE) from the same
initialisation for the same number of optimizer steps on the same prepared book (curriculum.prepare, so the
tokenizer and the validation and test chapters are the package's), then scores every window of one split with
autoregressive.score_split in fp32 (MDLM: unbiased NELBO bound ± standard error; AR: exact) beside the add-one
unigram baseline of the same text. The split is `--split validation` by default: a ladder of recipes is a tuning
decision, and the test chapters are kept for the numbers reported (`--split test` for the chosen rows). Rows are
cumulative: each adds one change to the row before it (`ROWS` below), so the JSON reads as a ladder. A fixed number
of steps (not minutes) keeps rows comparable on a busy machine; minutes, tokens/s and `uptime` are recorded too.
Prints one JSON document; rows also stream to stderr as they finish."""
import argparse, dataclasses, json, math, os, subprocess, sys, time

# Each row: (name, what changes relative to the row before it). Keys are Recipe fields.
ROWS = [
    ("old", {}),                                                     # today's main job: padded paragraphs, 1e-3
    ("packed", {"packing": True}),                                   # full 128-token windows, no padding
    ("lr3e-3", {"lr": 3e-3}),                                        # higher peak learning rate
    ("exact", {"exact": True}),                                      # exactly-k masking, n/k weights
    ("alibi", {"alibi": True}),                                      # a locality prior in attention (ALiBi)
    ("warmup50", {"warmup": 50}),                                    # a longer warmup
    ("no_wd", {"weight_decay": 0.0}),                                # no weight decay
    ("ar", {"objective": "ar"}),                                     # the AR baseline, same budget (no_wd recipe)
]
CURRICULUM_ROWS = [                                                  # on the row named by --curriculum-base
    ("curr_bands", {"curriculum": True, "full_share": (0.0, 0.0)}),  # the seeds: each stage only its band
    ("curr_mix0", {"curriculum": True, "full_share": (0.0, 1.0)}),   # full-range share 0 → 1 over the run
    ("curr_mix50", {"curriculum": True, "full_share": (0.5, 1.0)}),  # full-range share 0.5 → 1
]
# AR warm starts (Gong et al. 2024), on --curriculum-base
WARM_ROWS = [
    ("ar_init200", {"ar_init": 200}),                                # 200 AR steps of the budget, then flat MDLM
    ("ar_init200_shift", {"ar_init": 200, "logit_shift": True}),     # ... reading token i's logits at i-1, as AR does
    ("ar_init300_shift", {"ar_init": 300, "logit_shift": True}),     # a longer warm start
    ("curr_ar_init200_shift", {"ar_init": 200, "logit_shift": True,  # the tiny preset: warm start, then the curriculum
                               "curriculum": True, "full_share": (0.5, 1.0)}),
]


@dataclasses.dataclass
class Recipe:
    objective: str = "mdlm"
    packing: bool = False
    lr: float = 1e-3
    warmup: int = 20
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    batch_size: int = 32
    exact: bool = False
    alibi: bool = False
    curriculum: bool = False
    full_share: tuple = (1.0, 1.0)                                   # flat: every row draws from (0, 1]
    ar_init: int = 0                                                 # budget steps trained as AR first (0 = none)
    logit_shift: bool = False                                        # MDLM reads token i's logits at position i-1


def windows_of(texts, tok, L, packing):
    """Training rows [N, L] and pad masks, framed exactly as the trainer frames them (packed windows, or one padded row
    per text)."""
    from tiny_diffusion.mdlm import collate, stage_sequences
    return collate(stage_sequences(texts, tok, L, packing))


def optimizer(model, recipe: Recipe, steps: int):
    """The trainer's AdamW (decay on matrices, not on norms and embeddings) and warmup + cosine over `steps`, with the
    recipe's numbers."""
    import functools, types, torch
    from tiny_diffusion.trainer import lr_factor, make_optimizer
    opt = make_optimizer(model, types.SimpleNamespace(learning_rate=recipe.lr, weight_decay=recipe.weight_decay,
                                                      betas=(0.9, 0.95)))
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, functools.partial(lr_factor, warmup=recipe.warmup, total=steps,
                                                                         min_ratio=recipe.min_lr_ratio))


def run(recipe: Recipe, data, steps: int, seed: int, L: int, eval_n_t: int, split: str = "validation") -> dict:
    "Train one recipe for `steps` optimizer steps and score it; returns a JSON-ready row."
    import torch
    from tiny_diffusion.autoregressive import ar_loss, score_split
    from tiny_diffusion.config import ProjectConfig
    from tiny_diffusion.mdlm import chunk_for_scoring, loss_by_mask_level, mdlm_loss
    from tiny_diffusion.model import Transformer, choose_precision
    # (their stage epochs set the split)
    cfg = ProjectConfig.tiny() if recipe.ar_init else ProjectConfig.tiny_scratch()
    cfg.model.vocab_size = len(data.tokenizer)
    cfg.model.attention_bias = "alibi" if recipe.alibi else "none"
    cfg.model.logit_shift = recipe.logit_shift
    prec = choose_precision("auto", "cpu")
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=prec == "bf16")
    stages = data.stages if recipe.curriculum else [data.stages[-1]]
    bands = [tuple(s.mask_range) for s in cfg.curriculum.stages] if recipe.curriculum else [(0.0, 1.0)]
    sets = [windows_of(t, data.tokenizer, L, recipe.packing) for t in stages]
    warm = recipe.ar_init if recipe.objective == "mdlm" else 0
    # steps per stage in proportion to the preset's epochs × the stage's batches per epoch (after any AR warm start)
    weight = [e * math.ceil(len(x) / recipe.batch_size) for e, (x, _) in
              zip([s.epochs for s in cfg.curriculum.stages] if recipe.curriculum else [1], sets)]
    n_mdlm = steps - warm
    per_stage = [round(n_mdlm * w / sum(weight)) for w in weight]
    per_stage[-1] = n_mdlm - sum(per_stage[:-1])
    torch.manual_seed(seed)
    model = Transformer(cfg.model, causal=recipe.objective == "ar" or warm > 0)
    g = torch.Generator().manual_seed(seed)
    step, t0, losses = 0, time.time(), []
    phases = [(recipe.objective, sets, per_stage, bands)]
    if warm:
        ar_windows = windows_of(data.stages[-1], data.tokenizer, L, recipe.packing)
        phases.insert(0, ("ar", [ar_windows], [warm], [(0.0, 1.0)]))
    # an AR warm start (if any), then the recipe's objective
    for objective, phase_sets, phase_steps, phase_bands in phases:
        model.causal = objective == "ar"                           # the same weights; attention bidirectional for MDLM
        opt, sched = optimizer(model, recipe, sum(phase_steps))    # each phase its own AdamW, warmup and cosine
        done = 0
        for k, ((x, m), n_k) in enumerate(zip(phase_sets, phase_steps)):
            order = torch.randperm(len(x), generator=g)
            for i in range(n_k):
                j = (i * recipe.batch_size) % len(x)
                if j + recipe.batch_size > len(x):                   # a new epoch
                    order = torch.randperm(len(x), generator=g)
                    j = 0
                b = order[j:j + recipe.batch_size]
                s0, s1 = recipe.full_share
                share = s0 + (s1 - s0) * done / max(1, sum(phase_steps) - 1)
                with autocast:
                    loss, _ = ar_loss(model, x[b], m[b]) if objective == "ar" else \
                        mdlm_loss(model, x[b], m[b], mask_range=phase_bands[k], generator=g, full_share=share,
                                  exact=recipe.exact)
                loss.backward()
                if recipe.grad_clip: torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
                opt.step()
                sched.step()
                opt.zero_grad(set_to_none=True)
                losses.append(loss.item())
                step += 1
                done += 1
    train_s = time.time() - t0
    score = score_split(model, data, split, recipe.objective, n_t=eval_n_t, seed=seed)   # every window, fp32
    held = chunk_for_scoring(data.tokenizer, getattr(data, split), L)
    levels = (loss_by_mask_level(model, held.tokens, held.pad_mask, levels=(0.1, 0.5, 1.0))
              if recipe.objective == "mdlm" else {})
    n_tok = steps * recipe.batch_size * L
    return dict(recipe=dataclasses.asdict(recipe), seed=seed, steps=step, stage_steps=per_stage, precision=prec,
                split=split, bpc=round(score["bpc"], 4), bpc_se=round(score["bpc_se"], 4), exact=score["exact"],
                loss_at={str(k): round(v, 3) for k, v in levels.items()},
                final_train_loss=round(sum(losses[-20:]) / len(losses[-20:]), 4),
                train_minutes=round(train_s / 60, 2), tokens_per_s=round(n_tok / train_s), load=os.getloadavg()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--book", default="frankenstein", help="catalogue name or path (prepared with the tiny preset)")
    ap.add_argument("--data", default="runs/recipe", help="folder for the prepared data (cached)")
    ap.add_argument("--steps", type=int, default=600, help="optimizer steps per row")
    ap.add_argument("--seeds", default="0", help="comma-separated seeds; each row runs once per seed")
    ap.add_argument("--only", default="", help="comma-separated row names to run (their cumulative recipes)")
    ap.add_argument("--curriculum", action="store_true", help="also run the curriculum rows")
    ap.add_argument("--warm-start", action="store_true", help="also run the AR warm-start rows")
    ap.add_argument("--curriculum-base", default="alibi",
                    help="the flat row whose recipe the curriculum rows start from")
    ap.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE",
                    help="override the base recipe, e.g. lr=2e-3")
    ap.add_argument("--eval-n-t", type=int, default=8, help="NELBO repeats per scored window")
    ap.add_argument("--split", choices=("validation", "test"), default="validation",
                    help="the chapters scored: validation (default; for choosing) or test (for reporting a chosen row)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    a = ap.parse_args()
    import torch
    from tiny_diffusion.config import ProjectConfig, parse_value
    from tiny_diffusion.curriculum import prepare
    from tiny_diffusion.autoregressive import unigram_bpc
    from tiny_diffusion.text import resolve_book
    if a.threads: torch.set_num_threads(a.threads)
    data = prepare(resolve_book(a.book), a.data, ProjectConfig.tiny_scratch())     # the 2,048 tokens it ran in
    L = ProjectConfig.tiny().model.max_seq_len
    base, ladder = Recipe(), []
    for k, v in (kv.split("=", 1) for kv in a.set): setattr(base, k, parse_value(v))
    r = base
    for name, change in ROWS + (CURRICULUM_ROWS if a.curriculum else []) + (WARM_ROWS if a.warm_start else []):
        if name.startswith(("curr_", "ar_init")): rr = dataclasses.replace(dict(ladder)[a.curriculum_base], **change)
        else:
            rr = dataclasses.replace(r, **change)
            if change.get("objective") != "ar": r = rr
        ladder.append((name, rr))
    wanted = set(filter(None, a.only.split(",")))
    rows = []
    uni = unigram_bpc(data.tokenizer, data.stages[-1], getattr(data, a.split))
    for name, rec in ladder:
        if wanted and name not in wanted: continue
        for seed in map(int, a.seeds.split(",")):
            row = dict(change=name, **run(rec, data, a.steps, seed, L, a.eval_n_t, a.split), unigram_bpc=round(uni, 4),
                       uptime=subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    print(json.dumps(dict(book=a.book, steps=a.steps, torch=torch.__version__, threads=torch.get_num_threads(),
                          unigram_bpc=round(uni, 4), rows=rows), indent=1))


if __name__ == "__main__":
    main()
