"""A writable catalog for harvests: finding it, seeding a new one, reading a component's
copier settings, the paths its templates write, and editing ``catalog.yaml`` in place.

``catalog.yaml`` is edited as text at the positions PyYAML reports, so the comments and
layout of a hand-written catalog survive a harvest.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from mlops_factory._errors import FactoryError
from mlops_factory._factory._values import Delimiters
from mlops_factory._io import atomic_write
from mlops_factory._resources import templates_dir
from mlops_factory._scaffold._catalog import (
    CATALOG_FILE,
    NONE,
    Catalog,
    Component,
    _read_yaml,
    catalog_name,
)
from mlops_factory._yamlsafe import parse

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def is_builtin_location(folder: Path) -> bool:
    """Whether ``folder`` is (inside) the built-in catalog or the installed package."""
    resolved = folder.expanduser().resolve()
    builtin = templates_dir().resolve()
    for protected in (builtin, _PACKAGE_DIR):
        if resolved == protected or protected in resolved.parents:
            return True
    return False


def check_writable_target(folder: Path) -> bool:
    """Refuse the built-in catalog; return True when ``folder`` already holds a catalog
    (False: a new catalog will be created there)."""
    if is_builtin_location(folder):
        raise FactoryError(
            f"{folder} is the catalog built into mlops-factory: harvests never write there",
            hint="pass --catalog DIR with your organisation's catalog; a new or empty folder "
            "becomes a new catalog seeded with the built-in components",
        )
    if (folder / CATALOG_FILE).is_file():
        return True
    if folder.exists() and (not folder.is_dir() or folder.is_symlink()):
        raise FactoryError(f"{folder} is not a folder", hint="pass a catalog folder to --catalog")
    if folder.is_dir() and any(folder.iterdir()):
        raise FactoryError(
            f"{folder} has no {CATALOG_FILE} and is not empty",
            hint="pass a catalog folder (it holds catalog.yaml), or a new or empty folder "
            "to create a catalog there",
        )
    return False


def seed_catalog(dest: Path, name: str | None = None) -> None:
    """Copy the built-in catalog into ``dest`` (which must not exist), named ``name``
    (default: after the folder): a new catalog has its own identity."""
    shutil.copytree(
        templates_dir(), dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store")
    )
    file = dest / CATALOG_FILE
    text = file.read_text(encoding="utf-8")
    new_name = name or catalog_name(dest.name)
    renamed, count = re.subn(r"(?m)^name: .*$", f"name: {new_name}", text, count=1)
    if count == 0:
        raise FactoryError(f"the built-in {CATALOG_FILE} declares no name: reinstall mlops-factory")
    atomic_write(file, renamed)


# --- a component's copier settings ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TemplateSettings:
    """What a component's ``copier.yml`` says about how its files render."""

    subdirectory: str
    suffix: str
    delimiters: Delimiters
    #: Why files of this component cannot be written as escaped templates, or None.
    unsupported: str | None = None


DEFAULT_SETTINGS = TemplateSettings(
    subdirectory="template", suffix=".jinja", delimiters=Delimiters()
)


def _copier_settings(component: Component) -> dict[str, Any]:
    """The ``_``-settings of a component's copier.yml. The shared questions it includes
    hold questions only (the catalog contract), so the include is not read."""
    conf_file = component.path / "copier.yml"
    if not conf_file.is_file():
        conf_file = component.path / "copier.yaml"
    docs = _read_yaml(conf_file, multi=True)
    conf: dict[str, Any] = {}
    for doc in docs:
        if isinstance(doc, Mapping):
            conf.update({k: v for k, v in doc.items() if isinstance(k, str) and k.startswith("_")})
    return conf


def template_settings(catalog: Catalog, component: Component) -> TemplateSettings:
    """The rendering settings of ``component`` (from its copier.yml)."""
    conf = _copier_settings(component)
    envops = conf.get("_envops") or {}
    if not isinstance(envops, Mapping):
        envops = {}
    subdirectory = conf.get("_subdirectory", "")
    suffix = conf.get("_templates_suffix", ".jinja")
    unsupported = None
    for key in ("line_statement_prefix", "line_comment_prefix"):
        if envops.get(key):
            unsupported = f"its copier.yml sets _envops.{key}"
    newline = envops.get("newline_sequence", "\n")
    if newline != "\n":
        unsupported = "its copier.yml sets _envops.newline_sequence"
    return TemplateSettings(
        subdirectory=str(subdirectory or ""),
        suffix=str(suffix if suffix is not None else ""),
        delimiters=Delimiters.from_envops(envops),
        unsupported=unsupported,
    )


def template_root(component: Component, settings: TemplateSettings) -> Path:
    """The folder of a component that holds its template files."""
    return component.path / settings.subdirectory if settings.subdirectory else component.path


def render_data(catalog: Catalog, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers for rendering template *paths* of any component: the given answers over
    the shared questions' literal defaults, every component applied and every environment
    (so conditional files are counted as written)."""
    data: dict[str, Any] = {
        q.key: q.default for q in catalog.questions.values() if q.default is not None
    }
    envs = catalog.questions.get("environments")
    data["environments"] = (
        list(envs.choices) if envs and envs.choices else ["dev", "staging", "prod"]
    )
    data.update({k: v for k, v in answers.items() if k != "environments"})
    data["components"] = list(catalog.components)
    return data


def output_paths(catalog: Catalog, component: Component, data: Mapping[str, Any]) -> dict[str, str]:
    """Rendered path (posix) -> template file (relative to the template root) of the files
    ``component`` writes with ``data``. Paths that cannot be rendered here are left out."""
    from jinja2 import Undefined
    from jinja2.sandbox import SandboxedEnvironment

    settings = template_settings(catalog, component)
    root = template_root(component, settings)
    delims = settings.delimiters
    env = SandboxedEnvironment(
        undefined=Undefined,
        variable_start_string=delims.variable_start,
        variable_end_string=delims.variable_end,
        block_start_string=delims.block_start,
        block_end_string=delims.block_end,
        comment_start_string=delims.comment_start,
        comment_end_string=delims.comment_end,
    )
    out: dict[str, str] = {}
    if not root.is_dir():
        return out
    for path in sorted(root.rglob("*")):
        if (
            not path.is_file()
            or "__pycache__" in path.parts
            or path.name.endswith((".pyc", ".pyo"))
        ):
            continue
        rel = path.relative_to(root).as_posix()
        source = rel
        if settings.suffix and rel.endswith(settings.suffix):
            source = rel[: -len(settings.suffix)]
        for rendered in _render_path(env, delims, source, data):
            out.setdefault(rendered, rel)
    return out


def _render_path(env: Any, delims: Delimiters, path: str, data: Mapping[str, Any]) -> list[str]:
    """Every path a template path renders to (a ``yield`` part gives one per item)."""
    results: list[list[str]] = [[]]
    for part in PurePosixPath(path).parts:
        variants = _render_part(env, delims, part, data)
        if variants is None:
            return []
        results = [[*r, v] for r in results for v in variants if v]
        if not results:
            return []
    return ["/".join(r) for r in results]


def _render_part(
    env: Any, delims: Delimiters, part: str, data: Mapping[str, Any]
) -> list[str] | None:
    """The names one path part renders to; copier's ``yield`` tag gives one per item."""
    bs, be = re.escape(delims.block_start), re.escape(delims.block_end)
    found = re.search(
        rf"{bs}-?\s*yield\s+(\w+)\s+from\s+(\w+)\s*-?{be}(.*?){bs}-?\s*endyield\s*-?{be}",
        part,
    )
    if not any(start in part for start in delims.starts):
        return [part]
    try:
        if found is None:
            return [str(env.from_string(part).render(**data))]
        name, source, body = found.groups()
        text = part[: found.start()] + body + part[found.end() :]
        items = data.get(source)
        if not isinstance(items, list | tuple):
            return []
        template = env.from_string(text)
        return [str(template.render(**{**data, name: item})) for item in items]
    except Exception:  # a name we cannot evaluate here is unknown, not a crash
        return None


# --- editing catalog.yaml as text -------------------------------------------------------------


def bump_minor(version: str) -> str:
    """``1.2.3`` -> ``1.3.0``."""
    major, minor, _patch = (int(p) for p in version.split("."))
    return f"{major}.{minor + 1}.0"


def _flow_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _quoted(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text, ensure_ascii=False)


def _mapping_get(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _compose(text: str, file: Path) -> yaml.MappingNode:
    from mlops_factory._yamlsafe import YamlProblem, compose

    try:
        nodes = compose(text)
    except YamlProblem as exc:
        raise FactoryError(f"{file}: not valid YAML: {exc}") from None
    node = nodes[0] if len(nodes) == 1 else None
    if not isinstance(node, yaml.MappingNode):
        raise FactoryError(f"{file}: expected a mapping at the top level")
    return node


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _last_content_line_end(text: str, limit: int) -> int:
    """The index just after the last line before ``limit`` that holds YAML content (not
    blank, not only a comment): where an entry appended to a block mapping goes."""
    head = text[:limit]
    lines = head.splitlines(keepends=True)
    pos = len(head)
    for line in reversed(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        pos -= len(line)
    if pos > 0 and not text[:pos].endswith("\n"):
        return _line_end(text, pos)
    return pos


def edit_catalog_text(
    text: str,
    file: Path,
    *,
    component: str,
    version: str,
    entry: Mapping[str, Any] | None,
    questions: Sequence[str],
    catalog_version: str,
) -> str:
    """``catalog.yaml`` text with ``component`` at ``version`` and ``questions``, and
    ``catalog_version`` set. ``entry`` (the fields of a new component) adds the component;
    None updates an existing one. Comments and layout elsewhere are kept."""
    top = _compose(text, file)
    edits: list[tuple[int, int, str]] = []
    found = _mapping_get(top, "catalog_version")
    if found is not None:
        _, value = found
        edits.append((value.start_mark.index, value.end_mark.index, _quoted(catalog_version)))
    comps = _mapping_get(top, "components")
    if comps is None or not isinstance(comps[1], yaml.MappingNode):
        raise FactoryError(f"{file}: field 'components' is not a mapping")
    comps_node = comps[1]
    if entry is None:
        pair = _mapping_get(comps_node, component)
        if pair is None or not isinstance(pair[1], yaml.MappingNode):
            raise FactoryError(f"{file}: component {component!r} is not a mapping")
        node = pair[1]
        if node.flow_style:
            return _dumped(text, file, component, version, None, questions, catalog_version)
        ver = _mapping_get(node, "version")
        if ver is None:
            raise FactoryError(f"{file}: component {component!r} has no version")
        edits.append((ver[1].start_mark.index, ver[1].end_mark.index, _quoted(version)))
        q = _mapping_get(node, "questions")
        if q is not None:
            key, value = q
            listed = (
                [v.value for v in value.value] if isinstance(value, yaml.SequenceNode) else None
            )
            if listed != list(questions):
                if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
                    # a block list may sit at the key's own indentation: rewrite from the key
                    end = value.value[-1].end_mark.index
                    edits.append((key.end_mark.index, end, f": {_flow_list(questions)}"))
                else:
                    edits.append(
                        (value.start_mark.index, value.end_mark.index, _flow_list(questions))
                    )
        elif questions:
            key = ver[0]
            at = _line_end(text, ver[1].end_mark.index)
            line = " " * key.start_mark.column + f"questions: {_flow_list(questions)}\n"
            edits.append((at, at, line))
    else:
        if comps_node.flow_style or not comps_node.value:
            return _dumped(text, file, component, version, entry, questions, catalog_version)
        first_key, first_value = comps_node.value[0]
        indent = first_key.start_mark.column
        inner = indent + 2
        if (
            isinstance(first_value, yaml.MappingNode)
            and first_value.value
            and not first_value.flow_style
        ):
            inner = first_value.value[0][0].start_mark.column
        pad = " " * inner
        lines = [" " * indent + f"{component}:", f"{pad}version: {_quoted(version)}"]
        lines.append(f"{pad}title: {_quoted(str(entry['title']))}")
        if entry.get("description"):
            lines.append(f"{pad}description: {_quoted(str(entry['description']))}")
        lines.append(f"{pad}requires: {_flow_list(entry.get('requires') or [])}")
        lines.append(f"{pad}questions: {_flow_list(questions)}")
        at = _last_content_line_end(text, comps_node.end_mark.index)
        block = "\n".join(lines) + "\n"
        if at > 0 and not text[:at].endswith("\n"):
            block = "\n" + block
        edits.append((at, at, block))
    out = text
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        out = out[:start] + new + out[end:]
    return out


def _dumped(
    text: str,
    file: Path,
    component: str,
    version: str,
    entry: Mapping[str, Any] | None,
    questions: Sequence[str],
    catalog_version: str,
) -> str:
    """The same edit by loading and dumping the whole file (flow-style catalogs only;
    their comments are lost)."""
    data = parse(text)
    data["catalog_version"] = catalog_version
    comps = data["components"]
    if entry is None:
        comps[component]["version"] = version
        comps[component]["questions"] = list(questions)
    else:
        comps[component] = {"version": version, **entry, "questions": list(questions)}
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def group_names(catalog: Catalog) -> set[str]:
    """Names that components cannot take: groups and the reserved ``none``."""
    return set(catalog.groups) | {NONE}
