"""Run the lessons as tests and keep their stored outputs current. Not shipped in the package.

A lesson is read on the docs site and in JupyterLab without being run, so every cell that shows something keeps
its output in the notebook, and that output must be what the cell prints today. This script runs each notebook
exactly as `nbdev_test` does (from nbs/, cells flagged with the project's test flags such as `#| slow` skipped,
`#| eval: false` skipped) and then, per code cell:

- **blank**: the cell shows something now, but the notebook stores no output for it;
- **stale**: the stored output differs from what the cell shows now.

Texts are compared after normalising what legitimately differs between machines (paths of the checkout and of
temporary folders, memory addresses, progress bars, durations such as "12.3 s" and rates such as "4,800 tokens/s",
and the values of keys named like `seconds` or `train_s`): the words must match exactly and every number within 1 %
(or 0.011 absolute, a rounding step of two decimals). A cell whose other numbers legitimately vary from run to run
(a measured speed-up, a memory peak) says so with a comment line `# output varies: <why>`; its text is compared
without its numbers. A cell whose words depend on the CPU's floating-point kernels (text sampled from a model trained
in the lesson: a near-tie between two tokens can fall either way on another vendor's CPU) says
`# output varies with the CPU: <why>`; only whether it still shows text is compared, and its own asserts check the
rest.
Runs of spaces count as one (a table's columns shift when a number's width changes, as 0.000 to -0.000).
Images are compared by count, so after changing a plot, `update --images` stores it anew.
Cells that were skipped (slow) keep their stored outputs.

    python nbs/_outputs.py check [NB ...] [--n_workers 2]   # the test command: fails on errors, blank or stale
    python nbs/_outputs.py update NB [NB ...] [--slow]      # run and store missing or stale outputs (--slow: slow too)
    python nbs/_outputs.py update NB --images               # ... and every figure, current or not
    python nbs/_outputs.py count [NB ...]                   # static count of cells without stored output

Run it with one thread per process (`OMP_NUM_THREADS=1`): two notebooks on two cores, not two threads each.
"""
from __future__ import annotations
import argparse, contextlib, json, math, multiprocessing, os, re, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor
from unittest import mock
from pathlib import Path

NBS = Path(__file__).resolve().parent
REPO = NBS.parent
VARIES = re.compile(r"^\s*#\s*output varies\b", re.M)
CPU_VARIES = re.compile(r"^\s*#\s*output varies with the CPU\b", re.M)
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# durations and rates: how long something took is the machine's and its load's, never the lesson's
DURATION = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s?(?:ms|s|sec|seconds|min|minutes)\b(?!/)")
RATE = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s?k?\s?(?:tokens|tok|chars|samples|steps|it)/s\b")
TIMED_KEY = re.compile(r"""(["']?\w*(?:seconds|_s|_per_s|minutes)["']?\s*[:=]\s*)[-+]?\d[\d.e+-]*""")
REL_TOL, ABS_TOL = 0.01, 0.011


def notebooks(paths: list[str]) -> list[Path]:
    "The notebooks named, or every lesson in nbs/ (files starting with '_' are helpers, not lessons)."
    if paths:
        return [Path(p).resolve() for p in paths]
    return sorted(p for p in NBS.glob("*.ipynb") if not p.name.startswith("_"))


def _skip_flags() -> set[str]:
    from nbdev.config import get_config
    return set(str(get_config().get("tst_flags", "")).split())


def execute(path: Path, run_slow: bool = False):
    "Run one notebook as nbdev_test does; return (ok, error text, {cell index: fresh outputs} of the cells run)."
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from nbdev.process import NBProcessor
    from nbdev.frontmatter import FrontmatterProc
    os.environ["IN_TEST"] = "1"
    flags = set() if run_slow else _skip_flags()
    nb = NBProcessor(path, procs=FrontmatterProc, process=True).nb
    ran = []

    def no_eval(cell) -> bool:
        if cell.cell_type != "code" or "nbdev_export" + "(" in cell.source:
            return True
        directives = getattr(cell, "directives_", {}) or {}
        if directives.get("eval:", [""])[0].lower() == "false" or flags & directives.keys():
            return True
        cell.outputs = []           # CaptureShell would keep the stored outputs of a cell that shows nothing now
        ran.append(cell)
        return False

    shell = CaptureShell(path)
    with _own_tempdir():
        try:
            with working_directory(path.parent):
                shell.run_all(nb, exc_stop=True, preproc=no_eval)
            ok, error = True, ""
        except Exception:
            ok, error = False, shell.prettytb(fname=path)
    return ok, error, {cell.idx_: _plain(cell.get("outputs", [])) for cell in ran}


@contextlib.contextmanager
def _own_tempdir():
    "Point temporary files (the notebook's and its subprocesses') at a folder removed afterwards: no gigabytes left."
    with tempfile.TemporaryDirectory(prefix="tiny_diffusion_check_", ignore_cleanup_errors=True) as own, \
         mock.patch.dict(os.environ, TMPDIR=own), mock.patch.object(tempfile, "tempdir", own):
        yield own


# ---- what a cell shows, normalised ---------------------------------------------------------------------------

def _text(x) -> str:
    return "".join(x) if isinstance(x, list) else str(x)


def _is_progress(line: str) -> bool:
    "Progress: tqdm bars redrawn in place and heartbeat lines; their numbers, widths and count vary with the load."
    if "\r" in line or re.search(r"\d+%\|", line) or re.search(r"\d+(?:\.\d+)?(?:it|s)/(?:s|it)\b", line):
        return True
    return bool(re.search(r": \d+ s so far$", line))     # heartbeat of a long step: how many depends on the load


def _normalise(text: str) -> str:
    text = ANSI.sub("", text).replace(str(REPO), "<repo>").replace(str(Path.home()), "~")
    text = re.sub(r"/tmp/[^\s'\"),\]]+", "<tmp>", text)
    text = re.sub(r"[^\s'\"(]*/site-packages/", "<site-packages>/", text)   # wherever the environment lives
    text = re.sub(r"[^\s'\"(]*/shared/corpora/", "<corpora>/", text)       # wherever the books are kept
    text = re.sub(r"0x[0-9a-fA-F]{6,}", "0x?", text)
    text = TIMED_KEY.sub(r"\1<t>", RATE.sub("<rate>", DURATION.sub("<duration>", text)))
    text = re.sub(r"\d+(?:\.\d+)?% of (?:the )?(?:training )?time", "<share> of time", text)
    text = re.sub(r'"model_id": "[0-9a-f]+"', '"model_id": "?"', text)
    lines = [ln.rstrip() for ln in text.split("\n") if not _is_progress(ln)]
    return "\n".join(lines).strip()


def shown(outputs: list) -> dict:
    "What a cell shows: its text (stdout, results, displays), its stderr, and how many images."
    text, err, images = [], [], 0
    for o in outputs or []:
        kind = o.get("output_type")
        if kind == "stream":
            (err if o.get("name") == "stderr" else text).append(_text(o.get("text", "")))
        elif kind in ("execute_result", "display_data"):
            data = o.get("data", {})
            n_images = sum(k.startswith("image/") for k in data)
            images += n_images
            for k in ("text/markdown", "text/html", "text/plain") if not n_images else ():  # a figure's repr: skip
                if k in data:
                    text.append(_text(data[k]))
                    break
        elif kind == "error":
            text.append(f"{o.get('ename')}: {o.get('evalue')}")
    return dict(text=_normalise("".join(text)), err=_normalise("".join(err)), images=images)


def _numbers_match(a: str, b: str) -> bool:
    for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
        fx, fy = float(x.replace(",", "")), float(y.replace(",", ""))
        if not (math.isclose(fx, fy, rel_tol=REL_TOL, abs_tol=ABS_TOL) or math.isnan(fx) and math.isnan(fy)):
            return False
    return True


def _words(s: str) -> str:
    "The text without its numbers, runs of spaces as one."
    return re.sub(r" +", " ", NUMBER.sub("#", s))


def same(stored: dict, now: dict, varies: bool, cpu_varies: bool = False) -> bool:
    "Whether a stored output still says what the cell shows now (see the module docstring for the rules)."
    if stored["images"] != now["images"]:
        return False
    for key in ("text", "err"):
        a, b = stored[key], now[key]
        if cpu_varies:
            if bool(a) != bool(b):
                return False
            continue
        if _words(a) != _words(b):
            return False
        if key == "text" and not varies and not _numbers_match(a, b):
            return False
    return True


def _empty(s: dict) -> bool:
    return not (s["text"] or s["err"] or s["images"])


# ---- check and update ------------------------------------------------------------------------------------------

def compare(path: Path) -> dict:
    "Run one notebook and compare every cell it ran with what the notebook stores."
    raw = json.loads(path.read_text(encoding="utf-8"))
    t0 = time.time()
    ok, error, fresh = execute(path)
    report = dict(notebook=path.name, ok=ok, error=error, shows=0, blank=[], stale=[], seconds=time.time() - t0)
    for idx, outputs in fresh.items():
        cell = raw["cells"][idx]
        now = shown(outputs)
        stored = shown(cell.get("outputs", []))
        if _empty(now) and _empty(stored):
            continue
        report["shows"] += 1
        src = _text(cell["source"])
        head = next((ln for ln in src.splitlines() if ln.strip() and not ln.startswith("#|")), "")
        where = f"cell {idx} ({head[:60]!r})"
        if _empty(stored):
            report["blank"].append(where)
        elif not same(stored, now, bool(VARIES.search(src)), bool(CPU_VARIES.search(src))):
            report["stale"].append(where + _diff(stored, now))
    return report


def _diff(stored: dict, now: dict) -> str:
    for key in ("text", "err"):
        a, b = stored[key].splitlines(), now[key].splitlines()
        for i, (x, y) in enumerate(zip(a + ["<end>"] * len(b), b + ["<end>"] * len(a))):
            if x != y and (NUMBER.sub("#", x) != NUMBER.sub("#", y) or not _numbers_match(x, y)):
                return f"\n      {key} line {i + 1}: stored {x[:100]!r}\n      {' ' * len(key)} now    {y[:100]!r}"
    return f"\n      images: stored {stored['images']}, now {now['images']}"


def _plain(outputs: list) -> list:
    "Outputs as nbformat JSON (execnb returns dict-like objects)."
    return json.loads(json.dumps(outputs, default=dict))


def update(path: Path, run_slow: bool, images: bool = False) -> str:
    "Run one notebook and store the outputs that are missing or stale; refuse if the file changed meanwhile."
    before = path.read_text(encoding="utf-8")
    ok, error, fresh = execute(path, run_slow)
    if not ok:
        return f"{path.name}: FAILED, nothing stored\n{error}"
    if path.read_text(encoding="utf-8") != before:
        return f"{path.name}: the file changed while it ran; nothing stored (run again)"
    raw = json.loads(before)
    changed = 0
    for idx, outputs in fresh.items():
        cell = raw["cells"][idx]
        stored, now = shown(cell.get("outputs", [])), shown(outputs)
        if _empty(stored) and _empty(now):
            continue
        varies, cpu_varies = (bool(r.search(_text(cell["source"]))) for r in (VARIES, CPU_VARIES))
        if _empty(stored) or (images and now["images"]) or not same(stored, now, varies, cpu_varies):
            cell["outputs"] = outputs                  # a current output is kept as it is: no churn of images
            changed += 1
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    from nbdev.clean import nbdev_clean
    nbdev_clean(fname=str(path))                       # the same tidy form as `nbdev_clean` gives
    return f"{path.name}: ran {len(fresh)} cells, stored {changed} new outputs"


def count(path: Path) -> tuple[int, int]:
    "Static count: code cells that look like they show something, and those of them with no stored output."
    shows = blank = 0
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        src = _text(cell.get("source", ""))
        if cell["cell_type"] != "code" or not _looks_shown(src):
            continue
        shows += 1
        blank += not cell.get("outputs")
    return shows, blank


def _looks_shown(src: str) -> bool:
    lines = [ln for ln in src.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines or lines[-1].endswith(";"):
        return False
    last = lines[-1]
    if re.search(r"\b(print|display|show_doc|plt\.show|imshow|plot)\(", src) and "#| export" not in src:
        return True
    if last[0] in " \t)]}" or re.match(r"(def|class|import|from|return|assert|with|for|if|elif|else|try|except|"
                                       r"finally|raise|pass|del|global|@)\b", last):
        return False
    return not re.match(r"^[\w.\[\], ]+\s*(=|\+=|-=|\*=|/=)[^=]", last)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=["check", "update", "count"])
    p.add_argument("notebooks", nargs="*")
    p.add_argument("--n_workers", type=int, default=1)
    p.add_argument("--slow", action="store_true", help="update: run the slow cells too")
    p.add_argument("--images", action="store_true", help="update: store every figure anew (they compare by count)")
    a = p.parse_args(argv)
    paths = notebooks(a.notebooks)
    if a.command == "count":
        total = [count(n) for n in paths]
        for n, (s, b) in zip(paths, total):
            print(f"{n.name:32} shows {s:3}  no output {b:3}")
        print(f"{'all':32} shows {sum(s for s, _ in total):3}  no output {sum(b for _, b in total):3}")
        return 0
    # A fresh process per notebook, as nbdev_test's: a notebook's shell takes over `__main__` and its globals.
    pool = ProcessPoolExecutor(max(1, a.n_workers), mp_context=multiprocessing.get_context("spawn"),
                               max_tasks_per_child=1)
    with pool:
        if a.command == "update":
            for line in pool.map(update, paths, [a.slow] * len(paths), [a.images] * len(paths)):
                print(line, flush=True)
            return 0
        return _report(list(pool.map(compare, paths)))


def _report(reports: list[dict]) -> int:
    failed = []
    for r in reports:
        bad = not r["ok"] or r["blank"] or r["stale"]
        print(f"{'FAIL' if bad else 'ok  '} {r['notebook']:32} {r['seconds']:6.1f} s  shows {r['shows']:3}  "
              f"blank {len(r['blank']):2}  stale {len(r['stale']):2}", flush=True)
        if not r["ok"]:
            print(r["error"], file=sys.stderr)
        for kind in ("blank", "stale"):
            for where in r[kind]:
                print(f"    {kind}: {where}")
        if bad:
            failed.append(r["notebook"])
    shows = sum(r["shows"] for r in reports)
    print(f"{len(reports) - len(failed)} notebooks passed, {len(failed)} failed; cells that show something: {shows}, "
          f"blank {sum(len(r['blank']) for r in reports)}, stale {sum(len(r['stale']) for r in reports)}")
    if failed:
        print("Refresh a notebook's outputs with: OMP_NUM_THREADS=1 python nbs/_outputs.py update nbs/<name>.ipynb")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
