"""A shared index of what the repo's Python code does, built lazily, never imported or run.

Every signal that looks at Python asks this index instead of parsing files
itself. A file is parsed (``ast``) at most once per assessment, and only when
it contains one of the words a signal asks for: a cheap word prefilter over
the file text keeps the parser off the thousands of modules that cannot
matter. Notebooks are indexed from their code cells (IPython magics blanked);
evidence from them is weak.

What a parsed file records (:class:`PyFile`): imports and aliases, calls as
resolved dotted names (``pd.read_csv`` -> ``pandas.read_csv``) with their
positional and keyword arguments where these are constants, decorators (with
their route strings), function and class definitions, asserts with the names
and comparison operators they use, comparisons, string constants and simple
assignments, each with its line and enclosing function. Code under
``if False:``/``if 0:``/``if TYPE_CHECKING:`` or behind a module-level flag set
to False is skipped: it never runs, so it is no evidence.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from mlops_factory._assess.model import Evidence
from mlops_factory._assess.snapshot import RepoSnapshot

Group = Literal["source", "test", "notebook"]

_CACHE_KEY = "pyindex"
_TEST_DIRS = frozenset({"tests", "test"})
#: Notebooks embed outputs (images); their code is small, the file may not be.
NOTEBOOK_MAX_BYTES = 8 * 1_048_576
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAGIC = re.compile(r"^\s*[%!]|^\s*\w[\w.]*\?\??\s*$")
_PY_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun")
#: Calls whose argument names are recorded (logging/writing sinks and asserts).
SINKS = frozenset(
    {
        "info",
        "debug",
        "warning",
        "log",
        "write",
        "writerow",
        "writerows",
        "to_csv",
        "to_parquet",
        "to_json",
        "insert",
        "insert_one",
        "insert_many",
        "send",
        "send_batch",
        "publish",
        "put_item",
        "upload_blob",
        "track_event",
        "emit",
        "collect",
        "append",
        "dump",
    }
)


def is_test_path(path: str) -> bool:
    """Test files: under a ``tests/``/``test/`` folder, or named ``test_*.py``/``*_test.py``."""
    parts = path.split("/")
    name = parts[-1]
    if any(p in _TEST_DIRS for p in parts[:-1]):
        return True
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


@dataclass(frozen=True, slots=True)
class Ref:
    """A non-constant argument: the dotted name it refers to ("" for expressions)."""

    name: str


@dataclass(frozen=True, slots=True)
class Call:
    """One call (or decorator). ``name`` is the resolved dotted callee."""

    name: str
    line: int
    scope: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    argnames: frozenset[str] = frozenset()
    decorator: bool = False

    @property
    def last(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def kw(self, key: str, default: Any = None) -> Any:
        for k, v in self.kwargs:
            if k == key:
                return v
        return default

    def has_kw(self, key: str) -> bool:
        return any(k == key for k, _ in self.kwargs)


@dataclass(frozen=True, slots=True)
class Def:
    """A function or class definition."""

    name: str
    line: int
    kind: Literal["function", "class"]
    scope: str
    bases: tuple[str, ...] = ()
    decorators: tuple[str, ...] = ()

    @property
    def qualname(self) -> str:
        return f"{self.scope}.{self.name}" if self.scope else self.name


@dataclass(frozen=True, slots=True)
class Check:
    """An ``assert``, a ``self.assert*``/``assert_*`` call, or a comparison."""

    line: int
    scope: str
    names: frozenset[str]
    ops: frozenset[str]
    kind: Literal["assert", "compare"] = "assert"


@dataclass(frozen=True, slots=True)
class Assign:
    """``target = value`` where value is a constant, a dict (``("dict", keys)``) or a list
    of strings (``("list", items)``)."""

    target: str
    line: int
    scope: str
    value: Any


@dataclass
class PyFile:
    """What one Python file (or notebook's code cells) does."""

    path: str
    notebook: bool
    test: bool
    lines: list[str]
    imports: dict[str, int] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    defs: list[Def] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    strings: list[tuple[str, int]] = field(default_factory=list)
    assigns: list[Assign] = field(default_factory=list)
    #: Lines under an ``if`` whose test is not fixed in the source: (first, last, names in
    #: the test). Code there runs only when the condition holds (``if args.use_wandb:``).
    guards: list[tuple[int, int, frozenset[str]]] = field(default_factory=list)
    #: Identifiers and attribute names used (only when parsed with ``names=True``).
    names: set[str] = field(default_factory=set)
    #: Notebook only: the raw .ipynb lines, to point evidence at the real file line.
    raw_lines: list[str] | None = None

    @property
    def weak(self) -> bool:
        return self.notebook

    def imports_any(self, *modules: str) -> bool:
        """True when the file imports one of ``modules`` or a submodule of it."""
        return any(_is_within(m, mod) for m in self.imports for mod in modules)

    def guarded_by(self, line: int) -> frozenset[str]:
        """The names in the tests of the ``if`` statements that enclose ``line``."""
        out: frozenset[str] = frozenset()
        for first, last, names in self.guards:
            if first <= line <= last:
                out = out | names
        return out

    def snippet(self, line: int) -> str:
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1].strip()[:120]
        return ""

    def evidence(self, line: int, note: str, *, weak: bool = False) -> Evidence:
        """Evidence at ``line``; notebook evidence is weak and points into the .ipynb."""
        snippet = self.snippet(line)
        if not self.notebook:
            return Evidence(self.path, line, snippet, note, weak=weak)
        return Evidence(
            self.path, self._raw_line(snippet), snippet, f"{note} (in a notebook)", weak=True
        )

    def _raw_line(self, snippet: str) -> int | None:
        if not snippet or self.raw_lines is None:
            return None
        needle = json.dumps(snippet)[1:-1]
        for number, raw in enumerate(self.raw_lines, start=1):
            if needle in raw:
                return number
        return None


def _is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".") or name.startswith(prefix + "(")


# ------------------------------------------------------------------ the index


class PyIndex:
    """Lazily parsed Python files of one snapshot. Get it with :func:`python_index`."""

    def __init__(self, snap: RepoSnapshot) -> None:
        self.snap = snap
        self.sources: list[str] = []
        self.tests: list[str] = []
        for entry in snap.by_suffix(".py"):
            (self.tests if is_test_path(entry.path) else self.sources).append(entry.path)
        self.notebooks: list[str] = [e.path for e in snap.by_suffix(".ipynb")]
        self._words: dict[str, frozenset[str]] = {}
        self._parsed: dict[str, PyFile | None] = {}

    def paths(self, group: Group) -> list[str]:
        return {"source": self.sources, "test": self.tests, "notebook": self.notebooks}[group]

    def text(self, path: str) -> str | None:
        cap = NOTEBOOK_MAX_BYTES if path.endswith(".ipynb") else None
        return self.snap.read_text(path, max_bytes=cap)

    def words(self, path: str) -> frozenset[str]:
        """The identifiers in the file text (comments and strings included; a prefilter)."""
        found = self._words.get(path)
        if found is None:
            text = self.text(path)
            found = frozenset(_WORD.findall(text)) if text else frozenset()
            self._words[path] = found
        return found

    def files(
        self,
        group: Group,
        words: Iterable[str] = (),
        substrings: Iterable[str] = (),
        where: Callable[[frozenset[str]], bool] | None = None,
    ) -> Iterator[PyFile]:
        """Parsed files of ``group`` that pass the prefilter: the text has one of ``words``
        as an identifier, contains one of ``substrings``, or its identifier set satisfies
        ``where``. With no prefilter at all, every file of the group."""
        wanted = frozenset(words)
        subs = tuple(substrings)
        for path in self.paths(group):
            if wanted or subs or where is not None:
                found = self.words(path)
                hit = (bool(wanted) and not wanted.isdisjoint(found)) or (
                    where is not None and where(found)
                )
                if not hit and subs:
                    text = self.text(path) or ""
                    hit = any(s in text for s in subs)
                if not hit:
                    continue
            parsed = self.parse(path)
            if parsed is not None:
                yield parsed

    def parse(self, path: str) -> PyFile | None:
        """The parsed file (cached); None when unreadable or not Python."""
        if path in self._parsed:
            return self._parsed[path]
        text = self.text(path)
        parsed: PyFile | None = None
        if text is not None:
            if path.endswith(".ipynb"):
                parsed = self._parse_notebook(path, text)
            else:
                parsed = self._parse_module(path, text)
        self._parsed[path] = parsed
        return parsed

    def _parse_module(self, path: str, text: str) -> PyFile | None:
        try:
            return parse_python(path, text)
        except SyntaxError as exc:
            self.snap.record_unreadable(path, f"invalid Python: {exc.msg} (line {exc.lineno})")
        except RecursionError:  # absurdly nested expressions: say so, do not crash
            self.snap.record_unreadable(path, "invalid Python: nested too deeply to read")
        except (ValueError, MemoryError) as exc:
            self.snap.record_unreadable(path, f"invalid Python: {type(exc).__name__}")
        return None

    def _parse_notebook(self, path: str, text: str) -> PyFile | None:
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            self.snap.record_unreadable(path, "invalid notebook: not JSON")
            return None
        cells = doc.get("cells") if isinstance(doc, dict) else None
        if not isinstance(cells, list):
            self.snap.record_unreadable(path, "invalid notebook: no cells")
            return None
        lines: list[str] = []
        pf = PyFile(path, notebook=True, test=False, lines=lines, raw_lines=text.splitlines())
        extractor = _Extractor(pf)
        for cell in cells:
            source = _cell_source(cell)
            if source is None:
                continue
            offset = len(lines)
            lines.extend(source)
            try:
                tree = ast.parse("\n".join(source))
                extractor.feed(tree, offset)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue  # a broken cell says nothing; the others still count
        return pf


def parse_python(path: str, text: str, *, names: bool = False) -> PyFile:
    """Parse one module's text into a :class:`PyFile` (the one Python reader).

    ``names=True`` also records every identifier and attribute name the code uses
    (:attr:`PyFile.names`), for callers that ask which definitions a file refers to.
    Raises ``SyntaxError``, ``ValueError``, ``RecursionError`` or ``MemoryError`` for
    text that is not readable Python.
    """
    tree = ast.parse(text, filename=path)
    pf = PyFile(path, notebook=False, test=is_test_path(path), lines=text.splitlines())
    _Extractor(pf, names=names).feed(tree, 0)
    return pf


def _cell_source(cell: Any) -> list[str] | None:
    """A code cell's lines with IPython magics blanked, or None for other cells."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None
    src = cell.get("source", "")
    text = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else str(src)
    lines = text.splitlines()
    if lines and lines[0].startswith("%%"):
        if lines[0].split()[0] not in _PY_CELL_MAGICS:
            return [""] * len(lines)  # %%bash, %%sql...: not Python
        lines[0] = ""
    return ["" if _MAGIC.match(line) else line for line in lines]


def python_index(snap: RepoSnapshot) -> PyIndex:
    """The snapshot's Python index, built on first use and shared by every signal."""
    index = snap.cache.get(_CACHE_KEY)
    if not isinstance(index, PyIndex):
        index = PyIndex(snap)
        snap.cache[_CACHE_KEY] = index
    return index


# ------------------------------------------------------------------ extraction

_FALSY = (False, 0, None, "")
_ASSERT_PREFIXES = ("assert", "assert_")
_COMPARE_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_MAX_STRING = 200


class _Extractor:
    """One pass over a module's AST, filling a :class:`PyFile`. Iterative (no recursion)."""

    def __init__(self, pf: PyFile, *, names: bool = False) -> None:
        self.pf = pf
        self.flags: dict[str, bool] = {}
        self.handlers = _HANDLERS_WITH_NAMES if names else _HANDLERS

    def feed(self, tree: ast.Module, offset: int) -> None:
        self._module_flags(tree)
        self.offset = offset
        stack: list[tuple[ast.AST, str]] = [(n, "") for n in reversed(_body(tree.body))]
        pop, push, handlers, fields_of = stack.pop, stack.append, self.handlers, _fields
        node_type = ast.AST
        while stack:
            node, scope = pop()
            kind = type(node)
            handler = handlers.get(kind)
            if handler is not None and handler(self, node, scope, stack):
                continue
            # Hand-rolled child walk (ast.iter_child_nodes is the hot spot of indexing);
            # fields pushed last-first so that source order is kept.
            for name in reversed(fields_of(kind)):
                value = getattr(node, name, None)
                if type(value) is list:
                    for item in reversed(value):
                        if isinstance(item, node_type):
                            push((item, scope))
                elif isinstance(value, node_type):
                    push((value, scope))

    # ---------------------------------------------------------------- helpers

    def _line(self, node: ast.AST) -> int:
        return int(getattr(node, "lineno", 1)) + self.offset

    def _module_flags(self, tree: ast.Module) -> None:
        """Module-level ``NAME = <constant>``: flags that switch code on or off."""
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Constant)
            ):
                self.flags[stmt.targets[0].id] = bool(stmt.value.value)

    def truth(self, test: ast.expr) -> bool | None:
        """The test's value when it is fixed in the source, else None."""
        if isinstance(test, ast.Constant):
            return bool(test.value)
        if isinstance(test, ast.Name):
            if test.id == "TYPE_CHECKING":
                return False
            return self.flags.get(test.id)
        if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
            return False
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self.truth(test.operand)
            return None if inner is None else not inner
        if isinstance(test, ast.BoolOp):
            values = [self.truth(v) for v in test.values]
            if isinstance(test.op, ast.And) and any(v is False for v in values):
                return False
            if isinstance(test.op, ast.Or) and any(v is True for v in values):
                return True
        return None

    def dotted(self, node: ast.AST) -> str:
        parts: list[str] = []
        while True:
            if isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            elif isinstance(node, ast.Call):
                parts.append(")")
                node = node.func
            elif isinstance(node, ast.Name):
                parts.append(self.pf.aliases.get(node.id, node.id))
                break
            elif isinstance(node, ast.Subscript):
                parts.append("]")
                node = node.value
            else:
                parts.append("?")
                break
        out = ""
        for part in reversed(parts):
            if part == ")":
                out += "()"
            elif part == "]":
                out += "[]"
            else:
                out = f"{out}.{part}" if out else part
        return out

    def value(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = node.operand
            if isinstance(inner, ast.Constant) and isinstance(inner.value, int | float):
                return -inner.value
        if isinstance(node, ast.Name | ast.Attribute):
            return Ref(self.dotted(node))
        if isinstance(node, ast.Dict):
            keys = tuple(k.value for k in node.keys if isinstance(k, ast.Constant))
            return ("dict", keys)
        if isinstance(node, ast.List | ast.Tuple | ast.Set) and node.elts:
            items = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if len(items) == len(node.elts) and all(isinstance(i, str) for i in items):
                return ("list", tuple(items))
        return Ref("")

    def guard_names(self, test: ast.AST) -> frozenset[str]:
        """The names an ``if`` test reads, without the modules it calls: in
        ``if mlflow.active_run() is None`` the flag is not ``mlflow``; in
        ``if args.mlflow`` it is."""
        modules = {m.split(".", 1)[0] for m in self.pf.imports} | set(self.pf.aliases)
        return frozenset(
            n
            for n in self.names(test)
            if n not in modules
            or any(isinstance(sub, ast.Attribute) and sub.attr == n for sub in ast.walk(test))
        )

    def names(self, node: ast.AST) -> frozenset[str]:
        """Identifiers, attribute names, called names and short strings under ``node``."""
        out: set[str] = set()
        todo = [node]
        node_type = ast.AST
        while todo:
            sub = todo.pop()
            kind = type(sub)
            if kind is ast.Name:
                out.add(sub.id)  # type: ignore[attr-defined]
                continue
            if kind is ast.Constant:
                value = sub.value  # type: ignore[attr-defined]
                if isinstance(value, str) and len(value) <= 40:
                    out.add(value)
                continue
            if kind is ast.Attribute:
                out.add(sub.attr)  # type: ignore[attr-defined]
            for name in _fields(kind):
                value = getattr(sub, name, None)
                if type(value) is list:
                    todo.extend(v for v in value if isinstance(v, node_type))
                elif isinstance(value, node_type):
                    todo.append(value)
        return frozenset(out)


def _body(stmts: list[ast.stmt]) -> list[ast.stmt]:
    """Statements without a leading docstring (a docstring is a claim, not code)."""
    if (
        stmts
        and isinstance(stmts[0], ast.Expr)
        and isinstance(stmts[0].value, ast.Constant)
        and isinstance(stmts[0].value.value, str)
    ):
        return stmts[1:]
    return stmts


_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "id", "attr", "arg", "name"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    """The fields of an AST node type that can hold child nodes (not ctx/op leaves)."""
    found = _FIELDS.get(kind)
    if found is None:
        found = tuple(f for f in getattr(kind, "_fields", ()) if f not in _LEAF_FIELDS)
        if kind in (ast.Name, ast.Constant):
            found = ()
        _FIELDS[kind] = found
    return found


def _push(stack: list[tuple[ast.AST, str]], nodes: Iterable[ast.AST], scope: str) -> None:
    stack.extend((n, scope) for n in reversed(list(nodes)))


def _is_main_test(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _on_if(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    truth = ex.truth(node.test)
    if truth is False:
        _push(stack, node.orelse, scope)
    elif truth is True:
        _push(stack, node.body, scope)
    else:
        main = scope == "" and _is_main_test(node.test)
        inner = "__main__" if main else scope
        if not main:
            names = ex.guard_names(node.test)
            for branch in (node.body, node.orelse):
                if branch:
                    first = ex._line(branch[0])
                    last = int(getattr(branch[-1], "end_lineno", None) or first) + ex.offset
                    ex.pf.guards.append((first, max(first, last), names))
        _push(stack, node.orelse, scope)
        _push(stack, node.body, inner)
        stack.append((node.test, scope))
    return True


def _on_expr(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    # A bare string statement is documentation, not code.
    return isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _on_def(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    own = "" if scope == "__main__" else scope
    is_class = isinstance(node, ast.ClassDef)
    d = Def(
        name=node.name,
        line=ex._line(node),
        kind="class" if is_class else "function",
        scope=own,
        bases=tuple(ex.dotted(b) for b in node.bases) if is_class else (),
        decorators=tuple(
            ex.dotted(dec.func if isinstance(dec, ast.Call) else dec) for dec in node.decorator_list
        ),
    )
    ex.pf.defs.append(d)
    inner = d.qualname
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        args = dec.args if isinstance(dec, ast.Call) else []
        keywords = dec.keywords if isinstance(dec, ast.Call) else []
        ex.pf.calls.append(
            Call(
                name=ex.dotted(target),
                line=ex._line(dec),
                scope=inner,
                args=tuple(ex.value(a) for a in args),
                kwargs=tuple((k.arg, ex.value(k.value)) for k in keywords if k.arg),
                decorator=True,
            )
        )
        # Calls inside the decorator's arguments run too: ``@pipeline(model=Model(...))``.
        _push(stack, [*args, *(k.value for k in keywords)], scope)
    _push(stack, _body(node.body), inner)
    if is_class:
        _push(stack, [*node.bases, *node.keywords], scope)
    else:
        defaults = [d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None]
        _push(stack, defaults, scope)
    return True


def _on_import(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    line = ex._line(node)
    if isinstance(node, ast.Import):
        for alias in node.names:
            ex.pf.imports.setdefault(alias.name, line)
            if alias.asname:
                ex.pf.aliases[alias.asname] = alias.name
    elif node.module and not node.level:
        ex.pf.imports.setdefault(node.module, line)
        for alias in node.names:
            if alias.name != "*":
                ex.pf.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    elif node.level:
        # Relative imports: record the local module names (``from . import score``).
        base = node.module or ""
        for alias in node.names:
            local = f"{base}.{alias.name}" if base else alias.name
            ex.pf.imports.setdefault("." + local, line)
    return True


def _on_call(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    name = ex.dotted(node.func)
    last = name.rsplit(".", 1)[-1]
    args = tuple(ex.value(a) for a in node.args)
    kwargs = tuple((k.arg, ex.value(k.value)) for k in node.keywords if k.arg)
    argnames: frozenset[str] = frozenset()
    is_assert = last.startswith(_ASSERT_PREFIXES) and last != "assert_called"
    if last in SINKS or is_assert:
        argnames = frozenset().union(
            *(ex.names(a) for a in node.args), *(ex.names(k.value) for k in node.keywords)
        )
    call = Call(name, ex._line(node), scope, args, kwargs, argnames)
    ex.pf.calls.append(call)
    if is_assert:
        ex.pf.checks.append(Check(call.line, scope, argnames | {last}, frozenset({last})))
    return False


def _on_assert(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    ops: set[str] = set()
    for sub in ast.walk(node.test):
        if isinstance(sub, ast.Compare):
            ops.update(_COMPARE_OPS.get(type(op), "?") for op in sub.ops)
        elif isinstance(sub, ast.Call):
            last = ex.dotted(sub.func).rsplit(".", 1)[-1]
            tolerant = last == "approx" and any(k.arg in ("abs", "rel") for k in sub.keywords)
            if tolerant or last in ("isclose", "allclose"):
                ops.add("approx")
    ex.pf.checks.append(Check(ex._line(node), scope, ex.names(node.test), frozenset(ops)))
    stack.append((node.test, scope))
    return True


def _on_compare(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    ops = frozenset(_COMPARE_OPS.get(type(op), "?") for op in node.ops)
    if ops & {"<", "<=", ">", ">="}:
        ex.pf.checks.append(Check(ex._line(node), scope, ex.names(node), ops, kind="compare"))
    return False


def _on_constant(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    if isinstance(node.value, str) and len(node.value) <= _MAX_STRING:
        ex.pf.strings.append((node.value, ex._line(node)))
    return True


def _on_assign(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if node.value is not None:
        value = ex.value(node.value)
        for target in targets:
            if isinstance(target, ast.Name | ast.Attribute | ast.Subscript):
                ex.pf.assigns.append(Assign(ex.dotted(target), ex._line(node), scope, value))
    return False


def _on_while(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    if ex.truth(node.test) is False:
        _push(stack, node.orelse, scope)
        return True
    return False


_HANDLERS: dict[type[ast.AST], Any] = {
    ast.If: _on_if,
    ast.While: _on_while,
    ast.Expr: _on_expr,
    ast.FunctionDef: _on_def,
    ast.AsyncFunctionDef: _on_def,
    ast.ClassDef: _on_def,
    ast.Import: _on_import,
    ast.ImportFrom: _on_import,
    ast.Call: _on_call,
    ast.Assert: _on_assert,
    ast.Compare: _on_compare,
    ast.Constant: _on_constant,
    ast.Assign: _on_assign,
    ast.AnnAssign: _on_assign,
}


def _on_name(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    ex.pf.names.add(node.id)
    return True


def _on_attribute(ex: _Extractor, node: Any, scope: str, stack: list[tuple[ast.AST, str]]) -> bool:
    ex.pf.names.add(node.attr)
    return False


_HANDLERS_WITH_NAMES: dict[type[ast.AST], Any] = {
    **_HANDLERS,
    ast.Name: _on_name,
    ast.Attribute: _on_attribute,
}
