"""The one schema layer: strict pydantic models, errors that say file, entry and field.

Every data file we load (rubric, technology catalog, template catalog, answers files,
ingest records) is validated by a :class:`Strict` model through :func:`validate`, so a
mistake is reported the same way everywhere: ``FILE: ENTRY: field 'X': what is wrong``.
pydantic is imported lazily: ``--help`` must stay fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from mlops_factory._errors import FactoryError

if TYPE_CHECKING:
    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")


def strict_config(*, extra: str = "forbid") -> Any:
    """The model config every schema uses: unknown fields are errors, no coercion.

    ``extra="ignore"`` is for formats whose contract tells readers to skip fields a
    newer minor version adds (the assessment JSON).
    """
    from pydantic import ConfigDict

    return ConfigDict(extra=extra, strict=True, frozen=True)  # type: ignore[typeddict-item]


def _entry(data: Any, loc: Sequence[int | str], entry_keys: Sequence[str]) -> tuple[str, int]:
    """A readable name for the innermost list entry holding ``loc``: ``criteria[3] (MC-201)``.

    Returns the name and how many parts of ``loc`` it used, so the rest names the field.
    """
    node: Any = data
    parts: list[str] = []
    name, used = "top level", 0
    for i, key in enumerate(loc):
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            node = node[key]
            ident = next(
                (node[k] for k in entry_keys if isinstance(node, dict) and k in node), None
            )
            parts[-1:] = [f"{parts[-1] if parts else ''}[{key}]"]
            name = ".".join(parts) + (f" ({ident})" if isinstance(ident, str | int) else "")
            used = i + 1
        elif isinstance(key, str) and isinstance(node, dict) and key in node:
            parts.append(key)
            node = node[key]
        else:
            break
    return name, used


def validate(
    model: type[M],
    data: Any,
    *,
    source: str,
    hint: str,
    entry_keys: Sequence[str] = ("id", "name"),
) -> M:
    """Validate parsed ``data`` against ``model``; raise one :class:`FactoryError` if bad.

    The message names ``source`` (the file), the entry (a list item, with its ``id`` or
    ``name`` when it has one) and the field, so a user can go straight to the mistake.
    """
    from pydantic import ValidationError

    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        entry, used = _entry(data, loc, entry_keys)
        field = ".".join(str(p) for p in loc[used:] if not str(p).startswith("function-"))
        where = f"{entry}: field {field!r}" if field else entry
        more = f" (and {len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        got = ""
        if err["type"] not in ("missing", "extra_forbidden") and "input" in err:
            shown = repr(err["input"])
            got = f", got {shown if len(shown) <= 60 else shown[:57] + '...'}"
        raise FactoryError(f"{source}: {where}: {err['msg']}{got}{more}", hint) from None
