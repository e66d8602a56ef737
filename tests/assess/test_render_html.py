from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from mlops_factory._assess.model import Evidence, Finding, Outcome
from mlops_factory._assess.render import render
from tests.assess import _fixtures as fx

_VOID = {"meta", "br", "hr", "img", "link", "input", "col", "wbr"}


class _Collector(HTMLParser):
    """Records every tag and attribute, and checks that elements nest properly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(text: str) -> _Collector:
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return parser


def _html() -> str:
    return render(fx.assessment(), "html", rubric=fx.rubric())


def test_is_one_well_formed_document() -> None:
    text = _html()
    assert text.startswith('<!DOCTYPE html>\n<html lang="en">')
    parsed = _parse(text)
    assert parsed.errors == []
    assert parsed.stack == []


def test_is_self_contained() -> None:
    for text in (_html(), render(fx.all_met_assessment(), "html")):
        parsed = _parse(text)
        for tag, attrs in parsed.tags:
            for name in ("src", "href", "action", "srcset", "data"):
                value = attrs.get(name) or ""
                assert not re.match(r"\s*(https?:)?//", value), (tag, name, value)
            assert tag not in {"script", "link", "img", "iframe", "object", "embed"}
        assert not re.search(r"<script\b", text, re.IGNORECASE)
        assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", text, re.IGNORECASE)
        assert "@import" not in text
        assert "url(" not in text
        assert [tag for tag, _ in parsed.tags].count("style") == 1


def test_forbids_scripts_and_remote_loads_by_policy() -> None:
    parsed = _parse(_html())
    policies = [
        attrs.get("content")
        for tag, attrs in parsed.tags
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policies == ["default-src 'none'; style-src 'unsafe-inline'"]


def test_repo_text_is_escaped() -> None:
    text = _html()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    assert "<script>" not in text
    assert "<title>MLOps maturity: demo&lt;b&gt;</title>" in text
    assert "bad &lt;yaml&gt;" in text
    assert "\x1b" not in text
    assert "\\x1b[31mred\\x1b[0m" in text


def test_summary_grid_cells_and_levels() -> None:
    text = _html()
    row = re.search(r'<tr><th scope="row"><a href="#dim-model_creation">.*?</tr>', text)
    assert row is not None
    assert re.findall(r'<td class="cell cell-(\w+)">([^<]*)</td>', row.group(0)) == [
        ("met", "1/1"),
        ("partial", "1/2"),
        ("empty", "–"),
        ("unmet", "0/1"),
    ]
    assert '<td class="cell cell-not_assessed">0/1 ?1</td>' in text
    assert '<td class="cell cell-unmet">0/1 !1</td>' in text
    assert '<td class="cell cell-not_applicable">n/a</td>' in text
    # Every in-page link points at an element that exists.
    parsed = _parse(text)
    ids = {attrs.get("id") for _, attrs in parsed.tags} - {None}
    links = {attrs.get("href") or "" for _, attrs in parsed.tags} - {""}
    assert len(links) == 4
    assert {link.removeprefix("#") for link in links} <= ids


def test_overall_level_and_people_note() -> None:
    text = _html()
    assert '<p class="overall">Overall level 1 — DevOps but no MLOps</p>' in text
    assert (
        '<p class="people-note">People not assessed: answer the questionnaire (--answers FILE)</p>'
    ) in text
    all_met = render(fx.all_met_assessment(), "html")
    assert "People not assessed" not in all_met


def test_findings_with_outcomes_evidence_and_weak_marks() -> None:
    text = _html()
    parsed = _parse(text)
    outcomes = [
        (attrs["id"], attrs["class"])
        for tag, attrs in parsed.tags
        if tag == "li" and "finding" in (attrs.get("class") or "")
    ]
    assert outcomes == [
        ("PE-101", "finding outcome-not_assessed"),
        ("PE-201", "finding outcome-not_assessed"),
        ("MC-101", "finding outcome-met"),
        ("MC-201", "finding outcome-met"),
        ("MC-202", "finding outcome-unmet"),
        ("MC-401", "finding outcome-unmet"),
        ("MR-101", "finding outcome-met"),
        ("MR-201", "finding outcome-error"),
        ("MR-301", "finding outcome-not_applicable"),
        ("AI-101", "finding outcome-met"),
        ("AI-201", "finding outcome-unmet"),
    ]
    assert text.count('<span class="weak">weak</span>') == 2
    assert '<span class="badge">✓ met (weak evidence)</span>' in text
    assert '<code>pipelines/data.yml:3</code> <span class="snippet">type: pipeline</span>' in text
    assert (
        '<div class="question">Question: Do software engineers receive the model '
        "through a documented hand-off?</div>"
    ) in text


def test_plan_steps() -> None:
    text = _html()
    plan = text[text.index('<ol class="plan">') : text.index("</ol>")]
    assert plan.count("<li>") == 3
    assert "<h2>Plan: level 1 → 2 (3 steps, 6.5–11 days)</h2>" in text
    assert "<dt>Success criteria</dt><dd>Success for MC-202.</dd>" in plan
    assert "<dt>Deliverables</dt><dd>Deliverable for MC-202.</dd>" in plan
    assert "<dt>Effort</dt><dd>M (3–5 days)</dd>" in plan
    assert "<dt>Component</dt><dd>none: a people and process step</dd>" in plan
    assert '<ol class="plan">' not in render(fx.all_met_assessment(), "html")


def test_unreadable_files_and_print_styles() -> None:
    text = _html()
    assert (
        "<p>3 paths not read: binary file (2); symlink points outside the repository (1)</p>"
        in text
    )
    assert "<tr><td><code>data/blob.bin</code></td><td>binary file</td></tr>" in text
    assert "@media print" in text
    assert "Files not read" not in render(fx.all_met_assessment(), "html")


def test_invisible_and_bidi_characters_are_shown_as_escapes() -> None:
    ev = Evidence("src/x.py", 2, "ok = 1\u202e\u200b\x07")
    text = render(fx.assessment(findings=(Finding(fx.MC1, Outcome.MET, (ev,)),)), "html")
    assert '<span class="snippet">ok = 1\\u202e\\u200b\\x07</span>' in text
    assert not {"\u202e", "\u200b", "\x07"} & set(text)


def test_file_formats_do_not_import_rich() -> None:
    code = (
        "import sys\n"
        "from mlops_factory._assess.render import render\n"
        "from tests.assess import _fixtures as fx\n"
        "for fmt in ('json', 'markdown', 'sarif', 'html'):\n"
        "    render(fx.assessment(), fmt)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout == "[]\n"
