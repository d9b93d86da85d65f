"""Benchmark `prepare` on a whole book or corpus: prints JSON with cold and cached seconds, sizes, per-step times
and peak memory.

Usage: python benchmarks/prepare.py [BOOK] [--preset default] [--text-field text]
       (BOOK: a path, a corpus folder / .jsonl / .parquet, or a catalogue name; default frankenstein)
Target on 2 CPU cores: Frankenstein cold <= 60 s, cached <= 2 s.
"""
import argparse, json, os, resource, tempfile, time, warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("book", nargs="?", default="frankenstein")
    ap.add_argument("--preset", default="default")
    ap.add_argument("--text-field", default="text", help="the text field of a .jsonl / .parquet corpus")
    args = ap.parse_args()
    from tiny_diffusion.config import preset
    from tiny_diffusion.curriculum import prepare
    cfg = preset(args.preset)
    with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        cold = prepare(args.book, out, cfg, quiet=True, text_field=args.text_field)
        cold_s = time.perf_counter() - t
        t = time.perf_counter()
        hot = prepare(args.book, out, cfg, quiet=True, text_field=args.text_field)
        hot_s = time.perf_counter() - t
    st = cold.statistics
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps(dict(book=args.book, preset=args.preset, cold_s=round(cold_s, 2), cached_s=round(hot_s, 3),
                          cache_hit=hot.statistics.get("cached", False), documents=st["book"]["documents"],
                          chars=st["book"]["chars"], sentences=st["counts"]["train_sentences"],
                          tokens=st["counts"]["train_tokens"], validation_tokens=st["counts"]["validation_tokens"],
                          test_tokens=st["counts"]["test_tokens"],
                          vocab=st["vocab_size"], segments=[s["n_segments"] for s in st["stages"]],
                          marked_share=next((s["marked_share"] for s in st["stages"] if "marked_share" in s), None),
                          embedding=st["embedding"], fallbacks=st["fallbacks"], steps=st["timings"],
                          peak_rss_mb=round(peak_mb), cpus=os.cpu_count()),
                     indent=1))


if __name__ == "__main__":
    main()
