"""Pure helpers for devtools.bench: percentiles, pass/fail rows and the result table (plain and Markdown).

No Django, no I/O, so they are unit tested alone (tests/unit/test_bench_report.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

PASS, FAIL, INFO = "PASS", "FAIL", "-"


def percentile(values, p: float) -> float:
    """The p-th percentile (0..100) by linear interpolation between closest ranks (numpy's default).

    percentile([1, 2, 3, 4], 50) == 2.5. Raises ValueError on an empty sequence: a benchmark that
    measured nothing must say so, not report 0.
    """
    data = sorted(values)
    if not data:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    rank = (len(data) - 1) * p / 100.0
    lo, hi = math.floor(rank), math.ceil(rank)
    return data[lo] + (data[hi] - data[lo]) * (rank - lo)


def median(values) -> float:
    return percentile(values, 50)


@dataclass(frozen=True)
class Row:
    metric: str
    value: str
    target: str = ""
    result: str = INFO  # PASS, FAIL or INFO (a measurement without a target)

    @property
    def missed(self) -> bool:
        return self.result == FAIL


def at_least(metric: str, value: float, target: float, fmt: str = "{:.1f}", unit: str = "") -> Row:
    sfx = f" {unit}" if unit else ""
    return Row(metric, fmt.format(value) + sfx, f">= {fmt.format(target)}{sfx}", PASS if value >= target else FAIL)


def at_most(metric: str, value: float, target: float, fmt: str = "{:.1f}", unit: str = "",
            strict: bool = False) -> Row:
    sfx = f" {unit}" if unit else ""
    ok = value < target if strict else value <= target
    return Row(metric, fmt.format(value) + sfx, f"{'<' if strict else '<='} {fmt.format(target)}{sfx}",
               PASS if ok else FAIL)


def ratio_at_most(metric: str, value: float, floor: float, max_ratio: float, fmt: str = "{:.0f}",
                  unit: str = "", of: str = "floor") -> Row:
    """A figure judged as a multiple of its floor (or another baseline, `of`) measured in the same run:
    machines differ, ratios less."""
    sfx = f" {unit}" if unit else ""
    ratio = value / floor if floor > 0 else math.inf
    return Row(metric, f"{fmt.format(value)}{sfx} = {ratio:.2f}x {of} {fmt.format(floor)}{sfx}",
               f"<= {max_ratio:g}x", PASS if ratio <= max_ratio else FAIL)


def info(metric: str, value: str) -> Row:
    return Row(metric, value, "", INFO)


def all_equal(metric: str, counts: dict[str, int | None]) -> Row:
    """One row saying whether every measured count is the same number (None: not measured)."""
    measured = {k: v for k, v in counts.items() if v is not None}
    values = set(measured.values())
    shown = ", ".join(f"{k}: {v}" for k, v in counts.items())
    ok = len(values) == 1 and len(measured) == len(counts)
    return Row(metric, shown, "constant", PASS if ok else FAIL)


HEADERS = ("metric", "value", "target", "result")


def _cells(rows: list[Row]) -> list[tuple[str, str, str, str]]:
    return [(r.metric, r.value, r.target or "-", r.result) for r in rows]


def format_table(rows: list[Row]) -> str:
    """Aligned plain text: a header, a rule, one line per row, no trailing spaces."""
    cells = [HEADERS, *_cells(rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]

    def line(c):
        return "  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(HEADERS), rule, *(line(c) for c in cells[1:])])


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def format_markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "|".join(["---", "---:", "---", ":---:"]) + "|"]
    for c in _cells(rows):
        lines.append("| " + " | ".join(_md_escape(v) for v in c) + " |")
    return "\n".join(lines)


def format_header(facts: list[tuple[str, str]], markdown: bool = False) -> str:
    """The run's context (date, machine, N, ...) as `key: value` lines or a Markdown list."""
    if markdown:
        return "\n".join(f"- **{k}**: {_md_escape(v)}" for k, v in facts)
    width = max((len(k) for k, _ in facts), default=0)
    return "\n".join(f"{k.ljust(width)} : {v}" for k, v in facts)


def summary(rows: list[Row]) -> str:
    missed = [r.metric for r in rows if r.missed]
    passed = sum(r.result == PASS for r in rows)
    if not missed:
        return f"all {passed} targets met"
    return f"{len(missed)} target(s) MISSED: " + "; ".join(missed)
