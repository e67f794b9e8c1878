"""Roster files end to end: template, xlsx reading, the import_roster command."""

import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from courses.models import ClassStatus, Enrolment
from courses.roster import COLUMNS, read_roster, roster_import, roster_template
from tests.factories import TraineeFactory, TrainingClassFactory, make_id_number
from trainees.models import Trainee

pytestmark = pytest.mark.django_db


def fill_template(rows, *, keep_sample=True, title_row=False):
    """The platform's own template, filled in the way a user would in Excel."""
    book = openpyxl.load_workbook(io.BytesIO(roster_template()))
    sheet = book.active
    if not keep_sample:
        sheet.delete_rows(2)
    if title_row:
        sheet.insert_rows(1)
        sheet["A1"] = "2026年第一期电工培训班花名册"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def run_command(*args):
    out = io.StringIO()
    try:
        call_command("import_roster", *args, stdout=out)
    except CommandError as exc:
        return json.loads(out.getvalue()), exc
    return json.loads(out.getvalue()), None


def test_template_has_chinese_headers_text_columns_and_lists():
    sheet = openpyxl.load_workbook(io.BytesIO(roster_template())).active
    headers = [cell.value for cell in sheet[1]]
    assert headers == [c.template_header for c in COLUMNS]
    assert headers[:3] == ["姓名*", "身份证号码*", "手机号码*"]
    id_col = headers.index("身份证号码*") + 1
    assert sheet.cell(row=2, column=id_col).number_format == "@"
    assert sheet.cell(row=2, column=id_col).data_type == "s"
    lists = [dv.formula1 for dv in sheet.data_validations.dataValidation]
    assert any("高中" in (f or "") for f in lists)


def test_filled_template_with_a_title_row_imports_and_skips_the_sample(tmp_path):
    cls = TrainingClassFactory(capacity=10)
    a, b = make_id_number("520102"), make_id_number("520103")
    data = fill_template(
        [
            ["李雷", a, "13900001111", "南明区", "高中/中专/技校", "脱贫劳动力"],
            ["韩梅梅", b[:17] + b[17].lower(), 13900002222, "贵阳市", "", ""],
        ],
        title_row=True,
    )
    summary = roster_import(training_class=cls, rows=read_roster(data))
    assert summary == {
        "rows": 2,
        "created_trainees": 2,
        "matched_trainees": 0,
        "enrolled": 2,
        "already_enrolled": 0,
        "errors": [],
    }
    assert not Trainee.objects.filter(name="张三").exists()
    assert Trainee.objects.get(name="韩梅梅").phone == "13900002222"


def test_command_prints_json_and_is_idempotent(tmp_path):
    cls = TrainingClassFactory(code="CMD-1", capacity=10)
    existing = TraineeFactory(name="王五")
    path = tmp_path / "roster.xlsx"
    path.write_bytes(
        fill_template(
            [
                ["王五", existing.id_number, "13900003333"],
                ["赵六", make_id_number("520111"), "13900004444"],
            ]
        ).getvalue()
    )
    dry, error = run_command("--class", "cmd-1", str(path), "--dry-run")
    assert error is None
    assert (dry["created_trainees"], dry["matched_trainees"], dry["enrolled"]) == (
        1,
        1,
        2,
    )
    assert not Enrolment.objects.exists()
    first, error = run_command("--class", str(cls.pk), str(path))
    assert error is None and first["enrolled"] == 2
    again, error = run_command("--class", "CMD-1", str(path))
    assert error is None
    assert (
        again["created_trainees"],
        again["enrolled"],
        again["already_enrolled"],
    ) == (
        0,
        0,
        2,
    )
    assert Enrolment.objects.filter(training_class=cls).count() == 2


def test_command_refuses_bad_rows_and_writes_nothing(tmp_path):
    TrainingClassFactory(code="CMD-2")
    good = make_id_number("520102")
    path = tmp_path / "roster.xlsx"
    path.write_bytes(
        fill_template(
            [
                ["好人", good, "13900005555"],
                ["坏号码", good[:17] + ("0" if good[17] != "0" else "1"), "12345"],
            ]
        ).getvalue()
    )
    summary, error = run_command("--class", "CMD-2", str(path))
    assert error is not None
    columns = {(e["row"], e["column"]) for e in summary["errors"]}
    assert (4, "身份证号码") in columns  # header row 1, sample row 2, data from row 3
    assert (4, "手机号码") in columns
    assert not Trainee.objects.exists()


@pytest.mark.parametrize(
    ("content", "code_text"),
    [
        (b"name,id\n", "xlsx"),
        (b"%PDF-1.7\n", "xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "xlsx"),
    ],
)
def test_command_refuses_files_that_are_not_xlsx(tmp_path, content, code_text):
    TrainingClassFactory(code="CMD-3")
    path = tmp_path / "roster.xlsx"
    path.write_bytes(content)
    summary, error = run_command("--class", "CMD-3", str(path))
    assert error is not None
    assert summary["rows"] == 0
    assert code_text in summary["errors"][0]["message"].lower()


def test_command_refuses_a_closed_class(tmp_path):
    TrainingClassFactory(code="CMD-4", status=ClassStatus.DRAFT)
    path = tmp_path / "roster.xlsx"
    path.write_bytes(
        fill_template([["甲", make_id_number(), "13900006666"]]).getvalue()
    )
    summary, error = run_command("--class", "CMD-4", str(path))
    assert error is not None
    assert summary["errors"][0]["row"] == 0


def test_unknown_class_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="找不到培训班"):
        call_command("import_roster", "--class", "NOPE", str(tmp_path / "x.xlsx"))


def test_the_sample_row_is_skipped_however_it_was_retyped():
    """Spaces in the name and a lower-case x still make it the template's example."""
    from courses.roster import SAMPLE_ROW

    sample = SAMPLE_ROW["id_number"]
    data = fill_template(
        [
            ["张 三", sample.lower(), "13800000000"],
            ["张三丰", sample, "13800000000"],  # another name: a real row
        ],
        keep_sample=False,
    )
    rows = list(read_roster(data))
    assert [cells["name"] for _number, cells in rows] == ["张三丰"]
