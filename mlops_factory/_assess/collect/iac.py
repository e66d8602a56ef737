"""Infrastructure as code as one resource graph: resources and the references between them.

Formats: Terraform (python-hcl2, comments stripped first for line numbers),
CloudFormation and SAM (YAML with intrinsic tags such as ``!Ref``/``!GetAtt``/``!Sub``,
or JSON), ARM JSON, Bicep, Kubernetes manifests and Helm chart templates (template
directives stripped before reading), and AWS CDK apps in Python (through the
Python index). Nothing is evaluated: an interpolated string becomes a glob
(``"ps-${var.x}"`` -> ``ps-*``), so a name built from variables can still be matched.

A resource knows what it references: explicit references (``!Ref``,
``aws_sns_topic.t.arn``, ``resourceId(...)``, ``dependsOn``, a CDK variable passed
to a construct) and the literal names it mentions. Signals ask the graph
questions (:func:`retraining_loops`, :func:`prediction_capture`, ...).
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlops_factory._assess.collect.files import find_line, is_ci_path, snippet, yaml_files
from mlops_factory._assess.collect.yamlread import YMap, load_yaml_all
from mlops_factory._assess.snapshot import RepoSnapshot

_CACHE_KEY = "collect.iac"
_MAX_STRINGS = 400
_MAX_HOPS = 5


@dataclass(frozen=True, slots=True)
class IacResource:
    """One declared infrastructure resource (or module), the flat view of a :class:`Resource`."""

    path: str
    line: int
    kind: str  # Terraform, Bicep, ARM, CloudFormation
    type: str
    snippet: str


@dataclass(slots=True)
class Resource:
    """A node of the graph: one resource, module call, manifest or CDK construct."""

    path: str
    line: int
    #: Terraform, CloudFormation, ARM, Bicep, Kubernetes, Helm, CDK
    format: str
    #: The provider's type: ``aws_sns_topic``, ``AWS::SNS::Topic``, a k8s kind, a CDK class.
    type: str
    #: The address others use to refer to it (``aws_sns_topic.t``, a logical id, a symbol).
    name: str
    props: Any = None
    snippet: str = ""
    #: Names of other resources this one refers to (explicit references).
    refs: set[str] = field(default_factory=set)
    #: Literal strings and globs (from interpolations) in its properties.
    strings: tuple[str, ...] = ()
    #: The strings under keys that name things (``name``, ``topic``, ``function_name``,
    #: ``resource``...): what it calls itself and what it points to by name.
    names: tuple[str, ...] = ()
    #: The folder a Terraform module call's source points to.
    module_dir: str = ""

    @property
    def text(self) -> str:
        """The resource's type and strings, lowercased (for keyword questions)."""
        return " ".join((self.type, self.name, *self.strings)).lower()

    def get(self, *keys: str) -> Any:
        """A nested property (case-insensitive keys, CamelCase or snake_case)."""
        node = self.props
        for key in keys:
            node = _get(node, key)
            if node is None:
                return None
        return node


def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


def _get(node: Any, key: str) -> Any:
    if isinstance(node, list) and node and isinstance(node[0], dict):
        node = node[0]  # HCL blocks come as one-item lists
    if not isinstance(node, dict):
        return None
    want = _norm(key)
    for k, v in node.items():
        if isinstance(k, str) and _norm(k) == want:
            return v
    return None


class IacGraph:
    """All resources of a snapshot and the edges between them (undirected for queries)."""

    def __init__(self, resources: list[Resource]) -> None:
        self.resources = resources
        self._by_name: dict[str, list[Resource]] = {}
        for r in resources:
            self._by_name.setdefault(r.name, []).append(r)
        self._edges: dict[int, set[int]] = {i: set() for i in range(len(resources))}
        index = {id(r): i for i, r in enumerate(resources)}
        self._index = index
        names = {r.name for r in resources}
        for i, r in enumerate(resources):
            for ref in r.refs:
                for other in self._by_name.get(ref, ()):
                    j = index[id(other)]
                    if j != i:
                        self._link(i, j)
                if ref not in names and ref.startswith("module."):
                    continue
            if r.module_dir:
                # A module call stands for what its folder declares.
                for j, other in enumerate(resources):
                    if other.path.startswith(r.module_dir + "/") and j != i:
                        self._link(i, j)
        self._link_by_names(index)

    def _link(self, i: int, j: int) -> None:
        self._edges[i].add(j)
        self._edges[j].add(i)

    def _link_by_names(self, index: dict[int, int]) -> None:
        """Resources that name each other: a literal of one matches another's name or glob."""
        literals: dict[str, set[int]] = {}
        globs: list[tuple[str, int]] = []
        for i, r in enumerate(self.resources):
            for s in r.names:
                last = s.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
                if "*" in last and len(last.replace("*", "")) >= 3:
                    globs.append((last, i))
                elif "*" not in last and len(last) >= 4:
                    literals.setdefault(last, set()).add(i)
        for pattern, i in globs:
            for lit, holders in literals.items():
                if fnmatch.fnmatchcase(lit, pattern):
                    for j in holders:
                        if j != i:
                            self._link(i, j)
        for holders in literals.values():
            if 1 < len(holders) <= 6:
                ordered = sorted(holders)
                for j in ordered[1:]:
                    self._link(ordered[0], j)

    def neighbours(self, r: Resource) -> list[Resource]:
        i = self._index[id(r)]
        return [self.resources[j] for j in sorted(self._edges[i])]

    def paths_from(
        self, start: Resource, through: Any, goal: Any, hops: int = _MAX_HOPS
    ) -> list[Resource] | None:
        """The shortest path from ``start`` to a resource satisfying ``goal``, passing only
        through resources satisfying ``through`` (breadth first, bounded)."""
        first = self._index[id(start)]
        prev: dict[int, int] = {first: -1}
        frontier = [first]
        for _ in range(hops):
            nxt: list[int] = []
            for i in frontier:
                for j in sorted(self._edges[i]):
                    if j in prev:
                        continue
                    prev[j] = i
                    node = self.resources[j]
                    if goal(node):
                        path = [j]
                        while prev[path[-1]] != -1:
                            path.append(prev[path[-1]])
                        return [self.resources[k] for k in reversed(path)]
                    if through(node):
                        nxt.append(j)
            frontier = nxt
        return None


# ---------------------------------------------------------------------- entry point


def load_iac(snap: RepoSnapshot) -> IacGraph:
    """The resource graph of every IaC file in the snapshot (built once, cached)."""
    cached = snap.cache.get(_CACHE_KEY)
    if isinstance(cached, IacGraph):
        return cached
    resources: list[Resource] = []
    resources.extend(_terraform(snap))
    resources.extend(_cloudformation(snap))
    resources.extend(_arm(snap))
    resources.extend(_bicep(snap))
    resources.extend(_kubernetes(snap))
    resources.extend(_cdk(snap))
    graph = IacGraph(resources)
    snap.cache[_CACHE_KEY] = graph
    return graph


def iac_resources(snap: RepoSnapshot) -> list[IacResource]:
    """Resources declared in Terraform, Bicep, ARM and CloudFormation files (cached)."""
    out: list[IacResource] = []
    for r in load_iac(snap).resources:
        if r.format in ("Terraform", "Bicep", "ARM", "CloudFormation"):
            out.append(IacResource(r.path, r.line, r.format, r.type, r.snippet))
    return out


# ---------------------------------------------------------------------- strings and refs

_INTERP = re.compile(r"\$\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")
_QUOTED = re.compile(r'\\?"([A-Za-z0-9][\w./:-]{3,})\\?"')


def _as_glob(text: str) -> str:
    """``"ps-${var.x}"`` -> ``ps-*``; a whole expression keeps its quoted literals only."""
    return _INTERP.sub("*", text)


def nodes(data: Any, budget: int = 5000) -> Iterator[tuple[str, Any]]:
    """Every (key, node) in nested YAML/JSON/HCL data, depth first, bounded and safe
    against shared or recursive nodes; internal ``__`` keys skipped; list items come
    with their list's key."""
    stack: list[tuple[str, Any]] = [("", data)]
    seen: set[int] = set()
    while stack and budget > 0:
        budget -= 1
        key, node = stack.pop()
        yield key, node
        if isinstance(node, dict | list):
            if id(node) in seen:
                continue
            seen.add(id(node))
        if isinstance(node, dict):
            stack.extend(
                (str(k), v) for k, v in reversed(node.items()) if not str(k).startswith("__")
            )
        elif isinstance(node, list):
            stack.extend((key, v) for v in reversed(node))


def _strings(data: Any, budget: int = _MAX_STRINGS) -> list[str]:
    """Literal strings (and globs of interpolated ones) in nested data, bounded."""
    out: list[str] = []
    for _key, node in nodes(data):
        if len(out) >= budget:
            break
        if isinstance(node, str):
            text = node.strip()
            if text.startswith("${") and text.endswith("}") and _INTERP.fullmatch(text):
                out.extend(m.group(1) for m in _QUOTED.finditer(text))
                continue
            text = text.strip('"')
            if text:
                out.append(_as_glob(text) if "${" in text else text)
    return out


# ---------------------------------------------------------------------- Terraform

_TF_ADDR = re.compile(
    r"\b(module|data)\.([\w-]+)(?:\.([\w-]+))?|\b([a-z][a-z0-9]*_[\w]+)\.([\w-]+)"
)
_TF_BLOCK = re.compile(
    r'^[ \t]*(resource|module|data)[ \t]+"([^"\n]+)"(?:[ \t]+"([^"\n]+)")?[ \t]*\{', re.M
)
_SPECIAL_HCL = re.compile(r'/\*|//|#|<<-?[ \t]*([A-Za-z_]\w*)|"')
_SPECIAL_BICEP = re.compile(r"/\*|//|'''|'")


def strip_comments(text: str, *, hash_comments: bool, quote: str) -> str:
    """Blank comments (and heredoc/multi-line string bodies), keeping every newline."""
    special = _SPECIAL_HCL if hash_comments else _SPECIAL_BICEP
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        m = special.search(text, i)
        if m is None:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        i = m.start()
        token = m.group(0)
        if token == "/*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(_blank(text[i:end]))
        elif token in ("//", "#"):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
        elif token == "'''":
            end = text.find("'''", i + 3)
            end = n if end < 0 else end + 3
            out.append("'" + _blank(text[i + 1 : end - 1]) + "'")
        elif token.startswith("<<"):
            close = re.compile(rf"^\s*{re.escape(m.group(1))}\s*$", re.M)
            found = close.search(text, m.end())
            end = n if found is None else found.end()
            out.append('""' + _blank(text[i + 2 : end]))
        else:  # a quoted string: kept (resource types live in strings), comments inside it too
            j = i + 1
            while j < n and text[j] != quote and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            end = min(j + 1, n)
            out.append(text[i:end])
        i = end
    return "".join(out)


def _blank(chunk: str) -> str:
    return re.sub(r"[^\n]", " ", chunk)


def _tf_refs(data: Any) -> set[str]:
    refs: set[str] = set()
    for s in _raw_strings(data):
        if "${" not in s and "." not in s:
            continue
        for m in _TF_ADDR.finditer(s):
            if m.group(1):
                refs.add(
                    f"{m.group(1)}.{m.group(2)}"
                    if m.group(1) == "module"
                    else f"data.{m.group(2)}.{m.group(3) or ''}"
                )
            else:
                refs.add(f"{m.group(4)}.{m.group(5)}")
    return refs


_NAME_KEY = re.compile(
    r"(^|_)(name|topic|topic_?arn|topic_?name|function_?name|resource|target|arn|rule|queue"
    r"|endpoint|pipeline_?name|channel|state_?machine_?arn|workflow)s?$",
    re.I,
)


def _names(data: Any) -> tuple[str, ...]:
    """Strings under name-like keys (``name``, ``topic``, ``FunctionName``, ``resource``)."""
    out: list[str] = []
    for key, node in nodes(data, 3000):
        if key and _NAME_KEY.search(re.sub(r"(?<=[a-z])(?=[A-Z])", "_", key)):
            out.extend(_strings(node, 20))
    return tuple(dict.fromkeys(out))[:100]


def _raw_strings(data: Any) -> Iterator[str]:
    return (node for _key, node in nodes(data) if isinstance(node, str))


def _terraform(snap: RepoSnapshot) -> Iterator[Resource]:
    for entry, text in snap.iter_text(snap.by_suffix(".tf")):
        clean = strip_comments(text, hash_comments=True, quote='"')
        lines = text.splitlines()
        where: dict[tuple[str, str, str], int] = {}
        for m in _TF_BLOCK.finditer(clean):
            where[(m.group(1), m.group(2), m.group(3) or "")] = clean.count("\n", 0, m.start()) + 1
        if not where:
            continue
        # Only files declaring a resource the graph questions are about get a full parse
        # (python-hcl2 is slow); the others keep their resource types, without properties.
        relevant = any(_TF_RELEVANT.match(rtype) for _b, rtype, _n in where)
        data = _hcl(snap, entry.path, text) if relevant else {}
        folder = posixpath.dirname(entry.path)
        for (block, rtype, name), line in where.items():
            body = _hcl_block(data, block, rtype, name)
            snip = snippet(lines[line - 1])
            if block == "module":
                source = str(_get(body, "source") or "").strip('"') or _module_source(clean, line)
                mdir = ""
                if source.startswith("."):
                    mdir = posixpath.normpath(posixpath.join(folder, source))
                yield Resource(
                    entry.path,
                    line,
                    "Terraform",
                    f"module {rtype}",
                    f"module.{rtype}",
                    body,
                    snip,
                    _tf_refs(body),
                    tuple(_strings(body)),
                    module_dir=mdir,
                    names=_names(body),
                )
            else:
                address = f"{rtype}.{name}" if block == "resource" else f"data.{rtype}.{name}"
                props = dict(body) if isinstance(body, dict) else {}
                props["__module_dir__"] = folder
                yield Resource(
                    entry.path,
                    line,
                    "Terraform" if block == "resource" else "Terraform data",
                    rtype,
                    address,
                    props,
                    snip,
                    _tf_refs(body),
                    tuple(_strings(body)),
                    names=_names(body),
                )


#: Resource types whose properties the graph questions read (alarms, topics, rules,
#: functions, pipelines, endpoints, schedules, monitors, code archives).
_TF_RELEVANT = re.compile(
    r"aws_(cloudwatch|sns|lambda|sagemaker|codepipeline|codebuild|codecommit|scheduler|sfn"
    r"|pipes)|google_(monitoring|pubsub|cloudfunctions|cloud_scheduler|vertex|workflows"
    r"|cloud_run|eventarc|storage_bucket_object|cloudbuild)|azurerm_(monitor|eventgrid"
    r"|logic_app|function_app|linux_function_app|machine_learning)|databricks_job|archive_file"
)


def _module_source(clean: str, line: int) -> str:
    """A module block's ``source`` read from its text (when the file was not parsed)."""
    rest = "\n".join(clean.splitlines()[line - 1 : line + 40])
    m = re.search(r'^\s*source\s*=\s*"([^"\n]+)"', rest, re.M)
    return m.group(1) if m else ""


#: python-hcl2 (a lark grammar) is slow on very large files: beyond this, blocks are
#: found by their headers only.
_MAX_HCL_CHARS = 300_000


def _hcl(snap: RepoSnapshot, path: str, text: str) -> dict[str, Any]:
    if len(text) > _MAX_HCL_CHARS:
        return {}
    try:
        import hcl2
        from hcl2.utils import SerializationOptions

        data = hcl2.loads(
            text,
            serialization_options=SerializationOptions(
                strip_string_quotes=True, with_comments=False
            ),
        )
    except Exception:  # python-hcl2 raises lark errors of many kinds on invalid HCL
        snap.record_unreadable(path, "invalid Terraform (HCL)")
        return {}
    return data if isinstance(data, dict) else {}


def _hcl_block(data: dict[str, Any], block: str, rtype: str, name: str) -> Any:
    for item in data.get(block, ()) or ():
        if not isinstance(item, dict):
            continue
        body = item.get(rtype) if rtype in item else item.get(f'"{rtype}"')
        if block == "module":
            if body is not None:
                return body
            continue
        if isinstance(body, dict):
            found = body.get(name) if name in body else body.get(f'"{name}"')
            if found is not None:
                return found
    return {}


# ---------------------------------------------------------------------- CloudFormation / SAM


def _cfn_refs(data: Any) -> set[str]:
    """Logical ids referenced by ``Ref``, ``Fn::GetAtt`` and ``${X}`` in ``Fn::Sub``."""
    refs: set[str] = set()
    for _key, node in nodes(data):
        if not isinstance(node, dict):
            continue
        ref = node.get("Ref")
        if isinstance(ref, str):
            refs.add(ref)
        att = node.get("Fn::GetAtt")
        target = (
            att.split(".", 1)[0]
            if isinstance(att, str)
            else (att[0] if isinstance(att, list) and att and isinstance(att[0], str) else "")
        )
        if target:
            refs.add(target)
        sub = node.get("Fn::Sub")
        text = sub if isinstance(sub, str) else (sub[0] if isinstance(sub, list) and sub else "")
        if isinstance(text, str):
            refs.update(m.split(".", 1)[0] for m in re.findall(r"\$\{([\w.]+)\}", text))
    return refs


def _cfn_template(
    snap: RepoSnapshot, path: str, doc: dict[str, Any], text: str
) -> Iterator[Resource]:
    resources = doc.get("Resources")
    if not isinstance(resources, dict):
        return
    for logical, res in resources.items():
        if not isinstance(res, dict):
            continue
        rtype = res.get("Type")
        if not isinstance(rtype, str) or "::" not in rtype:
            continue
        line = (
            res.line
            if isinstance(res, YMap)
            else find_line(text, rf'"?{re.escape(logical)}"?\s*:')[0]
        )
        props = res.get("Properties")
        refs = _cfn_refs(props)
        refs.update(str(d) for d in _listish(res.get("DependsOn")))
        lines = text.splitlines()
        snip = snippet(lines[line - 1]) if 0 < line <= len(lines) else ""
        yield Resource(
            path,
            line,
            "CloudFormation",
            rtype,
            str(logical),
            props,
            snip,
            refs,
            tuple(_strings(props)),
            names=(str(logical), *_names(props)),
        )


def _listish(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _cloudformation(snap: RepoSnapshot) -> Iterator[Resource]:
    for entry in yaml_files(snap):
        text = snap.read_text(entry.path)
        if not text or "AWS::" not in text or "Resources" not in text:
            continue
        for doc in load_yaml_all(snap, entry.path, intrinsics=True):
            if isinstance(doc.get("Resources"), YMap):
                yield from _cfn_template(snap, entry.path, doc, text)
    for entry in snap.by_suffix(".json", ".template"):
        if is_ci_path(entry.path) or "/data/" in f"/{entry.path}":
            continue
        text = snap.read_text(entry.path)
        if not text or '"AWS::' not in text or '"Resources"' not in text:
            continue
        doc = _json(snap, entry.path, text)
        if isinstance(doc, dict):
            yield from _cfn_template(snap, entry.path, doc, text)


def _json(snap: RepoSnapshot, path: str, text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        snap.record_unreadable(path, "invalid JSON")
        return None


# ---------------------------------------------------------------------- ARM and Bicep

_ARM_HINT = re.compile(
    r"(azuredeploy|template|deploy|arm|infra|iac|bicep|main|\.azure|resources)", re.I
)
_ARM_NAME = re.compile(r"(?:parameters|variables)\('([\w-]+)'\)|'([\w./-]{4,})'")


def _arm(snap: RepoSnapshot) -> Iterator[Resource]:
    for entry in snap.by_suffix(".json"):
        # ARM templates by path: data folders can hold thousands of JSON files.
        if not _ARM_HINT.search(entry.path) or "/data/" in f"/{entry.path}":
            continue
        text = snap.read_text(entry.path)
        if not text or "deploymentTemplate" not in text:
            continue
        doc = _json(snap, entry.path, text)
        if not isinstance(doc, dict) or "deploymentTemplate" not in str(doc.get("$schema", "")):
            continue
        stack: list[tuple[Any, str]] = [(doc.get("resources"), "")]
        while stack:
            items, parent = stack.pop()
            for res in items if isinstance(items, list) else []:
                if not isinstance(res, dict) or not isinstance(res.get("type"), str):
                    continue
                rtype = (
                    res["type"] if "/" in res["type"] or not parent else f"{parent}/{res['type']}"
                )
                name = str(res.get("name", ""))
                line, snip = find_line(text, re.escape(json.dumps(res["type"])))
                refs = {
                    m.group(1) or m.group(2)
                    for s in _raw_strings(res.get("dependsOn"))
                    for m in _ARM_NAME.finditer(s)
                }
                for s in _raw_strings(res.get("properties")):
                    if s.startswith("["):
                        refs.update(m.group(1) or m.group(2) for m in _ARM_NAME.finditer(s))
                names = {m.group(1) or m.group(2) for m in _ARM_NAME.finditer(name)} or {name}
                for alias in names:
                    yield Resource(
                        entry.path,
                        line,
                        "ARM",
                        rtype,
                        alias,
                        res.get("properties"),
                        snip,
                        refs,
                        tuple(_strings(res.get("properties"))),
                        names=(alias, *_names(res.get("properties"))),
                    )
                    break
                stack.append((res.get("resources"), rtype))


_BICEP_BLOCK = re.compile(
    r"^[ \t]*(resource|module)[ \t]+(\w+)[ \t]+'([^'\n]+)'[ \t]*(existing[ \t]*)?=", re.M
)
_BICEP_STRING = re.compile(r"'((?:[^'\\\n]|\\.)*)'")
_BICEP_PAIR = re.compile(r"\b(\w+)\s*:\s*'((?:[^'\\\n]|\\.)*)'")


def _bicep(snap: RepoSnapshot) -> Iterator[Resource]:
    for entry, text in snap.iter_text(snap.by_suffix(".bicep")):
        clean = strip_comments(text, hash_comments=False, quote="'")
        lines = text.splitlines()
        blocks = list(_BICEP_BLOCK.finditer(clean))
        symbols = {m.group(2) for m in blocks}
        for k, m in enumerate(blocks):
            if m.group(4):
                continue  # `existing` only references a resource made elsewhere
            end = blocks[k + 1].start() if k + 1 < len(blocks) else len(clean)
            body = clean[m.end() : end]
            line = clean.count("\n", 0, m.start()) + 1
            rtype = m.group(3).split("@", 1)[0]
            rtype = rtype if m.group(1) == "resource" else f"module {rtype}"
            words = set(re.findall(r"\b([A-Za-z_]\w*)\.", body)) | set(
                re.findall(r"dependsOn:\s*\[([^\]]*)\]", body)
            )
            refs = {w for w in words if w in symbols and w != m.group(2)}
            strings = [re.sub(r"\$\{[^}]*\}", "*", s) for s in _BICEP_STRING.findall(body)][
                :_MAX_STRINGS
            ]
            props = {"__text__": body}
            named = tuple(
                re.sub(r"\$\{[^}]*\}", "*", v)
                for k, v in _BICEP_PAIR.findall(body)
                if _NAME_KEY.search(re.sub(r"(?<=[a-z])(?=[A-Z])", "_", k))
            )
            yield Resource(
                entry.path,
                line,
                "Bicep",
                rtype,
                m.group(2),
                props,
                snippet(lines[line - 1]),
                refs,
                tuple(strings),
                names=named,
            )


# ---------------------------------------------------------------------- Kubernetes and Helm

_HELM_LINE = re.compile(r"^\s*\{\{-?.*-?\}\}\s*$")
_HELM_INLINE = re.compile(r"\{\{-?.*?-?\}\}")


def strip_helm(text: str) -> str:
    """A Helm template as plain YAML: directive-only lines dropped, inline ones as ``x``."""
    out: list[str] = []
    for line in text.splitlines():
        if _HELM_LINE.match(line):
            out.append("")
        else:
            out.append(_HELM_INLINE.sub("x", line))
    return "\n".join(out)


def _kubernetes(snap: RepoSnapshot) -> Iterator[Resource]:
    for entry in snap.by_suffix(".yml", ".yaml"):
        path = entry.path
        if is_ci_path(path):
            continue
        text = snap.read_text(path)
        if not text or "apiVersion" not in text or "kind" not in text:
            continue
        helm = "{{" in text and "/templates/" in f"/{path}"
        if helm:
            from mlops_factory._assess.collect.yamlread import parse_yaml_docs

            try:
                docs = parse_yaml_docs(strip_helm(text))
            except Exception:  # a template that is not YAML even once stripped
                continue
        elif "{{" in text or "{%" in text:
            continue
        else:
            docs = load_yaml_all(snap, path)
        for doc in docs:
            kind, api = doc.get("kind"), doc.get("apiVersion")
            if not isinstance(kind, str) or not isinstance(api, str):
                continue
            meta = doc.get("metadata")
            name = meta.str("name") if isinstance(meta, YMap) else ""
            spec = doc.get("spec")
            yield Resource(
                path,
                doc.line,
                "Helm" if helm else "Kubernetes",
                f"{api}/{kind}",
                f"{kind}/{name}",
                doc,
                snippet(kind),
                _k8s_refs(spec),
                tuple(_strings(spec)),
            )


_K8S_REF_KINDS = {
    "workflowTemplateRef": "WorkflowTemplate",
    "pipelineRef": "Pipeline",
    "taskRef": "Task",
}


def _k8s_refs(spec: Any) -> set[str]:
    """``Kind/name`` of the resources a manifest refers to by name."""
    refs: set[str] = set()
    for key, node in nodes(spec, 3000):
        if key in _K8S_REF_KINDS and isinstance(node, dict):
            refs.add(f"{_K8S_REF_KINDS[key]}/{node.get('name', '')}")
        elif key == "eventSourceName" and isinstance(node, str):
            refs.add(f"EventSource/{node}")
    return refs


# ---------------------------------------------------------------------- CDK (Python)


_IDENT = re.compile(r"[A-Za-z_][\w.]*")
_METHOD_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*)\.\w+\(")


def _cdk(snap: RepoSnapshot) -> Iterator[Resource]:
    """CDK constructs (``Construct(scope, "Id", ...)`` calls into ``aws_cdk``) of Python apps.

    A construct's text runs from its line to the next construct's; the variables of
    other constructs named there are its references. A later method call on a
    construct's variable (``rule.add_target(...)``) adds to that construct's text.
    """
    from mlops_factory._assess._pyindex import Ref, python_index

    index = python_index(snap)
    for pf in index.files("source", words=("aws_cdk",)):
        if not pf.imports_any("aws_cdk"):
            continue
        constructs = [
            c
            for c in pf.calls
            if c.name.startswith("aws_cdk.")
            and not c.decorator
            and c.last[:1].isupper()
            and len(c.args) >= 2
            and isinstance(c.args[0], Ref)
            and isinstance(c.args[1], str)
        ]
        if not constructs:
            continue
        constructs.sort(key=lambda c: c.line)
        assigned = {a.line: a.target for a in pf.assigns}
        var_of = {c.line: assigned.get(c.line, "") for c in constructs}
        owner_by_var = {v: line for line, v in var_of.items() if v}
        texts: dict[int, list[str]] = {c.line: [] for c in constructs}
        strings: dict[int, list[str]] = {c.line: [] for c in constructs}
        by_line = dict.fromkeys(range(1, len(pf.lines) + 1), 0)
        current = 0
        for number in range(1, len(pf.lines) + 1):
            if number in texts:
                current = number
            line = pf.lines[number - 1]
            m = _METHOD_LINE.match(line)
            owner = owner_by_var.get(m.group(1)) if m else None
            target = owner if owner is not None and number not in texts else current
            by_line[number] = target
            if target:
                texts[target].append(line.split("#", 1)[0])
        for s_text, number in pf.strings:
            owner_line = by_line.get(number, 0)
            if owner_line:
                strings[owner_line].append(s_text)
        names = {v for v in var_of.values() if v}
        for c in constructs:
            var = var_of[c.line]
            words = {
                w.split(".", 1)[0] if not w.startswith("self.") else ".".join(w.split(".", 2)[:2])
                for w in _IDENT.findall(" ".join(texts[c.line]))
            }
            refs = {w for w in words if w in names and w != var}
            props: dict[str, Any] = {k: v for k, v in c.kwargs if not isinstance(v, Ref)}
            props["__text__"] = "\n".join(texts[c.line])
            found = strings[c.line][:_MAX_STRINGS]
            yield Resource(
                pf.path,
                c.line,
                "CDK",
                c.name,
                var or f"{c.name}@{c.line}",
                props,
                pf.snippet(c.line),
                refs,
                tuple(found),
            )


def resources_in(graph: IacGraph, paths: Iterable[str]) -> list[Resource]:
    wanted = set(paths)
    return [r for r in graph.resources if r.path in wanted]
