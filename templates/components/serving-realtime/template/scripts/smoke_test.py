"""Smoke test of a deployed scoring service, over HTTP (standard library only).

    python scripts/smoke_test.py --url http://127.0.0.1:8000
    python scripts/smoke_test.py --url https://<endpoint>.inference.ml.azure.com/score \
        --key "$ENDPOINT_KEY" --deployment green --no-health

Checks GET /health and GET /ready, then sends one valid request built from
configs/schema.yaml (expects 200 and a probability in [0, 1]) and one invalid request
(expects 422). Exits 1 on any failure, so a release pipeline can roll back.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml


def example_record(schema_path: Path) -> dict[str, Any]:
    """A valid record: mid-range numbers and the first allowed category."""
    schema = yaml.safe_load(schema_path.read_text(encoding="utf-8"))
    record: dict[str, Any] = {}
    for name, spec in schema["features"].items():
        if spec["type"] == "category":
            record[name] = spec["allowed"][0]
        else:
            middle = (float(spec.get("min", 0)) + float(spec.get("max", 1))) / 2
            record[name] = round(middle) if spec["type"] == "integer" else middle
    return record


def call(url: str, headers: dict[str, str], body: Any | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="base URL, or the full scoring URL")
    parser.add_argument("--key", help="endpoint key (Azure ML online endpoints)")
    parser.add_argument("--deployment", help="route to this deployment (azureml header)")
    parser.add_argument("--no-health", action="store_true", help="skip GET /health and /ready")
    parser.add_argument("--schema", type=Path, default=Path("configs/schema.yaml"))
    parser.add_argument("--retries", type=int, default=5)
    args = parser.parse_args(argv)

    headers = {"Content-Type": "application/json"}
    if args.key:
        headers["Authorization"] = f"Bearer {args.key}"
    if args.deployment:
        headers["azureml-model-deployment"] = args.deployment
    base = args.url.rstrip("/")
    predict_url = base if base.endswith(("/score", "/predict")) else f"{base}/predict"
    failures: list[str] = []

    if not args.no_health:
        # Liveness first, then readiness (the model loads after the process starts).
        for route in ("/health", "/ready"):
            for attempt in range(args.retries):
                try:
                    status, body = call(f"{base}{route}", headers)
                except (urllib.error.URLError, ConnectionError) as exc:
                    status, body = 0, str(exc)
                if status == 200:
                    break
                time.sleep(2**attempt)
            if status != 200:
                failures.append(f"GET {route} answered {status}: {body}")

    record = example_record(args.schema)
    status, body = call(predict_url, headers, {"instances": [record]})
    if status != 200:
        failures.append(f"valid request answered {status}: {body}")
    else:
        probability = body["predictions"][0]["probability"]
        if not 0.0 <= probability <= 1.0:
            failures.append(f"probability {probability} is outside [0, 1]")
        print(f"prediction: {body['predictions'][0]} (model {body.get('model_version')})")

    status, body = call(predict_url, headers, {"instances": [{**record, "unknown": 1}]})
    if status != 422:
        failures.append(f"invalid request answered {status} instead of 422")

    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print("smoke test passed" if not failures else "smoke test FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
