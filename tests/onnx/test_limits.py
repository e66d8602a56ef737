"""model check / profile under bounds: memory, one deadline, absurd shapes, hostile names."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from mlops_factory._cli import main
from tests.onnx._models import linear, make, relu, save

posix = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_AS is POSIX")


def _huge_constant(path: Path) -> Path:
    """y = x + ConstantOfShape([40000, 100000]): 16 GB of floats made at run time."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [40000, 100000])
    shape = numpy_helper.from_array(np.array([40000, 100000], dtype=np.int64), "shape")
    nodes = [
        helper.make_node("ConstantOfShape", ["shape"], ["c"]),
        helper.make_node("Add", ["x", "c"], ["y"]),
    ]
    return save(make(nodes, [x], [y], [shape]), path)


@posix
@pytest.mark.parametrize("command", ["check", "profile"])
def test_a_model_that_needs_more_memory_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = _huge_constant(tmp_path / "big.onnx")
    extra = ["--threads", "1", "--opt-levels", "disabled", "--batch-sizes", "1"]
    args = ["model", command, str(path), "--memory-limit", "2GiB"]
    code = main([*args, *(extra if command == "profile" else ["--no-probes"])])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "needs more than the 2.0 GiB memory limit" in err
    assert "--memory-limit" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("shape", "flags"),
    [
        ([40000, 100000], []),  # a huge declared shape
        (["N", 3], ["--batch-size", "10000000000"]),  # an absurd batch size
        (["N", "M"], ["--dim", "M=99999999999"]),
    ],
)
def test_huge_inputs_are_user_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: list[int | str], flags: list[str]
) -> None:
    path = relu(tmp_path / "m.onnx", shape)
    code = main(["model", "check", str(path), "--no-probes", *flags])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "bytes to synthesise" in err and "Traceback" not in err


def test_huge_profile_batch_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = linear(tmp_path / "m.onnx")
    args = ["--threads", "1", "--opt-levels", "all", "--batch-sizes", "10000000000"]
    assert main(["model", "profile", str(path), *args]) == 2
    assert "bytes to synthesise" in capsys.readouterr().err


def test_the_deadline_bounds_the_whole_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = linear(tmp_path / "m.onnx")
    # A deadline too short even to load: the check ends as a user error, not hanging
    # for --timeout per step.
    code = main(["model", "check", str(path), "--deadline", "0.001", "--timeout", "600"])
    err = capsys.readouterr().err
    assert code == 2 and "overall time limit" in err


def test_names_from_the_model_cannot_drive_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = "x\x1b]0;pwned\x07\x1b[2J\u202eyxe.exe"
    x = helper.make_tensor_value_info(evil, TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y\x1b[31m", TensorProto.FLOAT, ["N", 3])
    model = make([helper.make_node("Relu", [evil], ["y\x1b[31m"])], [x], [y])
    model.producer_name = "evil\x1b[2J\u202e"
    path = save(model, tmp_path / "m.onnx")
    assert main(["model", "check", str(path), "--no-probes"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "\\x1b" in out and "\\u202e" in out
