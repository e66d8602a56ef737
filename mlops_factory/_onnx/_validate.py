"""Refuse unusable or unsafe model files before onnxruntime opens them.

Every refusal is a :class:`FactoryError` with a sentence and a hint: empty,
too large, a Git LFS pointer, not ONNX, cut short, external data that is
missing, absolute, or outside the model's folder.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mlops_factory._errors import FactoryError
from mlops_factory._onnx._proto import ModelHeader, ProtoError, Truncated, read_header

#: Default cap on model file plus external data, in bytes (2 GiB, the protobuf limit).
DEFAULT_MAX_BYTES = 2 * 1024**3

_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
#: onnxruntime reads tensors "stored" at this location from a raw memory address.
_ORT_MEM_ADDR = "_ORT_MEM_ADDR_"


class ModelTooLarge(FactoryError):
    """The model (with its external data) is over the size cap."""


class LfsPointer(FactoryError):
    """The file is a Git LFS pointer; the model itself is not in the checkout."""


@dataclass(frozen=True, slots=True)
class ModelFile:
    """A model file that passed every pre-flight check."""

    path: Path
    size: int
    external_bytes: int
    external_files: tuple[str, ...]
    header: ModelHeader

    @property
    def total_bytes(self) -> int:
        return self.size + self.external_bytes


def human_bytes(n: int) -> str:
    """``1536`` -> ``1.5 KiB``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover - the loop always returns


def inspect_model_file(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    root: Path | None = None,
    shown: str | None = None,
) -> ModelFile:
    """Check that ``path`` is a readable ONNX model whose data stays in its folder.

    ``root``, when given, must contain the model (symlinks resolved): the
    assessment passes the repository root. ``shown`` is how messages name the
    file (default: ``path`` as given). Raises :class:`FactoryError`.
    """
    given = Path(path)
    shown = shown or str(given)
    try:
        st = os.stat(given)
    except FileNotFoundError:
        raise FactoryError(f"{shown} does not exist", "pass the path of a .onnx file") from None
    except OSError as exc:
        raise FactoryError(
            f"{shown} cannot be read: {exc.strerror or exc}", "check the file's permissions"
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise FactoryError(f"{shown} is not a regular file", "pass the path of a .onnx file")
    resolved = given.resolve()
    if root is not None and not _inside(resolved, root.resolve()):
        raise FactoryError(
            f"{shown} resolves outside the repository",
            "a link may not lead out of the repository; pass the model file itself",
        )
    if st.st_size == 0:
        raise FactoryError(
            f"{shown} is empty (0 bytes)", "the export or download did not finish; make it again"
        )
    if st.st_size > max_bytes:
        raise ModelTooLarge(
            f"{shown} is {human_bytes(st.st_size)}, over the {human_bytes(max_bytes)} cap",
            "raise the cap with --max-bytes if you trust this model and have the memory",
        )
    try:
        with open(resolved, "rb") as fh:
            head = fh.read(len(_LFS_POINTER))
    except OSError as exc:
        raise FactoryError(
            f"{shown} cannot be read: {exc.strerror or exc}", "check the file's permissions"
        ) from None
    if head == _LFS_POINTER:
        raise LfsPointer(
            f"{shown} is a Git LFS pointer, not the model itself", "run `git lfs pull` first"
        )
    try:
        header = read_header(resolved)
    except Truncated as exc:
        # Exporters write ir_version (field 1, a varint: byte 0x08) first; a file
        # that starts otherwise and runs out was never a model, not a cut-short one.
        if not head.startswith(b"\x08"):
            raise _not_onnx(shown, "it does not parse as ONNX protobuf") from None
        raise FactoryError(
            f"{shown} is truncated: {exc}", "the file was cut short; export or download it again"
        ) from None
    except ProtoError as exc:
        raise _not_onnx(shown, str(exc)) from None
    except (OSError, ValueError) as exc:
        raise FactoryError(
            f"{shown} cannot be read: {exc}", "export or download the model again"
        ) from None
    if not header.has_graph or header.ir_version <= 0:
        missing = "graph" if not header.has_graph else "IR version"
        raise _not_onnx(shown, f"it parses, but has no {missing}")
    files = _external_files(shown, resolved.parent, header)
    external = sum(files.values())
    if st.st_size + external > max_bytes:
        raise ModelTooLarge(
            f"{shown} with its external data is {human_bytes(st.st_size + external)}, "
            f"over the {human_bytes(max_bytes)} cap",
            "raise the cap with --max-bytes if you trust this model and have the memory",
        )
    return ModelFile(
        path=resolved,
        size=st.st_size,
        external_bytes=external,
        external_files=tuple(sorted(files)),
        header=header,
    )


def _not_onnx(shown: str, why: str) -> FactoryError:
    return FactoryError(
        f"{shown} is not an ONNX model ({why})",
        "pass a model saved with onnx.save, torch.onnx.export, skl2onnx or tf2onnx",
    )


def _external_files(shown: str, folder: Path, header: ModelHeader) -> dict[str, int]:
    """Validate every external data reference; return {relative file: size}."""
    hint = "keep external data files in the model's folder, e.g. onnx.save(..., location='w.bin')"
    sizes: dict[str, int] = {}
    for ref in header.external:
        what = f"external data of tensor {ref.tensor!r}"
        loc = ref.location
        if not loc:
            raise FactoryError(f"{shown}: {what} has no location", hint)
        if _ORT_MEM_ADDR in loc or "\x00" in loc:
            raise FactoryError(f"{shown}: {what} has a forbidden location {loc!r}", hint)
        # Backslashes count as separators too, so a Windows-style "..\\x" is caught.
        parts = PurePosixPath(loc.replace("\\", "/")).parts
        if PurePosixPath(loc).is_absolute() or loc.startswith("\\") or _has_drive(loc):
            raise FactoryError(f"{shown}: {what} uses an absolute path {loc!r}", hint)
        if ".." in parts:
            raise FactoryError(f"{shown}: {what} points outside the model's folder ({loc!r})", hint)
        target = (folder / loc).resolve()
        if not _inside(target, folder):
            raise FactoryError(
                f"{shown}: {what} points outside the model's folder via a symlink ({loc!r})", hint
            )
        try:
            st = os.stat(target)
        except OSError:
            raise FactoryError(f"{shown}: {what} is missing ({loc!r} not found)", hint) from None
        if not stat.S_ISREG(st.st_mode):
            raise FactoryError(f"{shown}: {what} is not a regular file ({loc!r})", hint)
        offset = ref.offset or 0
        if offset < 0 or (ref.length is not None and ref.length < 0):
            raise FactoryError(
                f"{shown}: {what} has an invalid offset or length",
                "the model's external data reference is corrupt; export the model again",
            )
        if ref.length is not None and offset + ref.length > st.st_size:
            raise FactoryError(
                f"{shown}: {what} reads past the end of {loc!r} "
                f"(offset {offset:,} + length {ref.length:,} > {st.st_size:,} bytes)",
                "the external data file is truncated or belongs to another export",
            )
        sizes[target.relative_to(folder).as_posix()] = st.st_size
    return sizes


def _has_drive(loc: str) -> bool:
    return len(loc) >= 2 and loc[1] == ":" and loc[0].isalpha()


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True
