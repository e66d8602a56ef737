"""The one schema layer: strict pydantic models, errors that say file, entry and field.

Every data file we load (rubric, technology catalog, template catalog, answers files,
ingest records) is validated by a strict pydantic model (:func:`strict_config`) through
:func:`validate`, so a mistake is reported the same way everywhere:
``FILE: ENTRY: field 'X': what is wrong``.
pydantic is imported lazily: ``--help`` must stay fast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def _entry(
    data: Any,
    loc: Sequence[int | str],
    entry_keys: Sequence[str],
    entry_kinds: Mapping[str, str] | None = None,
) -> tuple[str, int]:
    """A readable name for the innermost entry holding ``loc``: a list item
    (``criteria[3] (MC-201)``) or, for a mapping named in ``entry_kinds``, one of its
    values by key (``component 'base'`` for ``{"components": "component"}``).

    Returns the name and how many parts of ``loc`` it used, so the rest names the field.
    """
    kinds = entry_kinds or {}
    node: Any = data
    parts: list[str] = []
    name, used = "top level", 0
    kind: str | None = None
    for i, key in enumerate(loc):
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            node = node[key]
            ident = next(
                (node[k] for k in entry_keys if isinstance(node, dict) and k in node), None
            )
            parts[-1:] = [f"{parts[-1] if parts else ''}[{key}]"]
            name = ".".join(parts) + (f" ({ident})" if isinstance(ident, str | int) else "")
            used = i + 1
            kind = None
        elif isinstance(key, str) and isinstance(node, dict) and key in node:
            if kind is not None:
                name, used, parts = f"{kind} {key!r}", i + 1, []
                kind = None
            else:
                parts.append(key)
                kind = kinds.get(key) if isinstance(node[key], dict) else None
            node = node[key]
        else:
            break
    return name, used


def _model_at(annotation: Any, loc: Sequence[int | str]) -> Any:
    """The pydantic model class that ``loc`` leads to from ``annotation`` (a model, or a
    type that holds models: optional, list, dict, annotated), or None."""
    import types
    from typing import Annotated, Union, get_args, get_origin

    from pydantic import BaseModel

    origin = get_origin(annotation)
    if origin is Annotated:
        return _model_at(get_args(annotation)[0], loc)
    if origin is Union or origin is types.UnionType:
        for arg in get_args(annotation):
            found = _model_at(arg, loc)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not loc:
            return annotation
        field = annotation.model_fields.get(str(loc[0]))
        return None if field is None else _model_at(field.annotation, loc[1:])
    if origin in (dict, list, tuple) and loc:  # a key or an index, then the value's type
        args = get_args(annotation)
        return _model_at(args[-1], loc[1:]) if args else None
    return None


def validate(
    model: type[M],
    data: Any,
    *,
    source: str,
    hint: str,
    entry_keys: Sequence[str] = ("id", "name"),
    entry_kinds: Mapping[str, str] | None = None,
) -> M:
    """Validate parsed ``data`` against ``model``; raise one :class:`FactoryError` if bad.

    The message names ``source`` (the file), the entry (a list item, with its ``id`` or
    ``name`` when it has one, or a value of a mapping named in ``entry_kinds``) and the
    field, so a user can go straight to the mistake: ``FILE: ENTRY: field 'X': what is
    wrong, got VALUE``; ``FILE: ENTRY: missing required field 'X'``; ``FILE: ENTRY:
    unknown field 'X'`` (then the hint lists the allowed fields). A validator's own
    ``ValueError`` text is used as it is.
    """
    from pydantic import ValidationError

    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
        entry, used = _entry(data, loc, entry_keys, entry_kinds)
        field = ".".join(str(p) for p in loc[used:])
        more = f" (and {len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        kind = err["type"]
        if kind == "missing":
            text = f"{entry}: missing required field {field!r}"
        elif kind == "extra_forbidden":
            text = f"{entry}: unknown field {field!r}"
            owner = _model_at(model, loc[:-1])
            if owner is not None:
                hint = "allowed fields: " + ", ".join(owner.model_fields)
        else:
            where = f"{entry}: field {field!r}" if field else entry
            msg = str(err["msg"]).removeprefix("Value error, ")
            got = ""
            if kind != "value_error" and "input" in err:
                shown = repr(err["input"])
                got = f", got {shown if len(shown) <= 60 else shown[:57] + '...'}"
            text = f"{where}: {msg}{got}"
        raise FactoryError(f"{source}: {text}{more}", hint) from None
