"""Report pages rendered in headless Chromium (scripts/screenshot_report.sh), read back as the DOM the browser
built after running the page's script, so a test asserts what a reader sees: the charts, their points and
bars, the numbers on the cards and in the tables."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from conftest import ROOT

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)
    parts: list[str | Element] = field(default_factory=list)  # text and child elements, in order

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)

    def all(self, tag: str, cls: str | None = None) -> list[Element]:
        """Descendants with this tag (and class), in document order."""
        found = []
        for child in self.children:
            if child.tag == tag and (cls is None or cls in child.classes):
                found.append(child)
            found += child.all(tag, cls)
        return found

    def one(self, tag: str, cls: str | None = None) -> Element:
        found = self.all(tag, cls)
        assert len(found) == 1, f"{len(found)} <{tag} class={cls}> where one was expected"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        self.stack[-1].parts.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>: the dumped DOM is not nested"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].parts.append(data)


def parse_dom(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def render(html: Path, png: Path, width: int, height: int) -> Element:
    """Screenshot `html` (the script's checks: no console message, script ran, PNG written) and return the DOM."""
    dom = png.with_suffix(".dom.html")
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "screenshot_report.sh"), str(html), str(png), str(width), str(height), str(dom)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    root = parse_dom(dom.read_text())
    assert root.one("body").attrs.get("data-js") == "ok"  # the page's script ran to its end in the browser
    return root


def number(text: str) -> float:
    """'1,234' or '0.5' as shown on a page."""
    return float(text.strip().replace(",", ""))


def assert_diff_page(dom: Element, report: dict) -> None:
    """A `vqsr-cnn diff` page as the browser shows it carries what report.json says."""
    scores = report["scores"]
    verdict = dom.one("span", "verdict")
    assert verdict.text == ("within limits" if report["limits"]["passed"] else "limits exceeded")
    cards = {card.one("span").text: card.one("b").text for card in dom.all("div", "card")}
    assert number(cards["matched records"]) == report["matched"]
    assert number(cards["scores differ at all (3-decimal text)"]) == scores["differ"]
    assert number(cards["records changing a call"]) == report["call_changes"]["records"]
    gatk = report.get("gatk_default_filter_changes")
    if gatk:  # FILTER changes at GATK's default tranches, with their share
        shown = next(text for label, text in cards.items() if label.startswith("FILTER changes"))
        assert number(shown.split(" (")[0]) == gatk["changes"]
    scatter, histogram = (panel.one("svg") for panel in dom.all("div", "panel"))
    points = scatter.all("circle", "pt")
    assert len(points) == report["scatter_points"]["drawn"] > 0
    if report["scatter_points"]["drawn"] == report["scatter_points"]["of"]:  # every pair drawn: red = differing
        assert len([p for p in points if "d" in p.classes]) == scores["differ"]
    bars = histogram.all("rect", "bar")
    assert [number(bar.one("title").text.rsplit(": ", 1)[1]) for bar in bars] == report["abs_delta_histogram"]["counts"]
    drawn = {p.attrs["data-site"] for p in points}
    rows = [row for row in dom.all("tr") if "data-site" in row.attrs]
    assert all(row.attrs["data-site"] in drawn for row in rows)  # every listed record has its point to light up
