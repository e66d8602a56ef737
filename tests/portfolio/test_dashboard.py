"""The HTML dashboard: self-contained, escaped, and showing the right numbers."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from markupsafe import escape

from mlops_factory._portfolio import PortfolioResult, render_dashboard
from tests.portfolio.conftest import FLEET, HOSTILE

VOID = {"meta", "br", "img", "input", "link", "hr", "rect", "line", "circle", "polyline"}


class _Structure(HTMLParser):
    """Checks that every element is closed in order, and counts tags and classes."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: dict[str, int] = {}
        self.classes: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for cls in (dict(attrs).get("class") or "").split():
            self.classes[cls] = self.classes.get(cls, 0) + 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def structure(html: str) -> _Structure:
    parser = _Structure()
    parser.feed(html)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    return parser


def test_the_dashboard_is_well_formed_with_one_heatmap_row_per_scored_repo(
    two_runs: tuple[PortfolioResult, Path],
) -> None:
    result, _ = two_runs
    html = render_dashboard(result)
    s = structure(html)
    assert len(result.scored) == len(FLEET) + 1
    assert s.classes["repo"] == len(result.scored)  # heatmap rows
    assert s.classes["plan"] == len(result.scored)  # one plan card per repo
    assert s.classes["sparkline"] == len(result.scored)
    assert "script" not in s.tags
    assert html.count('<tr class="repo">') == 13
    assert "Not scored (2)" in html


def test_nothing_is_loaded_from_anywhere_and_only_the_hashed_style_applies(
    two_runs: tuple[PortfolioResult, Path],
) -> None:
    html = render_dashboard(two_runs[0])
    assert "<script" not in html.lower()
    assert re.findall(r"\b(?:src|href|action|srcset|poster)\s*=\s*\"(?!#)", html) == []
    assert "url(" not in html and "@import" not in html
    assert " style=" not in html  # inline style attributes would need 'unsafe-inline'
    (style,) = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    (csp,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp == (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def test_text_from_repos_is_escaped(two_runs: tuple[PortfolioResult, Path]) -> None:
    html = render_dashboard(two_runs[0])
    shown = str(escape(HOSTILE.replace("\u202e", "\\u202e")))
    assert shown.startswith("&lt;img src=x onerror=alert(1)&gt;&amp;&#34;")
    assert html.count(shown) >= 2  # heatmap row and plan card (paths too)
    assert "<img" not in html and "\u202e" not in html


def test_the_numbers_match_the_run(two_runs: tuple[PortfolioResult, Path]) -> None:
    result, _ = two_runs
    html = render_dashboard(result)
    # 12 fleet repos at 0,1,2,3,4,... with team01 grown to 2 and team02 fallen to 1,
    # plus the hostile repo at level 1.
    assert result.distribution() == [3, 4, 2, 2, 2]
    for level, n in enumerate(result.distribution()):
        assert re.search(rf"<title>Level {level} \([^)]*\): {n} repos</title>", html)
    assert "<title>Model creation: 3 at level 0</title>" in html
    assert "<title>People: 13 at not assessed</title>" in html

    rows = dict(
        re.findall(
            r'<tr class="repo"><th scope="row"><a href="#repo-\d+">([^<]*)</a>(.*?)</tr>', html
        )
    )
    assert '<td class="change up">▲ +1</td>' in rows["team01-l1"]
    assert "Overall level over the last 2 runs: 1, 2" in rows["team01-l1"]
    assert '<td class="change down">▼ -1</td>' in rows["team02-l2"]
    assert '<td class="lv l1">1<span class="arrow down"' in rows["team02-l2"]  # model creation
    assert '<td class="change">= 0</td>' in rows["team04-l4"]
    assert rows["team04-l4"].count('<td class="lv lna" title="not assessed">–</td>') == 1


def test_each_repo_shows_its_first_plan_steps(two_runs: tuple[PortfolioResult, Path]) -> None:
    result, _ = two_runs
    html = render_dashboard(result)
    repo = next(r for r in result.scored if r.name == "team03-l3")
    assert repo.score is not None
    card = re.search(r'<article class="plan" id="repo-\d+"><h3>team03-l3.*?</article>', html)
    assert card is not None
    steps = re.findall(r"<li><strong>([^<]*)</strong>", card.group(0))
    assert steps == [str(escape(s.title)) for s in repo.score.top_steps]
    assert len(steps) == 3
    assert f"{repo.score.plan_steps} steps" in card.group(0)


def test_without_history_there_is_no_change_or_trend_column(
    two_runs: tuple[PortfolioResult, Path],
) -> None:
    result = replace(two_runs[0], run_id=None, db=None)
    html = render_dashboard(result)
    assert "<th>Change</th>" not in html and "<th>Trend</th>" not in html
    assert "Run #" not in html
    structure(html)


def test_an_empty_portfolio_still_renders(two_runs: tuple[PortfolioResult, Path]) -> None:
    result = replace(two_runs[0], repos=two_runs[0].failed)
    html = render_dashboard(result)
    assert '<tr class="repo">' not in html and "Not scored (2)" in html
    assert "median level –" in html
    structure(html)
