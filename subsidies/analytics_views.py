"""补贴异常 and 补贴统计: the bureau's and the auditor's screens over the claims in scope.

Both are read-only and scoped by ``access.visible`` (a prefecture bureau sees its own
prefecture's claims); institution staff and trainees are refused. Each list exports to
xlsx with the same rows the page shows.
"""

from __future__ import annotations

from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from subsidies import anomalies as anomaly_lists
from subsidies import policies
from subsidies.totals import STAGES, totals
from training_platform.xlsx import write_xlsx, xlsx_response

DENIED_MESSAGE = "补贴异常和补贴统计仅供人社部门和审计核查人员查看。"


def _denied(request) -> TemplateResponse:
    return TemplateResponse(
        request,
        "certificates/admin/denied.html",
        {"message": DENIED_MESSAGE},
        status=403,
    )


def _today() -> str:
    return f"{timezone.localdate():%Y%m%d}"


# --- 补贴异常 -----------------------------------------------------------------------------


def anomalies_view(request):
    if not policies.is_regional_reader(request.user):
        return _denied(request)
    sections = []
    for item in anomaly_lists.LISTS:
        rows = item.find(request.user)
        sections.append(
            {
                "slug": item.slug,
                "title": item.title,
                "rule": item.rule,
                "rows": rows,
                "amount": anomaly_lists.amount_total(rows),
                "export_url": reverse("subsidies_anomalies_export", args=[item.slug]),
            }
        )
    return TemplateResponse(
        request,
        "subsidies/analytics/anomalies.html",
        {"sections": sections, "totals_url": reverse("subsidies_totals")},
    )


def anomaly_workbook(item, rows) -> bytes:
    extra = list(rows[0].cells) if rows else []
    headers = ["异常说明", *extra, "申领笔数", "涉及金额（元）", "申领编号"]
    return write_xlsx(
        headers,
        (
            [
                row.sentence,
                *(row.cells.get(key) for key in extra),
                row.claim_count,
                row.amount,
                row.claim_ids,
            ]
            for row in rows
        ),
        sheet_title=item.title,
    )


def anomalies_export_view(request, slug: str):
    if not policies.is_regional_reader(request.user):
        return _denied(request)
    item = anomaly_lists.LISTS_BY_SLUG.get(slug)
    if item is None:
        raise Http404
    rows = item.find(request.user)
    return xlsx_response(
        anomaly_workbook(item, rows), f"补贴异常_{item.title}_{_today()}.xlsx"
    )


# --- 补贴统计 -----------------------------------------------------------------------------

STAGE_CHOICES = [("all", "全部（在审、审核通过、已拨付）")] + [
    (s.key, s.label) for s in STAGES
]


def _pick(line, stage: str):
    return line.total if stage == "all" else line.stages[stage]


def totals_table(table, stage: str) -> dict:
    """The screen's rows: each prefecture's cells per kind and its total, then the totals."""
    rows = [
        {
            "name": name,
            "cells": [_pick(table.line(code, kind), stage) for kind, _ in table.kinds],
            "total": _pick(table.row_total(code), stage),
        }
        for code, name in table.prefectures
    ]
    return {
        "headers": [label for _, label in table.kinds],
        "rows": rows,
        "column_totals": [
            _pick(table.column_total(kind), stage) for kind, _ in table.kinds
        ],
        "grand_total": _pick(table.grand_total, stage),
    }


def totals_view(request):
    if not policies.is_regional_reader(request.user):
        return _denied(request)
    stage = request.GET.get("stage", "all")
    if stage not in dict(STAGE_CHOICES):
        stage = "all"
    table = totals(request.user)
    return TemplateResponse(
        request,
        "subsidies/analytics/totals.html",
        {
            "table": totals_table(table, stage),
            "stage": stage,
            "stage_label": dict(STAGE_CHOICES)[stage],
            "stage_choices": STAGE_CHOICES,
            "export_url": reverse("subsidies_totals_export"),
            "anomalies_url": reverse("subsidies_anomalies"),
        },
    )


TOTALS_HEADERS = [
    "市（州）",
    "补贴类型",
    *(
        header
        for stage in STAGES
        for header in (f"{stage.label}笔数", f"{stage.label}金额（元）")
    ),
    "合计笔数",
    "合计金额（元）",
]


def _line_cells(line) -> list:
    cells = []
    for stage in STAGES:
        cell = line.stages[stage.key]
        cells += [cell.count, cell.amount]
    return cells + [line.total.count, line.total.amount]


def totals_rows(table) -> list[list]:
    """Each prefecture × kind, its 小计, then 合计 by kind and over everything."""
    rows = []
    for code, name in table.prefectures:
        for kind, label in table.kinds:
            rows.append([name, label, *_line_cells(table.line(code, kind))])
        rows.append([name, "小计", *_line_cells(table.row_total(code))])
    for kind, label in table.kinds:
        rows.append(["合计", label, *_line_cells(table.column_total(kind))])
    rows.append(["合计", "全部", *_line_cells(table.grand_total)])
    return rows


def totals_export_view(request):
    if not policies.is_regional_reader(request.user):
        return _denied(request)
    content = write_xlsx(
        TOTALS_HEADERS, totals_rows(totals(request.user)), sheet_title="补贴统计"
    )
    return xlsx_response(content, f"补贴统计_{_today()}.xlsx")
