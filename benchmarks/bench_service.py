"""The generated scoring service next to a minimal FastAPI + onnxruntime app (the floor).

Goal (issue 13): single-row throughput of the generated service at least 0.6x the
floor's on the same machine, model and features, with its p99 under 20 ms.

The default project (`mlops-factory new --defaults`) is generated into a temporary
folder, installed into a virtual environment (`pip install -c requirements-lock.txt
'.[train]'`, or reuse one with --venv), and its own training pipeline trains, registers
and exports the model. Then, one server at a time on a free loopback port (uvicorn, one
worker each):

  service  the generated app as `make serve` runs it (validation, metrics, JSON access
           log with request ids, inference log through its background writer);
  floor    what one would write by hand: `await request.json()`, the same features in
           plain Python, `session.run`, `json.dumps`. No validation, metrics or logs.

Both answer the same single-row body (checked to give the same probability first) to
the same closed-loop client: --connections keep-alive connections, each sending its
next request when the previous answer arrived, for --seconds per round or --requests
per round, whichever comes first. Rounds alternate floor and service (--rounds), so a
busy machine slows both alike; the figures are the median over rounds.

Printed: requests/s, p50 and p99 latency (ms) for each, the throughput ratio; then the
batch job's rows per second: the batch pattern's project (`new --pattern batch`, same
venv) trains its model, and `batch.score_folder` scores one file of --batch-rows
generated rows in-process (validation, features, ONNX, CSV out, inference log; imports
and the data generation excluded).

The client shares the machine with the server: figures are for comparing the two apps
on one machine, not capacity planning. On a busy machine, add rounds.

Usage: python benchmarks/bench_service.py [--venv DIR] [--rounds N] [--seconds S]
       [--requests N] [--connections C] [--batch-rows N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

GOAL_RATIO = 0.6
GOAL_P99_MS = 20.0
PROJECT = "bench-service"
PACKAGE = "bench_service"
BATCH_PROJECT = "bench-batch"  # the batch pattern: same dependencies minus the service
BATCH_PACKAGE = "bench_batch"

RECORD = {
    "tenure_months": 3,
    "monthly_charges": 95.0,
    "support_calls": 4,
    "age": 31,
    "contract": "month-to-month",
}

# The floor: a hand-written app on the same model.onnx and the same features.
FLOOR_APP = """
import json
import math
from pathlib import Path

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Request, Response

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
NAMES = json.loads((ARTIFACTS / "model.json").read_text())["feature_names"]
options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = ort.InferenceSession(
    str(ARTIFACTS / "model.onnx"), options, providers=["CPUExecutionProvider"]
)
app = FastAPI()


def features(record):
    row = []
    for name in NAMES:
        if "=" in name:
            column, value = name.split("=", 1)
            row.append(1.0 if record[column] == value else 0.0)
        elif name == "log_tenure_months":
            row.append(math.log1p(record["tenure_months"]))
        elif name == "support_calls_per_year":
            row.append(record["support_calls"] / max(record["tenure_months"] / 12.0, 1.0))
        else:
            row.append(float(record[name]))
    return row


@app.post("/predict")
async def predict(request: Request):
    body = await request.json()
    matrix = np.asarray([features(r) for r in body["instances"]], dtype=np.float32)
    probabilities = session.run(["probabilities"], {"features": matrix})[0][:, 1]
    out = [{"label": int(p >= 0.5), "probability": float(p)} for p in probabilities]
    return Response(json.dumps({"predictions": out}), media_type="application/json")
"""

BATCH_SNIPPET = """
import sys, time
from pathlib import Path
from {package} import data
from {package}.batch import score_folder
from {package}.config import load_config

rows, folder = int(sys.argv[1]), Path(sys.argv[2])
(folder / "in").mkdir(parents=True, exist_ok=True)
data.generate(rows, 11, with_target=False).to_csv(folder / "in" / "big.csv", index=False)
log = {{"inference_log": {{"path": str(folder / "log.jsonl")}}}}
config = load_config(overrides={{"scoring": log}})
start = time.perf_counter()
(result,) = score_folder(config, folder / "in", folder / "out")
elapsed = time.perf_counter() - start
print(result.scored, elapsed)
"""


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 1800) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, bytes]:
    conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


class Server:
    """One uvicorn process on a free loopback port, stopped on exit."""

    def __init__(self, app: str, cwd: Path, env: dict[str, str], python: Path) -> None:
        self.port = _free_port()
        command = [str(python), "-m", "uvicorn", app, "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", "1", "--no-access-log"]
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        body = json.dumps({"instances": [RECORD]}).encode()
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                status, _ = _request(conn, body)
                conn.close()
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        sys.exit(f"server on port {self.port} did not answer /predict")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def probability(self) -> float:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        _, answer = _request(conn, json.dumps({"instances": [RECORD]}).encode())
        conn.close()
        return float(json.loads(answer)["predictions"][0]["probability"])


def load(port: int, connections: int, seconds: float, limit: int) -> dict[str, float]:
    """Closed loop: each connection sends its next request when the answer arrived."""
    body = json.dumps({"instances": [RECORD]}).encode()
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    sent = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        own = latencies[index]
        while time.perf_counter() < stop:
            with lock:
                if sent[0] >= limit:
                    break
                sent[0] += 1
            start = time.perf_counter()
            status, _ = _request(conn, body)
            own.append(time.perf_counter() - start)
            if status != 200:
                errors[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(value for own in latencies for value in own)
    if not every:
        sys.exit("no request completed")
    return {
        "rps": len(every) / elapsed,
        "p50": every[len(every) // 2] * 1000,
        "p99": every[min(len(every) - 1, int(len(every) * 0.99))] * 1000,
        "errors": float(sum(errors)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, help="reuse this venv (the project's dependencies)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="per round and server")
    parser.add_argument("--requests", type=int, default=20_000, help="per round and server")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-service-"))
    work.mkdir(parents=True, exist_ok=True)
    project, batch = work / PROJECT, work / BATCH_PROJECT
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTHON"))}
        env["PYTHONPATH"] = os.pathsep.join([str(project / "src"), str(batch / "src")])
        started = time.perf_counter()
        for folder, pattern in ((project, None), (batch, "batch")):
            if folder.exists():
                shutil.rmtree(folder)
            new = [sys.executable, "-m", "mlops_factory", "new", str(folder), "--defaults"]
            new += ["--pattern", pattern] if pattern else []
            _run(new, work, {**os.environ, "XDG_CACHE_HOME": str(work / "cache")})
        venv = args.venv or work / "venv"
        python = venv / "bin" / "python"
        if not python.exists():
            print(f"installing the project's dependencies into {venv} (PyPI) ...", flush=True)
            _run([sys.executable, "-m", "venv", str(venv)], work, env)
            pip = [str(python), "-m", "pip", "install", "--quiet", "-c", "requirements-lock.txt"]
            _run([*pip, ".[train]"], project, env)
        _run([str(python), "-m", f"{PACKAGE}.pipeline", "run"], project, env)
        _run([str(python), "-m", f"{BATCH_PACKAGE}.pipeline", "run"], batch, env)
        (project / "floor_app.py").write_text(FLOOR_APP, encoding="utf-8")
        print(f"generated, installed and trained in {time.perf_counter() - started:.0f} s")

        apps = {"floor": ("floor_app:app", project), "service": (f"{PACKAGE}.service:app", project)}
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in apps}
        for index in range(args.rounds):
            for name, (app, cwd) in apps.items():
                with Server(app, cwd, env, python) as server:
                    if index == 0:
                        print(f"  {name}: probability {server.probability():.6f} for the same row")
                    load(server.port, args.connections, 1.0, 10**9)  # warm-up
                    figures = load(server.port, args.connections, args.seconds, args.requests)
                    rounds[name].append(figures)
                    print(
                        f"  round {index + 1} {name:<8} {figures['rps']:8.0f} req/s"
                        f"  p50 {figures['p50']:6.2f} ms  p99 {figures['p99']:6.2f} ms"
                        f"  errors {figures['errors']:.0f}",
                        flush=True,
                    )
        median = {
            name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            for name, runs in rounds.items()
        }
        ratio = median["service"]["rps"] / median["floor"]["rps"]
        print(
            f"\nsingle-row /predict, {args.connections} connections, one worker each, "
            f"median of {args.rounds} rounds:"
        )
        for name, figures in median.items():
            print(
                f"  {name:<8} {figures['rps']:8.0f} req/s  p50 {figures['p50']:6.2f} ms"
                f"  p99 {figures['p99']:6.2f} ms"
            )
        ok = ratio >= GOAL_RATIO and median["service"]["p99"] < GOAL_P99_MS
        print(
            f"  ratio service/floor: {ratio:.2f}x (goal >= {GOAL_RATIO}x, p99 < {GOAL_P99_MS:.0f}"
            f" ms: {'met' if ok else 'NOT met'})"
        )

        snippet = BATCH_SNIPPET.format(package=BATCH_PACKAGE)
        shutil.rmtree(work / "batch-run", ignore_errors=True)  # a kept folder was scored
        output = _run(
            [str(python), "-c", snippet, str(args.batch_rows), str(work / "batch-run")], batch, env
        )
        scored, seconds = output.split()
        print(
            f"\nbatch job: {int(scored):,} rows scored in {float(seconds):.2f} s = "
            f"{int(scored) / float(seconds):,.0f} rows/s (validation, features, ONNX, CSV out, "
            "inference log)"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
