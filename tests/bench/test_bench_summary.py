"""``make bench``'s one table (bench.summary), its scaling (bench.run), the verification
bench's production-like settings, and the lean start-up the roster command relies on."""

import subprocess
import sys

import pytest

from bench import run, summary
from training_platform import ratelimit, xlsx

ROSTER = {
    "sizes": {
        "50000": {
            "rows": 50_000,
            "openpyxl_plain_seconds": 2.0,
            "openpyxl_plain_cpu_seconds": 1.9,
            "openpyxl_defused_seconds": 4.0,
            "dryrun_seconds": 0.8,
            "dryrun_cpu_seconds": 0.7,
            "import_seconds": 1.0,
            "dryrun_vs_openpyxl_plain": 0.4,
            "dryrun_vs_openpyxl_defused": 0.2,
            "import_vs_openpyxl_plain": 0.5,
            "import_vs_openpyxl_defused": 0.25,
            "process_command_seconds": 2.2,
            "process_openpyxl_plain_seconds": 2.5,
            "process_openpyxl_defused_seconds": 4.5,
            "command_vs_plain_read_process": 0.88,
            "command_vs_defused_read_process": 0.49,
            "process_help_seconds": 1.5,
            "peer_seconds": 8.0,
            "peer_ratio": 8.0,
        }
    }
}


def test_roster_rows_name_both_openpyxl_baselines_and_the_whole_process():
    rows = summary.roster_rows(ROSTER)
    baselines = [row[2] for row in rows]
    assert any("no defusedxml" in b and "2.00 s" in b for b in baselines)
    assert any("defusedxml importable" in b and "4.00 s" in b for b in baselines)
    command = [r for r in rows if r[0].startswith("`import_roster --dry-run`")]
    assert command[0][1].startswith("2.20 s") and command[0][3] == "0.88×"
    assert command[1][3] == "0.49×"
    peer = [r for r in rows if "django-import-export" in r[2]]
    assert peer and peer[0][3].startswith("0.12×") and "8.0×" in peer[0][3]
    # Every row has what, ours, baseline and ratio.
    assert all(len(r) == 4 for r in rows)


def test_rows_table_is_one_markdown_table_and_escapes_pipes():
    text = summary.rows_table([("a | b", "1 s", "c", "2×")])
    lines = text.splitlines()
    assert lines[0] == "| what | ours | baseline | ratio (ours ÷ baseline) |"
    assert lines[2] == "| a \\| b | 1 s | c | 2× |"


def test_lists_rows_set_each_list_beside_its_count_and_the_trivial_view():
    result = {
        "rows": [
            {
                "what": "trivial",
                "as": "bureau_gz",
                "url": "/bench/trivial/",
                "seconds": 0.01,
                "queries": 1,
                "baseline": "SELECT COUNT(*) FROM trainees_trainee",
                "baseline_rows": 10,
                "baseline_seconds": 0.001,
                "ratio": 10.0,
            },
            {
                "what": "trainee list",
                "as": "bureau_gy",
                "url": "/admin/trainees/",
                "seconds": 0.05,
                "queries": 14,
                "baseline": "SELECT COUNT(*) FROM trainees_trainee",
                "baseline_rows": 400_000,
                "baseline_seconds": 0.01,
                "ratio": 5.0,
            },
        ]
    }
    rows = summary.lists_rows(result)
    assert rows[1][0] == "trainee list as bureau_gy (14 queries)"
    assert "400,000 rows" in rows[1][2]
    assert rows[1][3] == "5×; 5.0× the trivial view"


def test_summary_table_leaves_out_what_was_not_run():
    assert summary.summary_rows({}) == []
    assert len(summary.summary_rows({"roster": ROSTER})) == len(
        summary.roster_rows(ROSTER)
    )


def test_bench_scale_shrinks_every_size_and_keeps_what_is_set(monkeypatch):
    monkeypatch.delenv("BENCH_ROSTER_ROWS", raising=False)
    monkeypatch.setenv("BENCH_CERTIFICATES", "1234")
    sizes = run.scaled_environment(0.1)
    assert sizes["BENCH_ROSTER_ROWS"] == "5000"
    assert sizes["BENCH_DASHBOARD_ENROLMENTS"] == "100000"
    assert sizes["BENCH_CHECKS_SIZES"] == "1000,10000"
    assert "BENCH_CERTIFICATES" not in sizes  # set by the user: theirs wins
    assert run.scaled_environment(1.0) == {}


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", (1.0, 100)), ("0.05", (0.05, 5)), ("40", (1.0, 40))]
)
def test_bench_scale_reads_a_fraction_or_the_old_demo_scale(monkeypatch, raw, expected):
    monkeypatch.setenv("BENCH_SCALE", raw)
    assert run._scale() == expected


def test_verification_bench_counts_its_rate_limit_in_redis():
    """bench.settings is what gunicorn serves the load test with."""
    import bench.settings as bench_settings

    cache = bench_settings.CACHES["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"].startswith("redis://")
    limit, window = ratelimit.parse_rate(bench_settings.CERTIFICATE_VERIFY_RATE)
    assert limit > 0 and window >= 3600  # on, and its counters outlive a run


def _imported_after(statement: str) -> set[str]:
    code = (
        "import sys\n"
        f"{statement}\n"
        "print(' '.join(m for m in ('openpyxl', 'pypinyin') if m in sys.modules))"
    )
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def test_reading_modules_do_not_import_openpyxl_or_pypinyin():
    """What a reading process (import_roster) loads: neither the writer nor the
    pinyin dictionary, each a noticeable share of start-up."""
    assert _imported_after("import training_platform.xlsx") == set()
    assert _imported_after("import cms.slugs") == set()


def test_illegal_characters_match_openpyxls():
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        assert bool(xlsx.ILLEGAL_CHARACTERS.search(char)) == bool(
            ILLEGAL_CHARACTERS_RE.search(char)
        )


def test_pinyin_slug_still_works():
    from cms.slugs import pinyin_slug

    assert pinyin_slug("新闻公告") == "xin-wen-gong-gao"
