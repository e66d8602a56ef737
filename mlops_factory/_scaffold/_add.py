"""Apply catalog components to an existing repository (``mlops-factory add``; ``fix`` too).

The components are rendered into a temporary folder, then compared with the repository
file by file: missing files are created, identical ones left alone, and any existing
file that differs is a **conflict**. Conflicts are never overwritten silently: by default
(``conflict="stop"``) nothing at all is written when there is one (all or nothing: a
half-applied component would leave code that does not run and an answers file that
lies); with ``conflict="inline"`` everything is written and each conflicting text file
gets git-style conflict blocks (``<<<<<<< yours`` / ``=======`` / ``>>>>>>> component``)
to resolve by hand. Each component's answers file ``.mlops-factory/<name>.yml`` is
written too, so ``update`` can move it to later catalog versions.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mlops_factory._errors import FactoryError
from mlops_factory._scaffold._answers import (
    REQUIRED_KEYS,
    AnswerContext,
    Prompter,
    QuestionaryPrompter,
    asks,
    check_answer,
    default,
    group_keys,
    load_data_file,
    merge_given,
    prompt_answer,
    validate,
)
from mlops_factory._scaffold._catalog import (
    ANSWER_KEYS,
    NONE,
    Catalog,
    Component,
    Group,
    load_catalog,
)
from mlops_factory._scaffold._project import (
    FileChange,
    RecordedComponent,
    answers_file,
    classify_new_files,
    dependency_order,
    merged_answers,
    read_recorded,
    rendered,
    unified_diff,
    write_changes,
)

if TYPE_CHECKING:
    from mlops_factory._scaffold._binding import BindingSpec, BoundComponent, RepoBindings

ConflictMode = Literal["stop", "inline"]
#: Where an answer came from, strongest first; ``unanswered``: a preview used the
#: suggestion for an answer it would ask.
AnswerSource = Literal["given", "recorded", "repo", "asked", "default", "unanswered"]
#: Where the answers of components bound to a repository's own code are recorded (not a
#: catalog answers file: ``update`` re-renders those from the generated-project template).
BINDINGS_DIR = ".mlops-factory/bindings"

#: Files that show which CI provider a repository uses, in order of precedence.
_CI_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("github", (".github/workflows",)),
    ("gitlab", (".gitlab-ci.yml",)),
    ("azure-devops", ("azure-pipelines.yml", "azure-pipelines.yaml", ".azure-pipelines")),
    ("jenkins", ("Jenkinsfile",)),
)
_PYTHON_RE = re.compile(r"(\d+)\.(\d+)")
_SKIP_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".tox"})


@dataclass(frozen=True, slots=True)
class ComponentPlan:
    """One component to apply, at the catalog's version."""

    name: str
    version: str
    #: The answers file it writes (posix, relative).
    answers_file: str
    #: Why it is applied (``requested``, ``required by X``, or criteria it closes).
    reason: str = "requested"

    @property
    def tag(self) -> str:
        """The version tag recorded as ``_commit``."""
        return f"v{self.version}"


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What applying components to a repository did (or would do, for a dry run)."""

    project: Path
    components: tuple[ComponentPlan, ...]
    #: Every answer passed to the templates (including ``components``).
    answers: Mapping[str, Any]
    #: Answer key -> where the answer came from (given, recorded, repo, asked, default).
    sources: Mapping[str, AnswerSource]
    #: Every rendered file and what happens to it.
    changes: tuple[FileChange, ...]
    #: Files written (created or changed); empty for a dry run or a stopped run.
    written: tuple[str, ...]
    dry_run: bool
    conflict: ConflictMode
    notes: tuple[str, ...] = field(default=())
    #: What the repository already has (None: not read, e.g. a custom catalog).
    bindings: RepoBindings | None = None
    #: Components rendered from the repository's bindings rather than their template.
    bound: tuple[BoundComponent, ...] = ()
    #: Team choices (licence, package name, Python version, dependency manager) a
    #: component would change: nothing is written while there is one, even inline.
    choice_conflicts: tuple[str, ...] = ()
    #: Answers a preview did not have (it would ask them; the suggestion was used).
    unanswered: tuple[str, ...] = ()

    @property
    def conflicts(self) -> tuple[FileChange, ...]:
        """Existing files that differ from what the components render."""
        return tuple(c for c in self.changes if c.kind == "conflict")

    @property
    def clean(self) -> bool:
        """True when there is no conflict (file or choice)."""
        return not self.conflicts and not self.choice_conflicts

    @property
    def stopped(self) -> bool:
        """True when nothing was written: a choice conflict, or file conflicts with
        ``conflict="stop"``."""
        if self.dry_run:
            return False
        return bool(self.choice_conflicts) or (bool(self.conflicts) and self.conflict == "stop")

    def files(self, kind: str) -> tuple[str, ...]:
        """The paths of the changes of one kind (``create``, ``conflict``, ``unchanged``)."""
        return tuple(c.path for c in self.changes if c.kind == kind)

    def diff(self) -> str:
        """The unified diff of every change (conflicts as written with ``inline``)."""
        return unified_diff(self.changes, inline=self.conflict == "inline")


def add_component(
    component: str,
    path: str | os.PathLike[str] = ".",
    *,
    data: Mapping[str, Any] | None = None,
    data_file: str | os.PathLike[str] | None = None,
    defaults: bool = False,
    conflict: ConflictMode = "stop",
    dry_run: bool = False,
    trust: bool = False,
    catalog: Catalog | str | os.PathLike[str] | None = None,
    interactive: bool | None = None,
    bind: bool = True,
) -> ApplyResult:
    """Apply one catalog component (or group, e.g. ``ci``) to the repository at ``path``.

    Only the component's own questions are asked; answers come from ``data`` (wins),
    ``data_file``, the answers the project already records, the repository itself
    (project and package name and Python version from ``pyproject.toml``/``src/``, CI
    provider from ``.github/workflows`` and the like), the terminal, then defaults.

    Args:
        component: A catalog component, or a group whose member the answers pick
            (``ci`` follows the repository's CI provider, or ``data={"ci": ...}``).
        path: The repository (any folder; it need not come from ``mlops-factory new``).
        data: Typed answers (see ``parse_data_items`` for ``key=value`` text).
        data_file: A YAML file of answers; ``data`` wins over it.
        defaults: Accept the suggestion for every answer not otherwise known.
        conflict: ``stop`` writes nothing when an existing file differs from the
            component's; ``inline`` writes everything, conflicting text files with
            git-style conflict blocks.
        dry_run: Compute the changes (see :meth:`ApplyResult.diff`); write nothing.
        trust: Allow code-running components of a catalog that is not the built-in one.
        catalog: A loaded catalog or a catalog folder; default the built-in one.
        interactive: Ask unknown answers on the terminal; default: when stdin and
            stdout are terminals.
        bind: On a repository with code of its own, render the component from the
            repository's bindings when it has a binding template (see
            :mod:`mlops_factory._scaffold._binding`); False applies the template as is
            (the team's choices are still kept).

    Raises:
        FactoryError: unknown component, a component already applied, bad or missing
            answers, an untrusted catalog.
    """
    from mlops_factory._scaffold._binding import bind_component, template_data

    loaded = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    project = check_project(path)
    recorded = read_recorded(project)
    given, bindings = given_and_bindings(loaded, project, data=data, data_file=data_file)
    specs = binding_specs(loaded, bindings, recorded) if bind else {}
    group = loaded.groups.get(component)
    if group is None and component not in loaded.components:
        raise FactoryError(
            f"unknown component {component!r}",
            hint=f"choose one of: {', '.join([*loaded.components, *loaded.groups])} "
            "(see `mlops-factory templates`)",
        )
    members = (
        [loaded.components[m] for m in group.members.values()]
        if group is not None
        else [loaded.components[component]]
    )
    # Bound to the repository's code, a component needs no questions of its own.
    all_bound = all(m.name in specs for m in members)
    needed = [
        *([group.answer] if group else []),
        *(() if all_bound else (q for m in members for q in m.questions)),
    ]
    answers, sources, notes = resolve_project_answers(
        loaded,
        project,
        given=given,
        recorded=recorded,
        needed=needed,
        defaults=defaults,
        prompter=_prompter(interactive),
        preview=dry_run,
        bindings=bindings,
    )
    notes.extend(bindings.notes)
    unanswered = tuple(k for k, v in sources.items() if v == "unanswered")
    chosen = resolve_member(loaded, group, answers) if group else loaded.components[component]
    if chosen.name in specs and missing_needs(specs[chosen.name], bindings):
        lacking = missing_needs(specs[chosen.name], bindings)
        raise FactoryError(
            f"{chosen.name} wraps the repository's code, but no {', '.join(lacking)} was found "
            f"in {project}",
            hint=" ".join(f"give it with --data {k}=..." for k in lacking)
            + ", or apply the catalog's template as it is with --no-bind",
        )
    bound: list[BoundComponent] = []
    if chosen.name in specs:
        project_name = str(answers.get("project_name", project.name))
        data_t = template_data(bindings, project_name, [*bound_before(project), chosen.name])
        bound.append(bind_component(specs[chosen.name], bindings, data_t))
        if chosen.name == "serving-realtime":
            # add writes one component: the CI (re-rendered by fix) does not run it yet.
            notes.append(
                f"run `{data_t['serving_test_command']}` in CI after the training (`mlops-factory "
                f"fix {shell_path(project)} --target 3` writes a CI that does)"
            )
        plan = ComponentPlan(
            chosen.name,
            chosen.version,
            f"{BINDINGS_DIR}/{chosen.name}.yml",
            "bound to the repository's own code",
        )
    else:
        applied = {r.name: r for r in recorded}
        if chosen.name in applied:
            version = applied[chosen.name].version or "an unknown version"
            raise FactoryError(
                f"{chosen.name} is already applied to {project} (version {version})",
                hint="move it to the catalog's version with `mlops-factory update`",
            )
        for need in unmet_requirements(loaded, chosen, [*applied, chosen.name]):
            notes.append(
                f"{chosen.name} requires {need}, which this project does not record: its files "
                f"may expect it (add it with `mlops-factory add {need} {shell_path(project)}`, "
                "or see `mlops-factory fix`)"
            )
        align_group_answers(loaded, [chosen], answers, sources, given)
        plan = ComponentPlan(chosen.name, chosen.version, answers_file(chosen.name))
    return apply_components(
        loaded,
        project,
        [] if bound else [chosen],
        answers,
        recorded=recorded,
        plans=(plan,),
        sources=sources,
        conflict=conflict,
        dry_run=dry_run,
        trust=trust,
        notes=notes,
        bindings=bindings,
        bound=bound,
        unanswered=unanswered,
    )


def given_and_bindings(
    catalog: Catalog,
    project: Path,
    *,
    data: Mapping[str, Any] | None,
    data_file: str | os.PathLike[str] | None,
) -> tuple[dict[str, Any], RepoBindings]:
    """The explicit answers, and the repository's bindings with the binding overrides of
    ``data``/``data_file`` (``train_command=...``) applied."""
    from mlops_factory._scaffold._binding import (
        apply_overrides,
        scan_repository,
        split_binding_data,
    )

    file_answers, file_overrides = split_binding_data(
        load_data_file(data_file) if data_file is not None else None
    )
    data_answers, data_overrides = split_binding_data(data)
    given = merge_given(catalog, data_file=file_answers, data=data_answers)
    bindings = apply_overrides(scan_repository(project), {**file_overrides, **data_overrides})
    return given, bindings


def binding_specs(
    catalog: Catalog, bindings: RepoBindings, recorded: Sequence[RecordedComponent]
) -> dict[str, BindingSpec]:
    """The components to bind to the repository's own code (empty: apply templates as is).

    Binding applies to a repository with code of its own that ``mlops-factory new`` did not
    generate (no ``base`` recorded), with the built-in catalog (whose components the
    binding templates are written for).
    """
    from mlops_factory._scaffold._binding import load_binding_specs

    if not catalog.builtin or not bindings.existing or any(r.name == "base" for r in recorded):
        return {}
    return {n: s for n, s in load_binding_specs().items() if n in catalog.components}


def bound_before(project: Path) -> list[str]:
    """The components an earlier ``add``/``fix`` bound to the repository's code (their
    records in ``.mlops-factory/bindings/``): a component rendered again (the CI) renders
    as it did with them, e.g. training through the tracking adapter."""
    folder = project / BINDINGS_DIR
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(p.stem for p in folder.glob("*.yml") if p.is_file() and not p.is_symlink())


def missing_needs(spec: BindingSpec, bindings: RepoBindings) -> list[str]:
    """The bindings ``spec`` cannot do without that the repository does not have."""
    return [key for key in spec.needs if bindings.get(key) is None]


def shell_path(project: Path) -> str:
    """``project`` as a command argument that works when pasted: relative to the current
    folder when inside it (``.``), quoted for the shell."""
    import shlex

    try:
        rel = os.path.relpath(project)
    except ValueError:  # another drive (Windows)
        rel = str(project)
    text = rel if not rel.startswith("..") else str(project)
    return shlex.quote(text)


def apply_components(
    catalog: Catalog,
    project: Path,
    components: Sequence[Component],
    answers: Mapping[str, Any],
    *,
    recorded: Sequence[RecordedComponent],
    plans: Sequence[ComponentPlan],
    sources: Mapping[str, AnswerSource],
    conflict: ConflictMode = "stop",
    dry_run: bool = False,
    trust: bool = False,
    notes: Sequence[str] = (),
    bindings: RepoBindings | None = None,
    bound: Sequence[BoundComponent] = (),
    unanswered: Sequence[str] = (),
) -> ApplyResult:
    """Render ``components`` (in order) and merge them into ``project`` (see module doc)."""
    result = preview_components(
        catalog,
        project,
        components,
        answers,
        recorded=recorded,
        plans=plans,
        sources=sources,
        conflict=conflict,
        trust=trust,
        notes=notes,
        bindings=bindings,
        bound=bound,
        unanswered=unanswered,
    )
    if dry_run:
        return result
    return write_result(result)


def preview_components(
    catalog: Catalog,
    project: Path,
    components: Sequence[Component],
    answers: Mapping[str, Any],
    *,
    recorded: Sequence[RecordedComponent],
    plans: Sequence[ComponentPlan],
    sources: Mapping[str, AnswerSource],
    conflict: ConflictMode = "stop",
    trust: bool = False,
    notes: Sequence[str] = (),
    bindings: RepoBindings | None = None,
    bound: Sequence[BoundComponent] = (),
    unanswered: Sequence[str] = (),
) -> ApplyResult:
    """Render ``components`` (and the ``bound`` ones) and compare them with ``project``;
    write nothing. Each component's answers file records the files it creates and their
    hashes, so the assessment can tell scaffolding nobody uses from integrated code."""
    from mlops_factory._scaffold._binding import choice_conflicts

    names = [*(r.name for r in recorded), *(c.name for c in components), *(b.name for b in bound)]
    ordered = [
        c.name for c in dependency_order(catalog, [n for n in names if n in catalog.components])
    ]
    everything = [*ordered, *(n for n in dict.fromkeys(names) if n not in ordered)]
    render_data = {**answers, "components": everything}
    changes: list[FileChange] = []
    if components:
        with rendered(catalog, components, render_data, trust=trust, name=project.name) as out:
            changes.extend(classify_new_files(out, project))
    if bound:
        changes.extend(_bound_changes(project, bound))
    changes = _record_files(project, changes, [c.name for c in components], bound)
    choices: list[str] = []
    if bindings is not None and components:
        choices = choice_conflicts(
            bindings,
            answers,
            [
                (c.name, c.questions, [x.path for x in changes if x.component == c.name])
                for c in components
            ],
        )
    return ApplyResult(
        project=project,
        components=tuple(plans),
        answers=render_data,
        sources=dict(sources),
        changes=tuple(changes),
        written=(),
        dry_run=True,
        conflict=conflict,
        notes=tuple(notes),
        bindings=bindings,
        bound=tuple(bound),
        choice_conflicts=tuple(choices),
        unanswered=tuple(unanswered),
    )


def _bound_changes(project: Path, bound: Sequence[BoundComponent]) -> list[FileChange]:
    """Compare the files of components bound to the repository with it (as ``add`` does)."""
    import tempfile

    from mlops_factory._scaffold._project import Rendering, rmtree

    parent = Path(tempfile.mkdtemp(prefix="mlops-factory-bind-"))
    try:
        owners: dict[str, str] = {}
        for component in bound:
            for rel, content in component.files.items():
                target = parent / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                owners[rel] = component.name
        rendering = Rendering(root=parent, versions=(), owners=owners)
        return classify_new_files(rendering, project, label="mlops-factory (bound)")
    finally:
        rmtree(parent)


def _record_files(
    project: Path,
    changes: Sequence[FileChange],
    names: Sequence[str],
    bound: Sequence[BoundComponent],
) -> list[FileChange]:
    """Add to each component's answers file the files it creates, with their hashes
    (``_mlops_factory_files``); bound components get a bindings record of their own."""
    import yaml

    from mlops_factory._assess._scaffolded import FILES_KEY, text_hash

    def hashes(component: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for change in changes:
            if change.component == component and change.kind == "create" and change.after:
                text = _utf8(change.after)
                if text is not None and not change.path.startswith(".mlops-factory/"):
                    out[change.path] = text_hash(text)
        return out

    result = list(changes)
    for i, change in enumerate(result):
        if change.component in names and change.path == answers_file(change.component):
            files = hashes(change.component)
            if change.kind == "create" and change.after is not None and files:
                block = yaml.safe_dump({FILES_KEY: files}, sort_keys=True).encode("utf-8")
                after = change.after + (b"" if change.after.endswith(b"\n") else b"\n") + block
                result[i] = replace(change, after=after, theirs=after)
    for component in bound:
        record = {
            "component": component.name,
            "bindings": {
                b.key: {"value": b.value, "from": b.source, "certain": b.certain}
                for b in component.used
            },
            "claims": {c.criterion: list(c.cites) for c in component.claims},
            FILES_KEY: hashes(component.name),
        }
        header = (
            f"# Bindings of {component.name} to this repository's own code, written by "
            "mlops-factory. Do not edit by hand.\n"
        )
        content = (header + yaml.safe_dump(record, sort_keys=False)).encode("utf-8")
        rel = f"{BINDINGS_DIR}/{component.name}.yml"
        target = project / rel
        before = target.read_bytes() if target.is_file() and not target.is_symlink() else None
        kind: Literal["create", "update"] = "create" if before is None else "update"
        if before == content:
            result.append(FileChange(rel, component.name, "unchanged", before, before, content))
        else:
            result.append(FileChange(rel, component.name, kind, before, content, content))
    return result


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def write_result(preview: ApplyResult) -> ApplyResult:
    """Write a preview's changes (unless it has conflicts and ``conflict="stop"``)."""
    if preview.choice_conflicts or (preview.conflicts and preview.conflict == "stop"):
        return replace(preview, dry_run=False, written=())
    written = write_changes(preview.project, preview.changes, inline=preview.conflict == "inline")
    return replace(preview, dry_run=False, written=written)


# --- the repository and its answers ------------------------------------------------------


def check_project(path: str | os.PathLike[str]) -> Path:
    """The project folder as an absolute path; FactoryError if it is not a folder."""
    project = Path(os.path.abspath(Path(path).expanduser()))
    if not project.is_dir():
        raise FactoryError(
            f"{project} is not a folder" if project.exists() else f"{project} does not exist",
            hint="give the path of the repository",
        )
    return project


def _prompter(interactive: bool | None) -> Prompter | None:
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
    return QuestionaryPrompter() if interactive else None


def resolve_member(catalog: Catalog, group: Group, answers: Mapping[str, Any]) -> Component:
    """The member of ``group`` that the answers pick; FactoryError for ``none``."""
    value = answers.get(group.answer, NONE)
    if value == NONE or value not in group.members:
        raise FactoryError(
            f"{group.name} needs a choice: {group.answer} is {value!r}",
            hint=f"pass --data {group.answer}=<one of: {', '.join(group.members)}>",
        )
    return catalog.components[group.members[value]]


def align_group_answers(
    catalog: Catalog,
    chosen: Sequence[Component],
    answers: dict[str, Any],
    sources: dict[str, AnswerSource],
    given: Mapping[str, Any],
) -> None:
    """Make group answers agree with the members applied (data_versioning=dvc when
    data-versioning-dvc is), so templates and answers files tell the same story."""
    names = {c.name for c in chosen}
    for group in catalog.groups.values():
        picked = [key for key, member in group.members.items() if member in names]
        if not picked or answers.get(group.answer) in picked:
            continue
        if group.answer in given:
            raise FactoryError(
                f"the plan applies {group.members[picked[0]]}, but {group.answer}="
                f"{given[group.answer]!r} was given",
                hint=f"drop --data {group.answer}=..., or pass {group.answer}={picked[0]}",
            )
        answers[group.answer] = picked[0]
        sources[group.answer] = "default"


def unmet_requirements(catalog: Catalog, component: Component, present: Sequence[str]) -> list[str]:
    """What ``component`` requires that is not among ``present`` (groups: any member)."""
    out: list[str] = []
    for need in component.requires:
        group = catalog.groups.get(need)
        members = group.members.values() if group else (need,)
        if not any(m in present for m in members):
            out.append(need)
    return out


def resolve_project_answers(
    catalog: Catalog,
    project: Path,
    *,
    given: Mapping[str, Any],
    recorded: Sequence[RecordedComponent],
    needed: Sequence[str],
    defaults: bool = False,
    prompter: Prompter | None = None,
    preview: bool = False,
    bindings: RepoBindings | None = None,
) -> tuple[dict[str, Any], dict[str, AnswerSource], list[str]]:
    """Resolve every answer key for applying components to an existing project.

    Order: ``given`` (validated; errors raise), the project's recorded answers, answers
    derived from the repository (both used only when valid), then for keys in
    ``needed``: the terminal (``prompter``, unless ``defaults``), and for the rest the
    suggestion. ``project_name`` and ``owner``, when needed and not known, must be given
    without a terminal unless ``defaults``; a ``preview`` (dry run) never asks nor fails:
    it uses the suggestion and marks the answer ``unanswered`` (what it would ask).
    Returns answers, their sources and notes.
    """
    if preview:
        prompter = None
    ctx = AnswerContext(catalog=catalog, dest=project, answers={})
    sources: dict[str, AnswerSource] = {}
    notes: list[str] = []
    known: tuple[tuple[AnswerSource, Mapping[str, Any]], ...] = (
        ("recorded", merged_answers(recorded)),
        ("repo", derive_answers(project, bindings)),
    )
    missing: list[str] = []
    keys = (*ANSWER_KEYS, *(k for k in group_keys(catalog) if k not in ANSWER_KEYS))
    for key in keys:
        if key in given:
            ctx.answers[key] = validate(ctx, key, given[key])
            sources[key] = "given"
            continue
        found = False
        for source, values in known:
            if key not in values:
                continue
            problem, value = check_answer(ctx, key, values[key])
            if problem is None:
                ctx.answers[key], sources[key], found = value, source, True
                break
            if key in needed:  # an answer no component here uses is no news
                notes.append(f"ignored the {source} answer {key}={values[key]!r}: {problem}")
        if found:
            continue
        is_needed = key in needed
        asking = prompter is not None and not defaults and is_needed and asks(ctx, key)
        if key in REQUIRED_KEYS and is_needed and not defaults and not asking and not preview:
            missing.append(key)
            continue
        if preview and is_needed and not defaults and asks(ctx, key):
            ctx.answers[key] = validate(ctx, key, default(ctx, key))
            sources[key] = "unanswered"
            continue
        if key != "project_name" and "project_name" in missing:
            continue  # derived suggestions need it
        suggestion = default(ctx, key)
        if asking and prompter is not None:
            ctx.answers[key], sources[key] = prompt_answer(ctx, prompter, key, suggestion), "asked"
        else:
            ctx.answers[key], sources[key] = validate(ctx, key, suggestion), "default"
    if missing:
        raise FactoryError(
            f"missing answers (no terminal to ask): {', '.join(missing)}",
            hint="give them with "
            + " ".join(f"--data {k}=..." for k in missing)
            + " (or --data-file), or pass --defaults to accept the suggestions",
        )
    for key, value in given.items():
        if key not in ctx.answers:
            ctx.answers[key], sources[key] = value, "given"
    return ctx.answers, sources, notes


def derive_answers(project: Path, bindings: RepoBindings | None = None) -> dict[str, Any]:
    """Answers the repository itself states: names, description and Python version from
    ``pyproject.toml``, the licence from its LICENSE file (else pyproject), the package
    from ``src/<package>/``, the CI provider, infrastructure-as-code tool and data
    versioning from the files present. ``bindings`` is the repository already read (see
    :func:`scan_repository`). Values may be invalid answers; the caller validates them."""
    out: dict[str, Any] = {}
    meta = _pyproject(project)
    name = meta.get("name")
    if isinstance(name, str) and name:
        out["project_name"] = name
    description = meta.get("description")
    if isinstance(description, str) and description.strip():
        out["description"] = description.strip()
    package = _package(project, name if isinstance(name, str) else None)
    if package:
        out["package_name"] = package
    python = _python_version(project, meta.get("requires-python"))
    if python:
        out["python_version"] = python
    licence = (bindings or _scan(project)).get("license")
    if licence is not None:
        out["license"] = licence.value
    authors = meta.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        owner = authors[0].get("name")
        if isinstance(owner, str) and owner.strip():
            out["owner"] = owner.strip()
    for provider, markers in _CI_MARKERS:
        if any(_ci_marker(project / m) for m in markers):
            out["ci"] = provider
            break
    iac = _iac(project)
    if iac:
        out["iac"] = iac
    if (project / "dvc.yaml").is_file() or (project / ".dvc").is_dir():
        out["data_versioning"] = "dvc"
    return out


def _scan(project: Path) -> RepoBindings:
    from mlops_factory._scaffold._binding import scan_repository

    return scan_repository(project)


def _pyproject(project: Path) -> dict[str, Any]:
    from mlops_factory._readsafe import Refused, read_in

    try:
        raw = read_in(project, "pyproject.toml", cap=1_048_576)
        data = tomllib.loads(raw.decode("utf-8"))
    except (Refused, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    meta = data.get("project")
    return meta if isinstance(meta, dict) else {}


def _package(project: Path, name: str | None) -> str | None:
    """The import package: the only package under ``src/``, else a top-level package
    named after the project."""
    src = project / "src"
    if src.is_dir():
        found = sorted(
            p.name
            for p in src.iterdir()
            if p.is_dir() and (p / "__init__.py").is_file() and p.name.isidentifier()
        )
        if len(found) == 1:
            return found[0]
    if name:
        guess = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        if guess and (project / guess / "__init__.py").is_file():
            return guess
    return None


def _python_version(project: Path, requires: Any) -> str | None:
    from mlops_factory._readsafe import Refused, read_in

    if (project / ".python-version").is_file():
        try:
            text = read_in(project, ".python-version", cap=4096).decode("utf-8")
            match = _PYTHON_RE.search(text)
        except (Refused, UnicodeDecodeError):
            match = None
        if match:
            return f"{match.group(1)}.{match.group(2)}"
    if isinstance(requires, str):
        match = _PYTHON_RE.search(requires)
        if match:
            return f"{match.group(1)}.{match.group(2)}"
    return None


def _ci_marker(path: Path) -> bool:
    if path.is_dir():
        return any(p.suffix in (".yml", ".yaml") for p in path.iterdir() if p.is_file())
    return path.is_file()


def _iac(project: Path) -> str | None:
    """terraform or bicep, from the first such file found (bounded walk)."""
    seen = 0
    for _dirpath, dirnames, filenames in os.walk(project):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in filenames:
            if name.endswith(".tf"):
                return "terraform"
            if name.endswith(".bicep"):
                return "bicep"
        seen += len(filenames)
        if seen > 20_000:
            break
    return None
