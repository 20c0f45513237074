"""Geometry of the dashboard's charts, drawn as inline SVG by the templates (no JS chart library):
horizontal bars for the breakdowns, a funnel, and a monthly trend line. Every mark carries the
link to the deals behind it and its figure as text, so the chart reads without hovering."""

from dataclasses import dataclass
from decimal import Decimal

WIDTH = 640
BAR_HEIGHT = 22
BAR_GAP = 10
LABEL_WIDTH = 230
VALUE_WIDTH = 110
LABEL_CHARS = 34


@dataclass(frozen=True)
class Mark:
    label: str
    value: Decimal
    text: str  # the figure as shown
    url: str
    muted: bool = False  # drawn grey: shown but not part of the total (lost deals)


def _short(label: str, chars: int = LABEL_CHARS) -> str:
    return label if len(label) <= chars else label[: chars - 1].rstrip() + "…"


def bar_chart(marks: list[Mark], *, width: int = WIDTH) -> dict:
    """Horizontal bars scaled to the largest value; labels left, figures right of each bar.
    `width` is the drawing's own width: a wider drawing keeps its text smaller on a wide card."""
    track = width - LABEL_WIDTH - VALUE_WIDTH
    largest = max((mark.value for mark in marks), default=Decimal(0)) or Decimal(1)
    bars = []
    for index, mark in enumerate(marks):
        y = index * (BAR_HEIGHT + BAR_GAP)
        length = float(mark.value / largest) * track if mark.value > 0 else 0.0
        bars.append(
            {
                "label": mark.label,
                "short_label": _short(mark.label),
                "text": mark.text,
                "url": mark.url,
                "y": y,
                "text_y": y + BAR_HEIGHT * 0.7,
                "x": LABEL_WIDTH,
                "width": round(max(length, 2.0 if mark.value > 0 else 0.0), 1),
                "value_x": round(LABEL_WIDTH + max(length, 2.0) + 8, 1),
                "muted": mark.muted,
            }
        )
    height = max(len(marks) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP, BAR_HEIGHT)
    return {"width": width, "height": height, "bars": bars, "label_x": LABEL_WIDTH - 10, "bar_height": BAR_HEIGHT}


def funnel_chart(marks: list[Mark], notes: list[str]) -> dict:
    """Centred bars, each as wide as its count against the first step; `notes` (e.g. "76.6% of
    the step before") are written under each step's label."""
    step_height, gap = 44, 8
    largest = max((mark.value for mark in marks), default=Decimal(0)) or Decimal(1)
    track = WIDTH - 2 * 8
    steps = []
    for index, (mark, note) in enumerate(zip(marks, notes, strict=True)):
        width = max(float(mark.value / largest) * track, 4.0)
        y = index * (step_height + gap)
        steps.append(
            {
                "label": mark.label,
                "text": mark.text,
                "note": note,
                "url": mark.url,
                "x": round((WIDTH - width) / 2, 1),
                "y": y,
                "width": round(width, 1),
                "height": step_height,
                "label_y": y + 19,
                "note_y": y + 36,
                "center": WIDTH / 2,
                "narrow": width < 260,  # text goes beside, not inside, a narrow bar
                "side_x": round((WIDTH + width) / 2 + 8, 1),
            }
        )
    return {"width": WIDTH, "height": max(len(marks) * (step_height + gap) - gap, step_height), "steps": steps}


def trend_chart(marks: list[Mark], *, axis_text) -> dict:
    """A line through the months' values with a dot per month (each a link), three horizontal
    grid lines labelled by `axis_text(value)`."""
    height, left, right, top, bottom = 220, 70, 20, 16, 36
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    largest = max((mark.value for mark in marks), default=Decimal(0)) or Decimal(1)
    count = len(marks)
    points = []
    for index, mark in enumerate(marks):
        x = left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)
        y = top + plot_h - float(mark.value / largest) * plot_h
        points.append({"x": round(x, 1), "y": round(y, 1), "label": mark.label, "text": mark.text, "url": mark.url})
    grid = [
        {"y": round(top + plot_h - plot_h * share, 1), "text": axis_text(largest * Decimal(str(share)))}
        for share in (0, 0.5, 1)
    ]
    return {
        "width": WIDTH,
        "height": height,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "grid": grid,
        "left": left,
        "right": WIDTH - right,
        "label_y": height - 12,
    }
