"""Bounded-time fuzzing of the two parsers of untrusted bytes: the ONNX header reader and
the YAML loader.

Seeded random mutations of valid inputs, a fixed count: each input must either parse or
raise the documented error (``ProtoError``; ``YamlProblem`` / ``FactoryError``), nothing
else. Each campaign runs in a child process under a timeout, so a hang fails the test
instead of blocking CI.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import textwrap
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Mutations per campaign: enough to reach the error paths, a few seconds in CI.
COUNT = 400
SEED = 20261205

_YAML_SEEDS = (
    textwrap.dedent(
        """\
        catalog_version: "1.2.0"
        components:
          base: {version: "1.0.0", title: Base, questions: [project_name, owner]}
          app:
            version: "0.3.0"
            requires: [base]
        patterns:
          web: {components: [base, app], next_steps: ["make test"]}
        """
    ),
    textwrap.dedent(
        """\
        rubric: mlops-maturity
        answers:
          MC-101: yes
          MC-102: "n/a"
          MC-103: false
        """
    ),
    textwrap.dedent(
        """\
        on: {push: {branches: [main]}, pull_request: null}
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: |
                  pip install -e .
                  pytest -q
        anchors: &a {x: [1, 2, *a]}
        """
    ),
)
_YAML_NOISE = "[]{}:-,&*!|>'\"#%@`?\n\t \\ ~x9"


def mutate(data: bytes, rng: random.Random, alphabet: bytes | None = None) -> bytes:
    """One to four random edits: flip, insert, delete, duplicate a slice, truncate."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buf:
            buf.extend(b"\x00")
        op = rng.randrange(6)
        at = rng.randrange(len(buf))
        if op == 0:
            buf[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            piece = alphabet[rng.randrange(len(alphabet))] if alphabet else rng.randrange(256)
            buf[at:at] = bytes([piece]) * rng.choice((1, 1, 2, 50, 3000))
        elif op == 2:
            del buf[at : at + rng.randint(1, 16)]
        elif op == 3:
            end = min(len(buf), at + rng.randint(1, 64))
            buf[at:at] = buf[at:end] * rng.randint(2, 40)
        elif op == 4:
            del buf[at:]
        else:
            buf[at : at + 1] = b"\xff" * rng.randint(1, 12)  # runaway varints
    return bytes(buf)


def fuzz_onnx(count: int, seed: int) -> list[str]:
    """Mutate a real model; every result must parse or raise ProtoError."""
    from mlops_factory._onnx._proto import ProtoError, parse_bytes
    from tests.onnx._models import linear_model

    valid = linear_model().SerializeToString()
    parse_bytes(valid)  # the seed itself parses
    rng = random.Random(seed)
    problems: list[str] = []
    for i in range(count):
        data = mutate(valid, rng)
        try:
            parse_bytes(data)
        except ProtoError:
            pass
        except Exception:
            problems.append(f"#{i}: {traceback.format_exc(limit=3)}")
    return problems


def fuzz_yaml(count: int, seed: int) -> list[str]:
    """Mutate YAML documents; each must parse or raise YamlProblem, and through the file
    loader parse or raise FactoryError."""
    from mlops_factory._errors import FactoryError
    from mlops_factory._yamlsafe import YamlProblem, load_file, parse

    rng = random.Random(seed)
    problems: list[str] = []
    noise = _YAML_NOISE.encode()
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "x.yml"
        for i in range(count):
            data = mutate(rng.choice(_YAML_SEEDS).encode(), rng, noise)
            text = data.decode("utf-8", errors="replace")
            try:
                parse(text, multi=True)
            except YamlProblem:
                pass
            except Exception:
                problems.append(f"#{i} parse: {traceback.format_exc(limit=3)}")
            file.write_bytes(data)
            try:
                load_file(file, kind="answers file", hint="h", multi=True)
            except FactoryError:
                pass
            except Exception:
                problems.append(f"#{i} load_file: {traceback.format_exc(limit=3)}")
    return problems


def _campaign(name: str) -> list[str]:
    code = (
        f"import json, sys; from tests.test_fuzz import {name}; "
        f"print(json.dumps({name}({COUNT}, {SEED})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,  # a hang fails here
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_onnx_reader_survives_mutations() -> None:
    problems = _campaign("fuzz_onnx")
    assert problems == [], "\n".join(problems[:5])


def test_yaml_loader_survives_mutations() -> None:
    problems = _campaign("fuzz_yaml")
    assert problems == [], "\n".join(problems[:5])


def test_mutations_are_reproducible_and_mostly_invalid() -> None:
    # A campaign that never produced an error would prove nothing.
    from mlops_factory._onnx._proto import ProtoError, parse_bytes
    from tests.onnx._models import linear_model

    valid = linear_model().SerializeToString()
    rng = random.Random(SEED)
    first = [mutate(valid, rng) for _ in range(50)]
    rng = random.Random(SEED)
    assert first == [mutate(valid, rng) for _ in range(50)]
    errors = 0
    for data in first:
        try:
            parse_bytes(data)
        except ProtoError:
            errors += 1
    assert errors > 5
