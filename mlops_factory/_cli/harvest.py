"""`mlops-factory harvest`: turn project files into a catalog component."""

from __future__ import annotations

import argparse

from mlops_factory._cli import _options

HELP = "Turn files of a project into a catalog component (or a new version of one)."
DESCRIPTION = """\
Copy files (or folders) of a project into a component of a catalog: the project's name,
package name, description and owner become template variables ({{ project_name }} ...),
everything else stays literal. Rendering the component with the project's answers gives
the files back byte for byte; harvest checks that before it writes anything.

A new component gets version 1.0.0; an existing one a new minor version that keeps its
files and adds or replaces the harvested ones. --catalog names the catalog to write to:
a folder holding catalog.yaml, or a new or empty folder, which becomes a new catalog
seeded with the built-in components. The built-in catalog itself is never written.
Exit codes: 0 written, 2 user error (nothing written), 3 internal error.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="the project folder")
    parser.add_argument("files", nargs="+", metavar="FILE", help="files or folders to harvest")
    parser.add_argument("--component", required=True, metavar="NAME", help="component name")
    parser.add_argument(
        "--catalog", metavar="DIR", help="the catalog to write to (required; see above)"
    )
    parser.add_argument("--title", help="title of a new component")
    parser.add_argument("--description", help="description of a new component")
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a project value (project_name, package_name, description, owner)",
    )
    _options.add_format(parser, ("terminal", "json"), help_suffix="; `text` is an old name")


def run(args: argparse.Namespace) -> int:
    import json
    import shlex
    import sys

    from mlops_factory._errors import ExitCode, FactoryError
    from mlops_factory._factory import harvest

    if not args.catalog:
        raise FactoryError(
            "name the catalog to write to with --catalog DIR",
            hint="the built-in catalog is read-only; a new or empty folder becomes a new "
            "catalog seeded with the built-in components",
        )
    overrides: dict[str, str] = {}
    for item in args.data:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise FactoryError(f"--data {item!r}: expected KEY=VALUE")
        overrides[key.strip()] = value
    result = harvest(
        args.path,
        args.files,
        component=args.component,
        catalog=args.catalog,
        title=args.title,
        description=args.description,
        values=overrides,
    )
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return int(ExitCode.OK)

    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Harvested into component {result.component}", title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("template", overflow="fold")
    table.add_column("values replaced")
    for f in result.files:
        replaced = ", ".join(f"{k} ×{n}" for k, n in f.replaced.items()) or "-"
        table.add_row(f.source, f.template, replaced)
    console.print(table, markup=False)
    was = f" (was {result.previous_version})" if result.previous_version else " (new)"
    console.print(
        f"component {result.component} {result.version}{was} written to catalog "
        f"{result.catalog} (catalog version {result.catalog_version})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for f in result.files:
        for note in f.notes:
            console.print(
                f"note: {f.source}: {note}", markup=False, highlight=False, soft_wrap=True
            )
    for note in result.notes:
        console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    catalog = shlex.quote(str(result.catalog))
    console.print("next:", markup=False)
    for line in (
        f"mlops-factory templates --catalog {catalog}",
        f"mlops-factory add {result.component} PROJECT --catalog {catalog}",
    ):
        console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    return int(ExitCode.OK)
