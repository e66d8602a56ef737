"""GitLab CI: jobs, ``extends``, local includes, child pipelines, rules and ``only``."""

from __future__ import annotations

from typing import Any

from mlops_factory._assess.collect._base import MAX_DEPTH, BuilderBase
from mlops_factory._assess.collect.cimodel import Gate, Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.conditions import GL_ONLY_KIND, classify_condition
from mlops_factory._assess.collect.shell import Command
from mlops_factory._assess.collect.yamlread import (
    Span,
    YList,
    YMap,
    as_list,
    items,
    load_yaml,
    scalar_text,
)


class GitLabReader(BuilderBase):
    """Reads ``.gitlab-ci.yml`` and the files it includes into the CI model."""

    def _gitlab(self, path: str, doc: YMap, child: bool) -> Pipeline:
        sources = [path]
        entries: dict[str, tuple[str, YMap, YMap]] = {}  # name -> (file, parent map, job map)
        for inc_path in self._gitlab_includes(path, doc, set()):
            inc = load_yaml(self.snap, inc_path)
            if inc is None:
                continue
            sources.append(inc_path)
            for key, val in inc.items():
                if isinstance(val, YMap):
                    entries[str(key)] = (inc_path, inc, val)
        for key, val in doc.items():
            if isinstance(val, YMap):
                entries[str(key)] = (path, doc, val)
        default = doc.get("default")
        default_map = default if isinstance(default, YMap) else YMap(0)
        defaults: dict[str, tuple[str, YMap]] = {}
        for key in ("before_script", "after_script"):
            if key in default_map:
                defaults[key] = (path, default_map)
            elif key in doc:
                defaults[key] = (path, doc)

        workflow = doc.get("workflow")
        wf_gate = Gate()
        events_seen: dict[str, int] = {}
        if isinstance(workflow, YMap):
            wf_gate, _never, _manual = _gitlab_rules(workflow.get("rules"), events_seen)

        jobs: list[Job] = []
        for name, (fpath, parent, jmap) in entries.items():
            if name in _GITLAB_RESERVED or name.startswith("."):
                continue
            merged = self._gitlab_extends(name, fpath, jmap, entries, 0)
            if not any(k in merged for k in ("script", "trigger", "run")):
                continue
            jobs.append(
                self._gitlab_job(name, fpath, parent, merged, defaults, wf_gate, events_seen)
            )

        triggers: list[Trigger] = []
        if child:
            triggers.append(Trigger("call", "parent_pipeline", path, 1))
        else:
            triggers.append(Trigger("push", "push", path, 1, implicit=True))
            triggers.append(Trigger("tag", "tag", path, 1, implicit=True))
            for kind, line in events_seen.items():
                if kind in ("pull_request", "schedule", "manual", "dispatch"):
                    triggers.append(Trigger(kind, kind, path, line))
        return Pipeline("gitlab", path, path, 1, tuple(triggers), tuple(jobs), tuple(sources))

    def _gitlab_includes(self, path: str, doc: YMap, seen: set[str]) -> list[str]:
        out: list[str] = []
        inc = doc.get("include")
        refs: list[str] = []
        items = inc if isinstance(inc, YList) else [inc]
        for item in items:
            if isinstance(item, str):
                if "://" not in item:
                    refs.append(item)
            elif isinstance(item, YMap) and "local" in item:
                refs.append(item.str("local"))
        for ref in refs:
            for target in self._gitlab_local(ref):
                if target in seen or target == path or len(seen) > 50:
                    continue
                seen.add(target)
                out.append(target)
                sub = load_yaml(self.snap, target)
                if sub is not None:
                    out.extend(self._gitlab_includes(target, sub, seen))
        return out

    def _gitlab_local(self, ref: str) -> list[str]:
        ref = ref.strip().lstrip("/")
        if not ref or "$" in ref:
            return []
        if any(c in ref for c in "*?["):
            return [e.path for e in self.snap.glob(ref)]
        return [ref] if self.snap.exists(ref) else []

    def _gitlab_extends(
        self,
        name: str,
        fpath: str,
        jmap: YMap,
        entries: dict[str, tuple[str, YMap, YMap]],
        depth: int,
    ) -> dict[str, tuple[Any, Span | None, str, YMap]]:
        """Job keys after ``extends:``: key -> (value, span, file, owning map)."""
        merged: dict[str, tuple[Any, Span | None, str, YMap]] = {}
        if depth < MAX_DEPTH:
            for parent in as_list(jmap.get("extends")):
                if parent in entries and parent != name:
                    ppath, _pp, pmap = entries[parent]
                    merged.update(self._gitlab_extends(parent, ppath, pmap, entries, depth + 1))
        for key, val in jmap.items():
            merged[str(key)] = (val, jmap.spans.get(key), fpath, jmap)
        return merged

    def _gitlab_job(
        self,
        name: str,
        fpath: str,
        parent: YMap,
        merged: dict[str, tuple[Any, Span | None, str, YMap]],
        defaults: dict[str, tuple[str, YMap]],
        wf_gate: Gate,
        events_seen: dict[str, int],
    ) -> Job:
        def get(key: str) -> Any:
            return merged[key][0] if key in merged else None

        steps: list[Step] = []
        for section in ("before_script", "script", "after_script"):
            if section in merged:
                value, span, spath, _owner = merged[section]
            elif section in defaults:
                spath, owner = defaults[section]
                value, span = owner.get(section), owner.spans.get(section)
            else:
                continue
            commands = self._gitlab_script(value, span)
            line = span.key_line if span else parent.key_line(name)
            steps.append(Step(spath, line, name=section, commands=commands))
        calls = ""
        trig = get("trigger")
        if trig is not None:
            line = merged["trigger"][1].key_line if merged["trigger"][1] else 0
            if isinstance(trig, YMap):
                inc = trig.get("include")
                refs = [inc] if isinstance(inc, str) else []
                for item, _span in items(inc):
                    if isinstance(item, str):
                        refs.append(item)
                    elif isinstance(item, YMap) and "local" in item:
                        refs.append(item.str("local"))
                for ref in refs:
                    for target in self._gitlab_local(ref):
                        calls = target
                        self.gitlab_queue.append(target)
                        break
                project = trig.str("project")
                if project:
                    steps.append(Step(fpath, line, name="trigger", uses=f"trigger:{project}"))
            else:
                steps.append(Step(fpath, line, name="trigger", uses=f"trigger:{scalar_text(trig)}"))

        env_val = get("environment")
        env = env_val.str("name") if isinstance(env_val, YMap) else scalar_text(env_val)
        action = env_val.str("action") if isinstance(env_val, YMap) else ""
        deployment = bool(env) and action not in ("stop", "prepare", "verify", "access")
        env_line = merged["environment"][1].key_line if env and merged["environment"][1] else 0

        when = scalar_text(get("when"))
        gate = Gate()
        disabled = when == "never"
        manual = when == "manual"
        conditions: list[str] = []
        # A job that never runs must not make the pipeline look scheduled.
        seen = {} if disabled else events_seen
        if "rules" in merged:
            gate, never, rule_manual = _gitlab_rules(get("rules"), seen)
            disabled = disabled or never
            manual = manual or rule_manual
            conditions = [
                scalar_text(r.get("if"))
                for r, _span in items(get("rules"))
                if isinstance(r, YMap) and scalar_text(r.get("when")) != "never"
            ]
        elif "only" in merged:
            gate = _gitlab_only(get("only"), merged["only"][1], seen)
            conditions = ["only: " + ", ".join(_gitlab_only_refs(get("only")))]
        gate = gate.narrowed_by(wf_gate)
        if manual and env and action == "prepare":
            # GitLab's documented approval job: started by a person, it prepares the
            # environment (its name is kept on the step) without deploying to it.
            steps.append(Step(fpath, env_line or parent.key_line(name), name=env, uses="approval"))
        return Job(
            path=fpath,
            line=parent.key_line(name),
            id=name,
            stage=scalar_text(get("stage")),
            steps=tuple(steps),
            environment=env if deployment else "",
            environment_line=env_line if deployment else 0,
            condition=" || ".join(c for c in conditions if c),
            gate=gate,
            disabled=disabled,
            manual=manual,
            deployment=deployment,
            needs=tuple(
                n.str("job") if isinstance(n, YMap) else str(n) for n, _s in items(get("needs"))
            ),
            calls=calls,
        )

    def _gitlab_script(self, value: Any, span: Span | None) -> tuple[Command, ...]:
        if isinstance(value, YList):
            out: list[Command] = []
            stack: list[tuple[Any, Span | None]] = list(zip(value, value.spans, strict=True))
            stack.reverse()
            while stack and self.budget > 0:
                item, ispan = stack.pop()
                if isinstance(item, YList):
                    # Nested lists come from anchors (`- *setup`); flatten in order.
                    stack.extend(reversed(list(zip(item, item.spans, strict=True))))
                else:
                    out.extend(self.commands(item, ispan))
            return tuple(out)
        return self.commands(value, span)


_GITLAB_RESERVED = frozenset(
    {
        "stages",
        "variables",
        "include",
        "default",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "types",
        "spec",
    }
)


def _gitlab_rules(value: Any, events_seen: dict[str, int]) -> tuple[Gate, bool, bool]:
    """(gate, never runs, manual) for a GitLab ``rules:`` list."""
    gate: Gate | None = None
    manual = False
    any_rule = False
    for item, _span in items(value):
        if not isinstance(item, YMap):
            continue
        any_rule = True
        when = scalar_text(item.get("when"))
        if when == "never":
            continue  # an exclusion: says nothing about when the job runs
        cond = scalar_text(item.get("if"))
        one = classify_condition("gitlab", cond) if cond else Gate()
        for ev in one.events or ():
            events_seen.setdefault(ev, item.key_line("if"))
        if when == "manual":
            manual = True
        gate = one if gate is None else gate.union(one)
    never = any_rule and gate is None
    return gate or Gate(), never, manual


def _gitlab_only_refs(value: Any) -> list[str]:
    if isinstance(value, YMap):
        return as_list(value.get("refs"))
    return as_list(value)


def _gitlab_only(value: Any, span: Span | None, events_seen: dict[str, int]) -> Gate:
    events: set[str] = set()
    refs: set[str] = set()
    line = span.key_line if span else 1
    for ref in _gitlab_only_refs(value):
        low = ref.lower()
        if low in GL_ONLY_KIND:
            kind = GL_ONLY_KIND[low]
            events.add(kind)
            events_seen.setdefault(kind, line)
        elif low == "tags":
            refs.add("tag")
        elif low == "branches":
            events.add("push")
        elif low in ("main", "master"):
            refs.add("main")
        else:
            refs.add(ref)
    if events and refs:
        # `only: [main, schedules]` means either: keep the union, restrict nothing.
        return Gate()
    return Gate(frozenset(events) if events else None, frozenset(refs) if refs else None)
