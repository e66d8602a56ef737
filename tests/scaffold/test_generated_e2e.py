"""End to end: generated projects install from PyPI, pass their own checks and really run.

Both patterns are generated with `mlops-factory new` (the built-in catalog, defaults) and
installed with their own `make install` into ONE fresh virtual environment, activated
(their dependency sets nest, so the second install only adds the project). Then, through
the projects' own Makefile targets in that active environment: ruff, the test suites,
the training pipeline (a registered champion and an ONNX file appear), the service over
HTTP on a free port, the drift monitor, and the batch scoring job.

Everything after the install runs without network access when the machine allows it
(``unshare -n``): nothing a generated project runs may download anything.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import require_tool

pytestmark = pytest.mark.slow


@dataclass
class Projects:
    realtime: Path
    batch: Path
    venv: Path
    offline: list[str]
    timings: dict[str, float] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The environment of a shell in which the venv is activated."""
        # A developer's shell: nothing inherited from the make or Python running this suite
        # (under `make test`, MAKELEVEL/MAKEFLAGS would make the project's make print
        # "make[1]: Entering directory" into the output the tests read).
        inherited = ("PYTHON", "VIRTUAL", "MAKE", "MFLAGS")
        env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        env.pop("MLFLOW_TRACKING_URI", None)
        return env

    def run(
        self,
        args: list[str],
        cwd: Path,
        *,
        offline: bool = True,
        timeout: int = 600,
        extra_env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        prefix = self.offline if offline else []
        start = time.perf_counter()
        result = subprocess.run(
            [*prefix, *args],
            cwd=cwd,
            env={**self.env(), **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.timings[f"{cwd.name}: {' '.join(args)}"] = time.perf_counter() - start
        assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
        return result


def _offline_prefix() -> list[str]:
    """``unshare -n`` (no network namespace) when this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def _generate(dest: Path, pattern: str, cache: Path) -> Path:
    """`mlops-factory new DEST --pattern P --defaults`: the package name derives from DEST."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    command = [sys.executable, "-m", "mlops_factory", "new", str(dest), "--defaults"]
    result = subprocess.run(
        [*command, "--pattern", pattern], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return dest


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Projects]:
    root = tmp_path_factory.mktemp("e2e")
    started = time.perf_counter()
    realtime = _generate(root / "churn-service", "realtime", root / "cache")
    batch = _generate(root / "churn-batch", "batch", root / "cache")
    projects = Projects(realtime, batch, root / "venv", _offline_prefix())
    projects.timings["mlops-factory new (both patterns)"] = time.perf_counter() - started
    subprocess.run([sys.executable, "-m", "venv", str(projects.venv)], check=True)
    # `make install` in the active environment, from PyPI: the batch project's dependencies
    # are a subset of the real-time one's, so its install only adds the project itself.
    projects.run(["make", "install"], realtime, offline=False, timeout=1200)
    projects.run(["make", "install"], batch, offline=False, timeout=600)
    yield projects
    projects.timings["total"] = time.perf_counter() - started
    print("\nend-to-end timings (s):")
    for step, seconds in projects.timings.items():
        print(f"  {seconds:7.1f}  {step}")


def _get(
    url: str, data: Any | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    status, body, _ = _call(url, data, headers)
    return status, body


def _call(
    url: str, data: Any | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str, dict[str, str]]:
    body = data if isinstance(data, bytes) or data is None else json.dumps(data).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=body, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("pattern", ["realtime", "batch"])
def test_generated_project_passes_its_own_lint_and_tests(projects: Projects, pattern: str) -> None:
    project = getattr(projects, pattern)
    projects.run(["make", "lint"], project)
    result = projects.run(["make", "test"], project)
    assert " passed" in result.stdout and " failed" not in result.stdout


def test_realtime_pipeline_registers_a_champion_and_exports_onnx(projects: Projects) -> None:
    project = projects.realtime
    projects.run(["make", "pipeline"], project)
    assert (project / "artifacts" / "model.onnx").stat().st_size > 0
    assert (project / "mlruns" / "mlflow.db").is_file()
    metadata = json.loads((project / "artifacts" / "model.json").read_text())
    assert metadata["model_name"] == "churn-service-classifier"
    assert metadata["model_version"] == "1"
    assert metadata["alias"] == "champion"
    aliases = projects.run(["python", "-m", "churn_service.registry", "show"], project)
    assert json.loads(aliases.stdout) == {"champion": "1", "challenger": "1"}
    # A second run registers version 2 as challenger; the same model does not beat the
    # champion by the margin, so the champion stays version 1.
    second = projects.run(["python", "-m", "churn_service.pipeline", "run"], project)
    summary = json.loads(second.stdout[second.stdout.index("{") :])
    assert summary["register"]["version"] == "2"
    assert summary["register"]["promoted"] is False
    aliases = projects.run(["python", "-m", "churn_service.registry", "show"], project)
    assert json.loads(aliases.stdout) == {"champion": "1", "challenger": "2"}


def test_realtime_service_answers_over_http(projects: Projects) -> None:
    project = projects.realtime
    if not (project / "artifacts" / "model.onnx").is_file():
        projects.run(["make", "pipeline"], project)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    # `make serve` in the active environment, two workers; its own process group, so it
    # stops cleanly.
    server = subprocess.Popen(
        ["make", "serve", f"PORT={port}", "WORKERS=2"],
        cwd=project,
        env=projects.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        status = 0
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, _ = _get(f"{base}/ready")
            except (urllib.error.URLError, ConnectionError):
                status = 0
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, "the service did not become ready"
        projects.timings["realtime: make serve until ready"] = time.perf_counter() - started
        assert _get(f"{base}/health") == (200, '{"status": "ok"}')

        record = {
            "tenure_months": 3,
            "monthly_charges": 95.0,
            "support_calls": 4,
            "age": 31,
            "contract": "month-to-month",
        }
        status, body, headers = _call(
            f"{base}/predict", {"instances": [record]}, {"X-Request-ID": "e2e-predict-1"}
        )
        assert status == 200, body
        assert headers["x-request-id"] == "e2e-predict-1"
        prediction = json.loads(body)
        assert prediction["model_version"] == "1"
        assert 0.0 <= prediction["predictions"][0]["probability"] <= 1.0

        status, body = _get(f"{base}/predict", {"instances": [{**record, "age": "old"}]})
        assert status == 422, body
        # Above serving.max_body_bytes (64 kB): refused before it is parsed.
        status, _ = _get(f"{base}/predict", b"{" + b" " * 70_000 + b"}")
        assert status == 413
        # Two workers, each with its own metrics: the counters of whichever answers.
        status, metrics = _get(f"{base}/metrics")
        assert status == 200
        assert "http_requests_total{" in metrics and "model_info{" in metrics
        # The release pipelines' smoke test, against the running service.
        projects.run(["python", "scripts/smoke_test.py", "--url", base], project, offline=False)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            output, _ = server.communicate(timeout=20)
    # Both workers wrote their buffered inference log on shutdown.
    log = (project / "data" / "monitoring" / "inference.jsonl").read_text().splitlines()
    assert len(log) >= 2  # this test's prediction and the smoke test's
    # Structured logs: one JSON object per request, with its id.
    entries = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    requests = [e for e in entries if e.get("message") == "request"]
    assert {"request_id": "e2e-predict-1", "status": 200} in [
        {"request_id": e["request_id"], "status": e["status"]} for e in requests
    ]
    assert any(e["status"] == 413 for e in requests)


def test_realtime_monitor_reports_drift_after_shifted_traffic(projects: Projects) -> None:
    project = projects.realtime
    if not (project / "artifacts" / "reference.csv").is_file():
        projects.run(["make", "pipeline"], project)
    projects.run(["make", "simulate-drift"], project)
    projects.run(["make", "monitor"], project)
    report = json.loads((project / "reports" / "drift" / "latest.json").read_text())
    assert report["status"] == "drift"
    assert report["drift_detected"] is True


# --- the monitoring loop, end to end -----------------------------------------------------------

#: Azurite's documented development account (a well-known emulator key, not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
# In memory, no telemetry (no network beyond loopback), quiet.
AZURITE_OPTIONS = (
    "--inMemoryPersistence",
    "--disableTelemetry",
    "--silent",
    "--skipApiVersionCheck",
    "--loose",
)
AZURITE_HELP = "make .tools/azurite (npm install --prefix .tools/azurite azurite)"


@pytest.fixture
def azurite(tmp_path: Path) -> Iterator[str]:
    """A blob service of Azurite (the Azure Storage emulator) on loopback; its connection string."""
    local = Path(__file__).resolve().parents[2] / ".tools/azurite/node_modules/.bin/azurite-blob"
    if local.is_file():
        os.environ.setdefault("AZURITE", str(local))
    binary = require_tool("azurite-blob", "AZURITE", AZURITE_HELP)
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--blobHost", "127.0.0.1", "--blobPort", str(port), *AZURITE_OPTIONS],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        assert server.poll() is None, "Azurite did not start"
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=20)


class CiApiStub:
    """A local stand-in for the CI system's API: records every request it receives."""

    def __init__(self) -> None:
        import http.server
        import threading

        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"null")
                received.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _drifted_records(count: int) -> list[dict[str, Any]]:
    """Production traffic that moved: new customers, higher prices, long support queues."""
    import random

    rng = random.Random(13)
    return [
        {
            "tenure_months": rng.randint(0, 6),
            "monthly_charges": round(rng.uniform(120.0, 220.0), 2),
            "support_calls": rng.randint(5, 14),
            "age": rng.randint(18, 90),
            "contract": "month-to-month",
        }
        for _ in range(count)
    ]


def test_monitoring_loop_closes_through_the_store(projects: Projects, azurite: str) -> None:
    """Service -> store <- release reference; monitor -> CI dispatch -> retrain on new data.

    Production's configuration (the store enabled) against Azurite, the project's own
    service in two workers, and a local stub of the GitHub API for the dispatch.
    """
    project = projects.realtime
    if not (project / "artifacts" / "model.onnx").is_file():
        projects.run(["make", "pipeline"], project)
    stub = CiApiStub()
    prod = {
        "CHURN_SERVICE_ENV": "prod",
        "AZURE_STORAGE_CONNECTION_STRING": azurite,
        "GITHUB_API_URL": stub.url,
        "GITHUB_REPOSITORY": "acme/churn-service",
        "GITHUB_TOKEN": "test-token",
    }
    try:
        # The release publishes the training reference of the model it deploys.
        published = projects.run(
            ["python", "-m", "churn_service.monitoring", "publish-reference"],
            project,
            offline=False,
            extra_env=prod,
        )
        version = json.loads((project / "artifacts" / "model.json").read_text())["model_version"]
        assert f"reference/{version}/reference.csv" in published.stdout

        # Production traffic that drifted, through the service, which appends it to the store.
        port = _free_port()
        server = subprocess.Popen(
            ["make", "serve", f"PORT={port}", "WORKERS=2"],
            cwd=project,
            env={**projects.env(), **prod},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline, status = time.monotonic() + 90, 0
            while time.monotonic() < deadline and status != 200:
                try:
                    status, _ = _get(f"{base}/ready")
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.5)
            assert status == 200, "the service did not become ready"
            records = _drifted_records(300)
            for start in range(0, len(records), 10):
                status, body = _get(f"{base}/predict", {"instances": records[start : start + 10]})
                assert status == 200, body
        finally:
            os.killpg(server.pid, signal.SIGTERM)  # the workers write their buffers on exit
            server.wait(timeout=30)

        # The scheduled monitor reads both from the store and dispatches retraining.
        projects.run(
            ["python", "-m", "churn_service.monitoring", "check"],
            project,
            offline=False,
            extra_env=prod,
        )
        report = json.loads((project / "reports" / "drift" / "latest.json").read_text())
        # Exactly this test's 300 rows: what was read is the store, not the local log.
        assert report["current_rows"] == 300
        assert report["drift_detected"] is True
        assert stub.received == [
            {
                "path": "/repos/acme/churn-service/dispatches",
                "auth": "Bearer test-token",
                "body": {
                    "event_type": "drift-detected",
                    "client_payload": {"reason": "drift", "drift_share": report["drift_share"]},
                },
            }
        ]
    finally:
        stub.close()

    # What the dispatched retrain.yml runs: a new data snapshot, a new challenger.
    before = json.loads((project / "data" / "processed" / "data.json").read_text())
    retrained = projects.run(
        ["python", "-m", "churn_service.pipeline", "run", "--no-promote", "--snapshot", "202612"],
        project,
    )
    summary = json.loads(retrained.stdout[retrained.stdout.index("{") :])
    assert summary["prepare"]["snapshot"] == "202612"
    assert summary["prepare"]["data_sha256"] != before["data_sha256"]
    assert summary["prepare"]["holdout_version"] == before["holdout_version"]
    assert summary["register"]["promoted"] is False


def test_batch_pattern_scores_files_with_its_job(projects: Projects) -> None:
    project = projects.batch
    projects.run(["make", "pipeline"], project)
    assert (project / "artifacts" / "model.onnx").is_file()
    projects.run(["make", "batch-sample"], project)
    projects.run(["make", "batch-score"], project)
    predictions = project / "data" / "batch" / "predictions" / "sample-7.predictions.csv"
    lines = predictions.read_text().splitlines()
    assert lines[0] == "id,label,probability,model_version,scored_at"
    assert len(lines) == 1 + 500
    # A second run has nothing new to score.
    again = projects.run(["make", "batch-score"], project)
    assert json.loads(again.stdout[again.stdout.index("[") :]) == []
