"""The HTML dashboard in real headless Chromium: no console errors, one heatmap row per
repo, and a screenshot kept in test-artifacts/ for people to look at.

How console errors are caught: Chromium's own log (``--enable-logging=stderr --v=0``)
prints every console message as ``...:INFO:CONSOLE:<line>] "text", source: URL``. The
dashboard runs no script at all, so *any* console message is a defect: a CSP violation
(a style or script the policy blocked, a remote load), a resource that failed to load.
That is as strict as listening on the DevTools protocol and needs no websocket client,
debugging port or timing. A control test proves that this Chromium reports a broken
page that way, so a change of log format fails loudly instead of passing silently.
"""

from __future__ import annotations

import re
import struct
import subprocess
import tempfile
from pathlib import Path

from mlops_factory._portfolio import PortfolioResult, render_dashboard
from mlops_factory._portfolio.dashboard import CSP
from tests.helpers import require_tool

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)
CONSOLE = re.compile(r":CONSOLE[(:]\d*\)?\]\s*(.*)$")
WINDOW = (1400, 2200)


def chromium() -> str:
    """The browser; when it is missing the test fails on CI and is skipped elsewhere."""
    return require_tool(
        ("chromium", "chromium-browser", "google-chrome"),
        "CHROMIUM",
        "apt-get install -y chromium; .ci/run does",
    )


def browse(page: Path, *extra: str, workdir: Path) -> tuple[str, list[str]]:
    """Open ``page`` in a fresh profile; return stdout and the console messages."""
    profile = tempfile.mkdtemp(prefix="profile-", dir=workdir)
    proc = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    console = [m.group(1) for line in proc.stderr.splitlines() if (m := CONSOLE.search(line))]
    return proc.stdout, console


def png_size(file: Path) -> tuple[int, int]:
    head = file.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_console_check_catches_a_broken_page(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        f'content="{CSP}"><style>p {{ color: red }}</style></head>'
        '<body><p style="color: blue">x</p><script>document.title = "ran"</script></body></html>'
    )
    _, console = browse(page, "--dump-dom", workdir=tmp_path)
    assert len(console) >= 2, console  # the unhashed style element and the inline script
    assert all("Content Security Policy" in line for line in console)


def test_the_dashboard_renders_cleanly_in_chromium(
    two_runs: tuple[PortfolioResult, Path], tmp_path: Path
) -> None:
    result, _ = two_runs
    page = tmp_path / "dashboard.html"
    page.write_text(render_dashboard(result), encoding="utf-8")

    dom, console = browse(page, "--dump-dom", workdir=tmp_path)
    assert console == []
    assert dom.count('<tr class="repo">') == len(result.scored) == 13
    assert '<svg class="distribution"' in dom and '<svg class="dimensions"' in dom
    assert dom.count('<svg class="sparkline"') == 13
    assert "<img" not in dom and "<script" not in dom  # the hostile repo name stayed text
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "portfolio-dashboard.png"
    shot.unlink(missing_ok=True)
    size = f"--window-size={WINDOW[0]},{WINDOW[1]}"
    _, console = browse(page, f"--screenshot={shot}", size, "--hide-scrollbars", workdir=tmp_path)
    assert console == []
    assert png_size(shot) == WINDOW
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one
