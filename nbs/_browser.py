"""Test helpers: load a page in headless Chromium. Used by the notebooks' browser tests, not shipped in the package.

A notebook imports it with `sys.path.insert(0, str(Path.cwd()))` (nbdev_test runs each notebook inside nbs/) and
skips its browser test, saying so, when `find_chromium()` finds none.

Chromium's `--dump-dom` prints the page as soon as it has loaded and its virtual clock has run out, which is too
early for a page that streams (the live denoising page reads a response as it arrives). So we drive Chromium over
the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON messages ending in NUL on fds 3 and 4, no port,
no extra package) and wait until a JavaScript condition holds.
"""
from __future__ import annotations
import base64, fcntl, json, os, select, shutil, subprocess, tempfile, time
from pathlib import Path
from typing import Optional, Union

SKIP = "SKIPPED: the browser test needs Chromium (apt-get install -y chromium, or set $CHROMIUM)"


def find_chromium() -> Optional[str]:
    "Path of a Chromium executable ($CHROMIUM, chromium, chromium-browser, google-chrome), or None."
    names = [os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"]
    return next((p for p in map(shutil.which, filter(None, names)) if p), None)


class _DevTools:
    "A headless Chromium and its DevTools pipe: `call(method, **params)` returns the result of one command."
    def __init__(self, exe: str, profile: str, size: tuple[int, int]):
        cmd_r, self.cmd_w = os.pipe()                  # we write commands, Chromium reads them on fd 3
        self.res_r, res_w = os.pipe()                  # Chromium writes replies on fd 4, we read them
        a, b = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 64), fcntl.fcntl(res_w, fcntl.F_DUPFD, 64)  # clear of 3 and 4
        os.close(cmd_r)
        os.close(res_w)
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--remote-debugging-pipe", f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
                "about:blank"]
        shell = shutil.which("bash") or "bash"           # (dash reads only one-digit descriptors in redirections)
        self.proc = subprocess.Popen([shell, "-c", f'exec "$0" "$@" 3<&{a} 4>&{b} {a}<&- {b}>&-', exe, *args],
                                     pass_fds=(a, b), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(a)
        os.close(b)
        self.next_id, self.buf, self.session = 0, b"", None

    def call(self, method: str, timeout: float = 60, **params) -> dict:
        "Send one command (to the attached page, once there is one) and wait for its reply."
        self.next_id += 1
        msg = dict(id=self.next_id, method=method, params=params)
        if self.session and not method.startswith(("Target.", "Browser.")): msg["sessionId"] = self.session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply: raise RuntimeError(f"{method}: {reply['error']}")
                    return reply.get("result", {})
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.res_r], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer {method} within {timeout} s")
            chunk = os.read(self.res_r, 1 << 20)
            if not chunk: raise RuntimeError("Chromium closed the DevTools pipe")
            self.buf += chunk

    def close(self) -> None:
        try: self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError): pass
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired: self.proc.kill()
        os.close(self.cmd_w)
        os.close(self.res_r)


def headless_chromium(url: str, screenshot: Optional[Union[str, Path]] = None, until: Optional[str] = None,
                      wait_ms: int = 10000, size: tuple[int, int] = (1000, 700), timeout: float = 120) -> str:
    "Load `url` in headless Chromium, wait until the JS expression `until` is true (default: loaded), return the DOM."
    exe = find_chromium()
    if exe is None: raise RuntimeError(SKIP)
    with tempfile.TemporaryDirectory() as profile:
        dt = _DevTools(exe, profile, size)
        try:
            target = dt.call("Target.createTarget", url="about:blank")["targetId"]
            dt.session = dt.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            dt.call("Emulation.setDeviceMetricsOverride", width=size[0], height=size[1],
                    deviceScaleFactor=1, mobile=False)
            dt.call("Page.navigate", url=url, timeout=timeout)
            loaded = "location.href !== 'about:blank' && document.readyState === 'complete'"
            cond, end = f"{loaded} && !!({until or 'true'})", time.monotonic() + wait_ms / 1000
            while True:
                try: ok = dt.call("Runtime.evaluate", expression=cond, returnByValue=True)
                except RuntimeError: ok = {}                  # the page changed under us (navigation): ask again
                if ok.get("result", {}).get("value") or time.monotonic() > end: break
                time.sleep(0.1)
            if screenshot is not None:
                png = dt.call("Page.captureScreenshot", format="png", timeout=timeout)["data"]
                Path(screenshot).write_bytes(base64.b64decode(png))
            dom = dt.call("Runtime.evaluate", expression="document.documentElement.outerHTML", returnByValue=True)
            return dom["result"]["value"]
        finally: dt.close()
