"""Charts for the HTML reports as inline SVG, drawn server-side: they render without JS or network."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence


def esc(value: object) -> str:
    """Text or attribute value, escaped for HTML/SVG."""
    return html.escape("" if value is None else str(value), quote=True)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 x 10^k steps) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def scatter_svg(points: Sequence[Sequence], label_x: str, label_y: str, width: int = 520, height: int = 420) -> str:
    """A vs B with the y = x diagonal; differing pairs in red, each point titled with its site."""
    if not points:
        return '<svg viewBox="0 0 520 80" role="img"><text x="20" y="40">no pairs with scores on both sides</text></svg>'
    xs = [p[0] for p in points] + [p[1] for p in points]
    lo, hi = min(xs), max(xs)
    pad = (hi - lo) * 0.04 or 1.0
    lo, hi = lo - pad, hi + pad
    left, right, top, bottom = 56, 14, 12, 44
    pw, ph = width - left - right, height - top - bottom

    def sx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * pw

    def sy(v: float) -> float:
        return top + ph - (v - lo) / (hi - lo) * ph

    out = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="scatter of scores">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fff" stroke="#d5dde6"/>',
    ]
    for t in nice_ticks(lo, hi):
        out.append(
            f'<line x1="{sx(t):.1f}" y1="{top + ph}" x2="{sx(t):.1f}" y2="{top + ph + 4}" stroke="#5b6b7c"/>'
            f'<text x="{sx(t):.1f}" y="{top + ph + 16}" text-anchor="middle">{t:g}</text>'
            f'<line x1="{left - 4}" y1="{sy(t):.1f}" x2="{left}" y2="{sy(t):.1f}" stroke="#5b6b7c"/>'
            f'<text x="{left - 7}" y="{sy(t) + 4:.1f}" text-anchor="end">{t:g}</text>'
            f'<line x1="{left}" y1="{sy(t):.1f}" x2="{left + pw}" y2="{sy(t):.1f}" stroke="#eef2f6"/>'
        )
    out.append(
        f'<line x1="{sx(lo):.1f}" y1="{sy(lo):.1f}" x2="{sx(hi):.1f}" y2="{sy(hi):.1f}" stroke="#9aa8b6" stroke-dasharray="4 3"/>'
    )
    # identical pairs first so the differing ones are drawn on top
    for p in sorted(points, key=lambda p: p[0] != p[1]):
        cls = "pt d" if p[0] != p[1] else "pt"
        r = 3.5 if p[0] != p[1] else 2.6
        out.append(
            f'<circle class="{cls}" data-site="{esc(p[2])}" cx="{sx(p[0]):.1f}" cy="{sy(p[1]):.1f}" r="{r}">'
            f"<title>{esc(p[2])}: {p[0]:g} vs {p[1]:g}</title></circle>"
        )
    out.append(
        f'<text x="{left + pw / 2}" y="{height - 8}" text-anchor="middle">{esc(label_x)}</text>'
        f'<text transform="translate(14 {top + ph / 2}) rotate(-90)" text-anchor="middle">{esc(label_y)}</text>'
        "</svg>"
    )
    return "".join(out)


def bars_svg(
    labels: Sequence[str],
    counts: Sequence[float],
    width: int = 520,
    height: int = 420,
    x_label: str = "",
    zero_first: bool = True,
    log: bool = True,
    y_label: str = "records",
) -> str:
    """Vertical bars with the count above each, on a log10(1 + count) axis by default so that a handful of
    differing records stays visible next to millions of identical ones; first bar green when zero_first."""
    if not labels:
        return '<svg viewBox="0 0 520 80" role="img"><text x="20" y="40">nothing to show</text></svg>'
    left, right, top, bottom = 56, 10, 20, 58
    pw, ph = width - left - right, height - top - bottom
    peak = max(max(counts), 1)

    def scale(v: float) -> float:
        return math.log10(1 + v) / math.log10(1 + peak) if log else v / peak

    ticks = [10**k for k in range(int(math.log10(peak)) + 1)] if log else nice_ticks(0, peak, 4)
    slot = pw / len(labels)
    out = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="bar chart">',
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#5b6b7c"/>',
    ]
    for t in ticks:
        y = top + ph - scale(t) * ph
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#eef2f6"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{t:,g}</text>'
        )
    for i, (lab, c) in enumerate(zip(labels, counts)):
        h = scale(c) * ph
        x = left + i * slot + slot * 0.15
        cls = "bar z" if (zero_first and i == 0) else "bar"
        out.append(
            f'<rect class="{cls}" x="{x:.1f}" y="{top + ph - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}">'
            f"<title>{esc(lab)}: {c:,}</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{top + ph - h - 4:.1f}" text-anchor="middle">{c:,}</text>'
            f'<text x="{x + slot * 0.35:.1f}" y="{top + ph + 14}" text-anchor="middle">{esc(lab)}</text>'
        )
    axis = f"{y_label} (log scale)" if log else y_label
    out.append(
        f'<text transform="translate(12 {top + ph / 2}) rotate(-90)" text-anchor="middle">{axis}</text>'
        f'<text x="{left + pw / 2}" y="{height - 10}" text-anchor="middle">{esc(x_label)}</text></svg>'
    )
    return "".join(out)
