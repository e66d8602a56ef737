"""Scaffolding: the template catalog, ``new``, and closing gaps with ``add``/``update``.

Public surface (re-exported by :mod:`mlops_factory`): :func:`new_project`,
:class:`NewProjectResult`, :func:`load_catalog`, :class:`Catalog`,
:func:`add_component`, :class:`ApplyResult`, :func:`update_project`,
:class:`UpdateResult`, :func:`check_updates`, :class:`UpdateReport`,
:func:`read_recorded`, :class:`RecordedComponent`.
"""

from mlops_factory._scaffold._add import ApplyResult, add_component
from mlops_factory._scaffold._answers import (
    load_data_file,
    parse_data_items,
    resolve_answers,
)
from mlops_factory._scaffold._cache import Materialised, cache_dir, materialise
from mlops_factory._scaffold._catalog import (
    Catalog,
    Component,
    Group,
    Pattern,
    load_catalog,
)
from mlops_factory._scaffold._new import AppliedComponent, NewProjectResult, new_project
from mlops_factory._scaffold._project import (
    FileChange,
    RecordedComponent,
    Rendering,
    read_recorded,
    rendered,
)
from mlops_factory._scaffold._update import (
    ComponentStatus,
    ComponentUpdate,
    ProjectStatus,
    UpdateReport,
    UpdateResult,
    check_updates,
    update_project,
)

__all__ = [
    "AppliedComponent",
    "ApplyResult",
    "Catalog",
    "Component",
    "ComponentStatus",
    "ComponentUpdate",
    "FileChange",
    "Group",
    "Materialised",
    "NewProjectResult",
    "Pattern",
    "ProjectStatus",
    "RecordedComponent",
    "Rendering",
    "UpdateReport",
    "UpdateResult",
    "add_component",
    "cache_dir",
    "check_updates",
    "load_catalog",
    "load_data_file",
    "materialise",
    "new_project",
    "parse_data_items",
    "read_recorded",
    "rendered",
    "resolve_answers",
    "update_project",
]
