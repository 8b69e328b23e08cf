"""The benchmark's pure helpers: percentiles, pass/fail rows, the tables it prints, the CPU split."""
import pytest

from devtools.bench_cpu import breakdown
from devtools.bench_report import (
    FAIL, INFO, PASS, Row, all_equal, at_least, at_most, format_header, format_markdown, format_table, median,
    percentile, ratio_at_most, summary,
)


@pytest.mark.parametrize("values, p, expected", [
    ([1, 2, 3, 4], 50, 2.5),          # interpolated between the two middle ranks
    ([4, 1, 3, 2], 50, 2.5),          # order of the input does not matter
    ([10], 95, 10),
    ([1, 2, 3, 4, 5], 0, 1),
    ([1, 2, 3, 4, 5], 100, 5),
    (list(range(1, 101)), 95, 95.05),  # numpy.percentile(range(1, 101), 95) == 95.05
    ([0.1, 0.2], 25, 0.125),
])
def test_percentile_interpolates_like_numpy(values, p, expected):
    assert percentile(values, p) == pytest.approx(expected)


def test_median_is_p50():
    assert median([5, 1, 3]) == 3


def test_percentile_refuses_nothing_and_bad_ranks():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_targets_pass_and_fail_at_the_boundary():
    assert at_least("boots/s", 50.0, 50.0).result == PASS
    assert at_least("boots/s", 49.9, 50.0).result == FAIL
    assert at_most("p50", 100.0, 100.0, unit="ms").result == PASS
    assert at_most("list", 500.0, 500.0, unit="ms", strict=True).result == FAIL
    row = at_most("p50", 96.4, 100, fmt="{:.0f}", unit="ms")
    assert (row.value, row.target) == ("96 ms", "<= 100 ms")


def test_ratio_targets_judge_the_multiple_of_the_floor():
    row = ratio_at_most("CPU per boot", 60, 20, 3, unit="ms")
    assert (row.value, row.target, row.result) == ("60 ms = 3.00x floor 20 ms", "<= 3x", PASS)
    assert ratio_at_most("CPU per boot", 61, 20, 3).result == FAIL
    assert ratio_at_most("no floor measured", 1, 0, 3).result == FAIL


def test_all_equal_wants_every_count_measured_and_the_same():
    assert all_equal("queries", {"1k": 3, "10k": 3}).result == PASS
    grown = all_equal("queries", {"1k": 3, "10k": 4})
    assert grown.result == FAIL and grown.value == "1k: 3, 10k: 4"
    assert all_equal("queries", {"1k": 3, "10k": None}).result == FAIL


ROWS = [at_least("boots/s sustained", 61.25, 50), Row("a | b", "x", "", INFO),
        at_most("boot-to-ACTIVE p50", 140, 100, fmt="{:.0f}", unit="ms")]


def test_plain_table_is_aligned_without_trailing_spaces():
    lines = format_table(ROWS).splitlines()
    assert lines[0].split() == ["metric", "value", "target", "result"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    # every column starts at the same offset on every line
    col = lines[0].index("value")
    assert all(line[col - 2:col] == "  " for line in lines[2:])
    assert lines[2][col:].startswith("61.2")
    assert all(line == line.rstrip() for line in lines)
    assert lines[3].split()[-2:] == ["-", "-"]  # no target: shown as "-"
    assert lines[4].endswith("FAIL")


def test_markdown_table_escapes_pipes_and_has_one_row_per_metric():
    md = format_markdown(ROWS).splitlines()
    assert md[0] == "| metric | value | target | result |"
    assert len(md) == 2 + len(ROWS)
    assert md[3].startswith("| a \\| b |")
    assert all(line.count(" | ") == 3 for line in md[2:] if "\\|" not in line)


def test_header_and_summary_name_what_missed():
    assert format_header([("date", "today"), ("machine", "2 cores")]).splitlines() == [
        "date    : today", "machine : 2 cores"]
    assert format_header([("N", "500")], markdown=True) == "- **N**: 500"
    assert summary(ROWS) == "1 target(s) MISSED: boot-to-ACTIVE p50"
    assert summary(ROWS[:2]) == "all 1 targets met"


def test_cpu_breakdown_splits_machine_time_into_ours_others_and_idle():
    before = {"api": 1.0, "client": 0.5, "_machine_busy": 100.0, "_machine_total": 200.0}
    after = {"api": 3.0, "client": 1.0, "_machine_busy": 104.0, "_machine_total": 210.0}
    assert breakdown(before, after) == {"api": 2.0, "client": 0.5, "other processes": 1.5, "idle": 6.0}
