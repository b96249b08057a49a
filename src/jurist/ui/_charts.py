"""Charts as inline SVG, drawn in Python: no JavaScript library, nothing fetched, the same in a page and in
a report file that is mailed.

Every function returns :class:`markupsafe.Markup` (safe to insert in a template as is) and escapes every
label it draws, so a scorer or category named ``<script>`` shows as text.

Example:
    >>> svg = bar_chart([("correctness", 0.8, "80%")], maximum=1.0, title="Pass rate")
    >>> svg.startswith("<svg")
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: The palette: pass, fail, neutral bars, axis and text (readable on white and in print).
PASS = "#2f855a"
FAIL = "#c53030"
BAR = "#3b6fb6"
AXIS = "#8a8f98"
TEXT = "#1f2328"

_FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Bin:
    """One bar of a histogram: values in ``[low, high)`` (the last bin includes ``high``)."""

    low: float
    high: float
    count: int


def _num(x: float) -> str:
    """A coordinate, short: SVG needs no more than a tenth of a pixel."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def short_number(x: float) -> str:
    """A number as a chart labels it: ``0.25``, ``12``, ``1.2k``, ``3.4e-05``."""
    if x == 0 or not math.isfinite(x):
        return str(0 if x == 0 else x)
    a = abs(x)
    if a >= 10_000:
        return f"{x / 1000:.0f}k"
    if a >= 1000:
        return f"{x / 1000:.1f}k"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 0.01:
        return f"{x:.3g}"
    return f"{x:.2g}"


def _empty(title: str, width: int, message: str) -> Markup:
    return Markup(
        f'<svg class="chart" width="{width}" height="48" '
        f'viewBox="0 0 {width} 48" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<text x="4" y="28" fill="{AXIS}" {_FONT}>{escape(message)}</text></svg>'
    )


def bar_chart(items: Sequence[tuple[str, float, str]], *, maximum: float | None = None, title: str,
              width: int = 520, colors: Sequence[str] | None = None) -> Markup:
    """Horizontal bars, one per ``(label, value, shown)``: ``shown`` is the text printed after the bar.

    ``maximum`` is the value of a full bar (default: the largest value). ``colors`` gives each bar its
    colour (default: one blue).
    """
    if not items:
        return _empty(title, width, "nothing to show")
    top = maximum if maximum is not None else max((v for _, v, _ in items), default=0.0)
    top = top if top > 0 else 1.0
    label_w = min(200, 12 + 7 * max(len(label) for label, _, _ in items))
    value_w = 12 + 7 * max(len(shown) for _, _, shown in items)
    bar_w = max(60, width - label_w - value_w)
    row_h, pad = 22, 6
    height = pad * 2 + row_h * len(items)
    parts = [f'<svg class="chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
             f"<title>{escape(title)}</title>"]
    for i, (label, value, shown) in enumerate(items):
        y = pad + i * row_h
        w = max(0.0, min(1.0, value / top)) * bar_w if math.isfinite(value) else 0.0
        color = colors[i] if colors is not None and i < len(colors) else BAR
        text = label if len(label) <= 27 else label[:26] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{_num(y + 15)}" text-anchor="end" fill="{TEXT}" {_FONT}>'
            f"{escape(text)}<title>{escape(label)}</title></text>"
            f'<rect x="{label_w}" y="{_num(y + 3)}" width="{_num(bar_w)}" height="16" fill="#eef1f5"/>'
            f'<rect x="{label_w}" y="{_num(y + 3)}" width="{_num(w)}" height="16" fill="{color}"/>'
            f'<text x="{_num(label_w + bar_w + 6)}" y="{_num(y + 15)}" fill="{TEXT}" {_FONT}>{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bins(values: Sequence[float], count: int = 10) -> list[Bin]:
    """``values`` in ``count`` equal-width bins between their least and greatest; whole numbers over a
    narrow range get one bin per number instead."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return []
    lo, hi = min(finite), max(finite)
    if lo == hi:
        return [Bin(lo, hi, len(finite))]
    if all(float(v).is_integer() for v in finite) and hi - lo + 1 <= max(count, 12):
        n = int(hi - lo) + 1
        counts = [0] * n
        for v in finite:
            counts[int(v - lo)] += 1
        return [Bin(lo + i, lo + i + 1, c) for i, c in enumerate(counts)]
    step = (hi - lo) / count
    counts = [0] * count
    for v in finite:
        counts[min(count - 1, int((v - lo) / step))] += 1
    return [Bin(lo + i * step, lo + (i + 1) * step, c) for i, c in enumerate(counts)]


def histogram(values: Sequence[float], *, title: str, unit: str = "", count: int = 10, width: int = 520,
              height: int = 160) -> Markup:
    """A histogram of ``values`` with the count over each bar and the range on the axis."""
    bs = bins(values, count)
    if not bs:
        return _empty(title, width, "no values")
    whole = all(b.high - b.low == 1 and float(b.low).is_integer() for b in bs)
    top = max(b.count for b in bs) or 1
    left, right, top_pad, bottom = 8, 8, 18, 34
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    slot = plot_w / len(bs)
    parts = [f'<svg class="chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
             f"<title>{escape(title)}</title>"]
    base = top_pad + plot_h
    for i, b in enumerate(bs):
        h = plot_h * b.count / top
        x = left + i * slot
        span = (f"{short_number(b.low)}" if whole or b.low == b.high
                else f"{short_number(b.low)}–{short_number(b.high)}")
        parts.append(
            f'<rect x="{_num(x + 1)}" y="{_num(base - h)}" width="{_num(max(1.0, slot - 2))}" height="{_num(h)}" '
            f'fill="{BAR}"><title>{escape(span + unit)}: {b.count}</title></rect>'
        )
        if b.count:
            parts.append(f'<text x="{_num(x + slot / 2)}" y="{_num(base - h - 4)}" text-anchor="middle" '
                         f'fill="{TEXT}" {_FONT}>{b.count}</text>')
        if whole and len(bs) <= 12:
            parts.append(f'<text x="{_num(x + slot / 2)}" y="{_num(base + 14)}" text-anchor="middle" '
                         f'fill="{AXIS}" {_FONT}>{escape(short_number(b.low))}</text>')
    parts.append(f'<line x1="{left}" y1="{_num(base)}" x2="{left + plot_w}" y2="{_num(base)}" stroke="{AXIS}"/>')
    if not whole or len(bs) > 12:
        lo, hi = bs[0].low, bs[-1].high
        parts.append(f'<text x="{left}" y="{_num(base + 14)}" fill="{AXIS}" {_FONT}>'
                     f"{escape(short_number(lo) + unit)}</text>"
                     f'<text x="{left + plot_w}" y="{_num(base + 14)}" text-anchor="end" fill="{AXIS}" {_FONT}>'
                     f"{escape(short_number(hi) + unit)}</text>")
    n = sum(b.count for b in bs)
    parts.append(f'<text x="{_num(left + plot_w / 2)}" y="{_num(base + 28)}" text-anchor="middle" fill="{AXIS}" '
                 f'{_FONT}>{n} value{"s" if n != 1 else ""}</text></svg>')
    return Markup("".join(parts))


def pass_fail_bar(passed: int, failed: int, errors: int, *, width: int = 160) -> Markup:
    """A thin stacked bar: passed (green), failed (red), errors (grey) — a sparkline for a table cell."""
    total = passed + failed + errors
    title = f"{passed} passed, {failed} failed, {errors} errors"
    if not total:
        return _empty(title, width, "no verdicts")
    parts = [f'<svg class="spark" width="{width}" height="10" '
             f'viewBox="0 0 {width} 10" role="img" aria-label="{title}"><title>{title}</title>']
    x = 0.0
    for n, color in ((passed, PASS), (failed, FAIL), (errors, AXIS)):
        w = width * n / total
        if w:
            parts.append(f'<rect x="{_num(x)}" y="0" width="{_num(w)}" height="10" fill="{color}"/>')
        x += w
    parts.append("</svg>")
    return Markup("".join(parts))
