"""The report as one self-contained HTML file: inline CSS, no scripts, no fonts,
images or anything else fetched from anywhere, readable on screen and on paper.

The page is a Jinja2 template (``templates/report.html.j2``) rendered with autoescape,
so no value can reach the page unescaped by a forgotten call; text from the assessed
repository also passes through :func:`~._common.clean`, and a Content-Security-Policy
forbids scripts and remote loads, so a hostile snippet stays text.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from mlops_factory._assess.model import Assessment, Rubric
from mlops_factory._assess.render import _common as c

#: Evidence items listed per finding; the JSON output has them all.
MAX_EVIDENCE = 10
#: Unreadable paths listed; the summary line counts them all.
MAX_UNREADABLE = 200


@cache
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlops_factory._assess.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["clean"] = c.clean
    return env.get_template("report.html.j2")


def render(assessment: Assessment, *, rubric: Rubric | None = None) -> str:
    """The full report as one HTML document."""
    text: str = _template().render(
        a=assessment,
        repo=assessment.repo,
        rubric=rubric,
        c=c,
        max_evidence=MAX_EVIDENCE,
        max_unreadable=MAX_UNREADABLE,
    )
    return text
