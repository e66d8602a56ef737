"""`mlops-factory templates`: list the catalog's patterns and components."""

from __future__ import annotations

import argparse

from mlops_factory._cli import _options

HELP = "List the architecture patterns and components of the template catalog."
DESCRIPTION = """\
List the architecture patterns (named recipes over components, used by `mlops-factory
new --pattern`) and the components with their versions. A pattern entry marked * is a
group: an answer picks its member (e.g. ci=github picks ci-github; none picks nothing).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _options.add_format(parser, ("terminal", "json"), help_suffix="; `table` is an old name")
    _options.add_catalog(parser, vcs_ref=True)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from mlops_factory._errors import ExitCode
    from mlops_factory._scaffold import load_catalog

    catalog = load_catalog(args.catalog, vcs_ref=args.vcs_ref)
    if args.format == "json":
        sys.stdout.write(json.dumps(catalog.to_dict(), indent=2) + "\n")
        return int(ExitCode.OK)

    from rich.console import Console
    from rich.table import Table

    console = Console()
    patterns = Table(title="Patterns", title_justify="left", show_lines=False)
    patterns.add_column("pattern", style="bold", no_wrap=True)
    patterns.add_column("title")
    patterns.add_column("components")
    default = catalog.default_pattern.name
    for pattern in catalog.patterns.values():
        entries = [f"{e}*" if e in catalog.groups else e for e in pattern.components]
        name = f"{pattern.name} (default)" if pattern.name == default else pattern.name
        patterns.add_row(name, pattern.title, ", ".join(entries))
    console.print(patterns, markup=False)

    if catalog.groups:
        groups = Table(title="Groups (*)", title_justify="left")
        groups.add_column("group", style="bold", no_wrap=True)
        groups.add_column("answer", no_wrap=True)
        groups.add_column("members")
        for group in catalog.groups.values():
            members = ", ".join(f"{value}={name}" for value, name in group.members.items())
            groups.add_row(group.name, group.answer, f"{members}, none")
        console.print(groups)

    components = Table(title=f"Components (catalog {catalog.version})", title_justify="left")
    components.add_column("component", style="bold", no_wrap=True)
    components.add_column("version", no_wrap=True)
    components.add_column("title")
    components.add_column("requires")
    for component in catalog.components.values():
        components.add_row(
            component.name, component.version, component.title, ", ".join(component.requires)
        )
    console.print(components)
    return int(ExitCode.OK)
