"""Jenkins: declarative or scripted ``Jenkinsfile`` read by a tolerant Groovy parse."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mlops_factory._assess.collect.cimodel import Gate, Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.shell import Command, script_commands
from mlops_factory._assess.collect.yamlread import MAX_NESTING


@dataclass(slots=True)
class _Tok:
    kind: str  # "id", "str", "nl", "p" (punctuation/operator), "num"
    value: str
    line: int


@dataclass(slots=True)
class _GNode:
    """One Groovy statement: its leading name, head tokens and closure body."""

    name: str
    line: int
    head: list[_Tok]
    body: list[_GNode]

    def strings(self) -> list[_Tok]:
        return [t for t in self.head if t.kind == "str"]

    def named(self, key: str) -> _Tok | None:
        for i, t in enumerate(self.head[:-2]):
            if (
                t.kind == "id"
                and t.value == key
                and self.head[i + 1].value == ":"
                and self.head[i + 2].kind == "str"
            ):
                return self.head[i + 2]
        return None

    def text(self) -> str:
        return " ".join(t.value for t in self.head)


def groovy_tokens(text: str) -> list[_Tok]:
    """Tokenise Groovy: comments dropped, strings kept whole, newlines kept."""
    toks: list[_Tok] = []
    i, n, line = 0, len(text), 1
    if text.startswith("#!"):
        i = text.find("\n")
        i = n if i < 0 else i
    while i < n:
        c = text[i]
        if c == "\n":
            toks.append(_Tok("nl", "\n", line))
            line += 1
            i += 1
        elif c in " \t\r\f":
            i += 1
        elif c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
        elif c in "'\"":
            value, j = _groovy_string(text, i)
            toks.append(_Tok("str", value, line))
            line += text.count("\n", i, j)
            i = j
        elif c == "\\" and text.startswith("\n", i + 1):
            i += 1  # explicit line continuation: the newline is not a statement end
            line += 1
            i += 1
        elif c.isalpha() or c in "_$":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            toks.append(_Tok("id", text[i:j], line))
            i = j
        elif c.isdigit():
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "._"):
                j += 1
            toks.append(_Tok("num", text[i:j], line))
            i = j
        else:
            toks.append(_Tok("p", c, line))
            i += 1
    return toks


def _groovy_string(text: str, i: int) -> tuple[str, int]:
    """Read a string literal starting at ``text[i]``: (content, index after it)."""
    q = text[i]
    n = len(text)
    triple = text.startswith(q * 3, i)
    j = i + (3 if triple else 1)
    out: list[str] = []
    while j < n:
        c = text[j]
        if triple and text.startswith(q * 3, j):
            return "".join(out), j + 3
        if not triple and c == q:
            return "".join(out), j + 1
        if not triple and c == "\n":
            return "".join(out), j  # unterminated: stop at the line end
        if c == "\\" and j + 1 < n:
            nxt = text[j + 1]
            if nxt in "\\'\"$":
                out.append(nxt)
            else:
                out.append(c + nxt)  # keep `\` + newline: the shell joins the lines
            j += 2
            continue
        if q == '"' and c == "$" and text.startswith("{", j + 1):
            k = j + 2
            depth = 1
            while k < n and depth:
                if text[k] == "{":
                    depth += 1
                elif text[k] == "}":
                    depth -= 1
                elif text[k] in "'\"":
                    _inner, k = _groovy_string(text, k)
                    continue
                k += 1
            out.append(text[j:k])
            j = k
            continue
        out.append(c)
        j += 1
    return "".join(out), n


_CONTINUES = frozenset({",", "+", ".", ":", "=", "(", "[", "&", "|", "?", "-", "*"})


def parse_groovy(toks: list[_Tok]) -> list[_GNode]:
    """Statements and closures of a Groovy token stream (a tolerant, shallow parse)."""
    pos = 0
    n = len(toks)

    def block(inside: bool, depth: int) -> list[_GNode]:
        nonlocal pos
        nodes: list[_GNode] = []
        while pos < n:
            tok = toks[pos]
            if tok.kind == "p" and tok.value == "}":
                pos += 1
                if inside:
                    return nodes
                continue
            if tok.kind == "nl" or (tok.kind == "p" and tok.value == ";"):
                pos += 1
                continue
            nodes.append(statement(depth))
        return nodes

    def statement(depth: int) -> _GNode:
        nonlocal pos
        first = toks[pos]
        node = _GNode(first.value if first.kind == "id" else "", first.line, [], [])
        paren = 0
        while pos < n:
            tok = toks[pos]
            if tok.kind == "p" and tok.value in "([":
                paren += 1
            elif tok.kind == "p" and tok.value in ")]":
                paren = max(0, paren - 1)
            elif tok.kind == "p" and tok.value == "{":
                pos += 1
                if depth < MAX_NESTING:
                    node.body.extend(block(True, depth + 1))
                else:
                    _skip_block()
                if paren == 0:
                    nxt = _next_significant(pos)
                    if not (nxt is not None and nxt.kind == "id" and nxt.value in _CLAUSE_WORDS):
                        return node
                continue
            elif tok.kind == "p" and tok.value == "}":
                if paren == 0:
                    return node
                paren -= 1
            elif tok.kind == "nl":
                prev = node.head[-1] if node.head else None
                nxt = _next_significant(pos)
                cont = (prev is not None and prev.kind == "p" and prev.value in _CONTINUES) or (
                    nxt is not None and nxt.kind == "p" and nxt.value == "."
                )
                if paren == 0 and not cont:
                    pos += 1
                    return node
                pos += 1
                continue
            elif tok.kind == "p" and tok.value == ";" and paren == 0:
                pos += 1
                return node
            node.head.append(tok)
            pos += 1
        return node

    def _skip_block() -> None:
        nonlocal pos
        level = 1
        while pos < n and level:
            if toks[pos].value == "{" and toks[pos].kind == "p":
                level += 1
            elif toks[pos].value == "}" and toks[pos].kind == "p":
                level -= 1
            pos += 1

    def _next_significant(k: int) -> _Tok | None:
        while k < n and toks[k].kind == "nl":
            k += 1
        return toks[k] if k < n else None

    return block(False, 0)


_CLAUSE_WORDS = frozenset({"else", "catch", "finally"})
_SHELL_STEPS = frozenset({"sh", "bat", "powershell", "pwsh"})
_ENV_WORDS = (
    "dev",
    "development",
    "test",
    "testing",
    "qa",
    "uat",
    "int",
    "integration",
    "stage",
    "staging",
    "preprod",
    "pre-prod",
    "prod",
    "production",
    "sandbox",
    "canary",
    "live",
    "acc",
    "acceptance",
    "perf",
)
_JENKINS_ENV = re.compile(
    r"deploy\w*\W+(?:to\W+)?(?P<a>[a-z][\w-]*)|(?P<b>[a-z][\w-]*)\W+deploy", re.IGNORECASE
)


def jenkins_environment(stage_name: str) -> str:
    """The environment a Jenkins stage name deploys to (``Deploy to staging``), or ''."""
    for m in _JENKINS_ENV.finditer(stage_name):
        env = (m.group("a") or m.group("b") or "").lower()
        if env in _ENV_WORDS:
            return env
    return ""


@dataclass
class _JStage:
    name: str
    line: int
    gate: Gate
    disabled: bool
    conditions: list[str]
    steps: list[Step] = field(default_factory=list)


def parse_jenkins(path: str, text: str) -> Pipeline:
    toks = groovy_tokens(text)
    nodes = parse_groovy(toks)
    triggers: list[Trigger] = [Trigger("push", "scm", path, 1, implicit=True)]
    for i, tok in enumerate(toks):
        if tok.kind != "id" or tok.value not in (
            "cron",
            "parameterizedCron",
            "pollSCM",
            "upstream",
        ):
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is None or not (nxt.kind == "str" or (nxt.kind == "p" and nxt.value == "(")):
            continue
        spec = next((t.value for t in toks[i + 1 : i + 6] if t.kind == "str"), "")
        if tok.value in ("cron", "parameterizedCron"):
            triggers.append(Trigger("schedule", tok.value, path, tok.line, detail=spec.strip()))
        elif tok.value == "pollSCM":
            triggers.append(Trigger("push", "pollSCM", path, tok.line, detail=spec.strip()))
        else:
            triggers.append(Trigger("dispatch", "upstream", path, tok.line, detail=spec.strip()))
    root = _JStage("(pipeline)", 1, Gate(), False, [])
    stages: list[_JStage] = []
    _walk_jenkins(path, nodes, root, stages, 0)
    jobs: list[Job] = []
    if root.steps:
        jobs.append(Job(path, root.line, "(pipeline)", steps=tuple(root.steps)))
    for st in stages:
        jobs.append(
            Job(
                path=path,
                line=st.line,
                id=st.name,
                steps=tuple(st.steps),
                environment=jenkins_environment(st.name),
                environment_line=st.line if jenkins_environment(st.name) else 0,
                condition=" && ".join(st.conditions),
                gate=st.gate,
                disabled=st.disabled,
            )
        )
    return Pipeline("jenkins", path, path, 1, tuple(triggers), tuple(jobs), (path,))


def _walk_jenkins(
    path: str, nodes: list[_GNode], current: _JStage, stages: list[_JStage], depth: int
) -> None:
    if depth > MAX_NESTING:
        return
    for node in nodes:
        name = node.name
        if name == "stage":
            label = node.strings()[0].value if node.strings() else "(stage)"
            stage = _JStage(
                label, node.line, current.gate, current.disabled, list(current.conditions)
            )
            for child in node.body:
                if child.name == "when":
                    _jenkins_when(child, stage)
            stages.append(stage)
            _walk_jenkins(
                path, [c for c in node.body if c.name != "when"], stage, stages, depth + 1
            )
        elif name in _SHELL_STEPS:
            arg = node.named("script") or (node.strings()[0] if node.strings() else None)
            commands = script_commands(arg.value, arg.line) if arg is not None else []
            current.steps.append(
                Step(path, node.line, name=name, commands=tuple(commands), uses=name)
            )
        elif name == "input":
            msg = node.named("message") or (node.strings()[0] if node.strings() else None)
            for child in node.body:
                if child.name == "message" and child.strings():
                    msg = child.strings()[0]
            current.steps.append(
                Step(path, node.line, name=msg.value if msg else "input", uses="input")
            )
        elif name == "build" and (node.named("job") or node.strings()):
            job = node.named("job") or node.strings()[0]
            current.steps.append(
                Step(
                    path,
                    node.line,
                    name=f"build {job.value}",
                    uses="build",
                    commands=(Command(f"jenkins build {job.value}", node.line),),
                )
            )
        elif name in _JENKINS_DEPLOY_STEPS:
            current.steps.append(
                Step(
                    path,
                    node.line,
                    name=name,
                    uses=name,
                    commands=(Command(node.text(), node.line),),
                )
            )
        else:
            _walk_jenkins(path, node.body, current, stages, depth + 1)


_JENKINS_DEPLOY_STEPS = frozenset(
    {"kubernetesDeploy", "azureWebAppPublish", "azureFunctionAppPublish", "acsDeploy"}
)


def _jenkins_when(node: _GNode, stage: _JStage) -> None:
    events: set[str] = set()
    refs: set[str] = set()
    for cond in node.body:
        text = cond.text()
        stage.conditions.append(text)
        if cond.name == "expression":
            body = " ".join(c.text() for c in cond.body).strip()
            if body in ("false", "return false"):
                stage.disabled = True
        elif cond.name == "branch":
            target = cond.named("pattern") or (cond.strings()[0] if cond.strings() else None)
            if target is not None:
                refs.add("main" if target.value in ("main", "master") else target.value)
        elif cond.name in ("tag", "buildingTag"):
            refs.add("tag")
        elif cond.name == "changeRequest":
            events.add("pull_request")
        elif cond.name == "triggeredBy":
            if "Timer" in text:
                events.add("schedule")
            elif "UserId" in text:
                events.add("manual")
        # not/anyOf/allOf/environment: restrict nothing we can tell.
    if events or refs:
        stage.gate = Gate(
            frozenset(events) if events else stage.gate.events,
            frozenset(refs) if refs else stage.gate.refs,
        )
