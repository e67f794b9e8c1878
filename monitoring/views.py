"""统计监测: the plan dashboard's screens (namespace ``monitoring``).

``dashboard`` (every indicator against its target, reported figures apart), ``indicator``
(one indicator by year, region or institution, and key), ``export`` (any table of those
pages as xlsx, the same cells) and ``records`` (the records behind a computed number).
Who: bureaus and auditors over their regions (``monitoring.policies``); every other role
is refused with 403, a region outside the scope is 404.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone

from bases.models import RegistryStatus, SkillMasterStudio, TrainingBase
from certificates.models import Certificate
from courses.models import CourseKind
from monitoring import dashboard, policies
from monitoring.indicators import (
    HIGH_SKILL_LEVELS,
    _finished_enrolments,
    _skill_certificates,
)
from monitoring.models import Indicator
from subsidies.models import Claim, ClaimStatus
from training_platform import access, pii
from training_platform.xlsx import write_xlsx, xlsx_response

DENIED_MESSAGE = "统计监测仅供人社部门和审计核查人员查看。"
RECORDS_PER_PAGE = 50


def _denied(request) -> TemplateResponse:
    return TemplateResponse(
        request,
        "certificates/admin/denied.html",
        {"message": DENIED_MESSAGE},
        status=403,
    )


def _context(request):
    region = dashboard.resolve_region(request.user, request.GET.get("region"))
    year, year_message = dashboard.parse_year(request.GET.get("year"))
    return region, year, year_message


def _common(request, region, year, year_message, computed_at) -> dict:
    return {
        "region": region,
        "year": year,
        "year_message": year_message,
        "breadcrumbs": dashboard.breadcrumbs(region, request.user),
        "computed_at": dashboard.moment(computed_at),
        "years": list(range(2021, timezone.localdate().year + 1)),
    }


def dashboard_view(request):
    if not policies.may_view_dashboard(request.user):
        return _denied(request)
    region, year, year_message = _context(request)
    data = dashboard.overview(request.user, region, year)
    context = dict(data)
    context.update(_common(request, region, year, year_message, data["computed_at"]))
    context["crumb_urls"] = [
        (r, dashboard.page_url("monitoring:dashboard", region=r.prefix, year=year))
        for r in context["breadcrumbs"]
    ]
    context["children"] = [
        (c, dashboard.page_url("monitoring:dashboard", region=c.prefix, year=year))
        for c in dashboard._children(region)
    ]
    context["export"] = {
        t.slug: dashboard.page_url(
            "monitoring:export", table=t.slug, region=region.prefix, year=year
        )
        for t in data["tables"]
    }
    return TemplateResponse(request, "monitoring/dashboard/overview.html", context)


def indicator_view(request, code: str):
    if not policies.may_view_dashboard(request.user):
        return _denied(request)
    indicator = get_object_or_404(
        Indicator.objects.prefetch_related("targets"), code=code
    )
    region, year, year_message = _context(request)
    data = dashboard.indicator_page(request.user, indicator, region, year)
    context = dict(data)
    context.update(_common(request, region, year, year_message, data["computed_at"]))
    context["indicator"] = indicator
    context["crumb_urls"] = [
        (
            r,
            dashboard.page_url(
                "monitoring:indicator", indicator.code, region=r.prefix, year=year
            ),
        )
        for r in context["breadcrumbs"]
    ]
    context["overview_url"] = dashboard.page_url(
        "monitoring:dashboard", region=region.prefix, year=year
    )
    context["export"] = {
        t.slug: dashboard.page_url(
            "monitoring:export",
            indicator=indicator.code,
            table=t.slug,
            region=region.prefix,
            year=year,
        )
        for t in data["tables"]
    }
    return TemplateResponse(request, "monitoring/dashboard/indicator.html", context)


def export_view(request):
    """Any table of the overview or of an indicator's page as xlsx: the same cells."""
    if not policies.may_view_dashboard(request.user):
        return _denied(request)
    region, year, _ = _context(request)
    code = request.GET.get("indicator")
    if code:
        indicator = get_object_or_404(
            Indicator.objects.prefetch_related("targets"), code=code
        )
        data = dashboard.indicator_page(request.user, indicator, region, year)
        prefix = indicator.name
    else:
        data = dashboard.overview(request.user, region, year)
        prefix = "统计监测"
    tables = {t.slug: t for t in data["tables"]}
    table = tables.get(request.GET.get("table", ""))
    if table is None:
        raise Http404("没有这张表。")
    content = write_xlsx(table.headers, table.xlsx_rows(), sheet_title=table.title)
    period = f"{year}年" if year else "规划期"
    stamp = f"{timezone.localdate():%Y%m%d}"
    return xlsx_response(
        content, f"{prefix}_{table.title}_{region.name}_{period}_{stamp}.xlsx"
    )


# --- the records behind a number --------------------------------------------------------


def _enrolments(kind=None):
    def build(region_prefix, year, key, *, key_path=None):
        rows = _finished_enrolments()
        if kind:
            rows = rows.filter(training_class__course__kind=kind)
        rows = rows.filter(training_class__region__code__startswith=region_prefix)
        if year:
            rows = rows.filter(training_class__end_date__year=year)
        if key_path and key is not None:
            rows = rows.filter(**{key_path: key})
        return rows.select_related(
            "trainee",
            "training_class__region",
            "training_class__course__institution",
        ).order_by("-training_class__end_date", "pk")

    return build


def _enrolment_cells(enrolment):
    cls = enrolment.training_class
    return [
        enrolment.trainee.masked_name,
        cls.code,
        cls.course.title,
        cls.course.institution.name,
        f"{cls.end_date:%Y-%m-%d}",
        cls.region.name,
    ]


ENROLMENT_HEADERS = ["学员", "培训班", "课程", "培训机构", "结业日期", "地区"]


def _certificates(high=False, all_kinds=False):
    def build(region_prefix, year, key, *, key_path=None):
        if all_kinds:
            from certificates.models import CertificateStatus

            rows = Certificate.objects.filter(status=CertificateStatus.VALID)
        else:
            rows = _skill_certificates()
        if high:
            rows = rows.filter(level__in=sorted(HIGH_SKILL_LEVELS))
        rows = rows.filter(region__code__startswith=region_prefix)
        if year:
            rows = rows.filter(issued_on__year=year)
        if key is not None and key_path == "kind:level":
            kind, _, level = key.partition(":")
            rows = rows.filter(kind=kind, level=level)
        elif key is not None and key_path:
            rows = rows.filter(
                **{key_path: key or None}
                if key_path == "issuer_id"
                else {key_path: key}
            )
        return rows.select_related("region").order_by("-issued_on", "pk")

    return build


def _certificate_cells(c):
    return [
        c.number,
        pii.mask_name(c.holder_name),
        c.get_kind_display(),
        c.get_level_display() or "—",
        c.occupation_name,
        f"{c.issued_on:%Y-%m-%d}",
        c.issuer_name or "—",
        c.region.name,
    ]


CERTIFICATE_HEADERS = [
    "证书编号",
    "持证人",
    "证书类型",
    "等级",
    "职业",
    "发证日期",
    "发证机构",
    "地区",
]


def _claims(region_prefix, year, key, *, key_path=None):
    rows = Claim.objects.filter(
        status=ClaimStatus.PAID, region__code__startswith=region_prefix
    )
    if year:
        rows = rows.filter(paid_on__year=year)
    if key is not None:
        rows = rows.filter(kind=key)
    return rows.select_related("region", "trainee").order_by("-paid_on", "pk")


def _claim_cells(c):
    return [
        str(c.pk),
        pii.mask_name(c.trainee.name) if c.trainee_id else "—",
        c.get_kind_display(),
        dashboard.number(c.amount, "元"),
        f"{c.paid_on:%Y-%m-%d}" if c.paid_on else "—",
        c.region.name,
    ]


def _bases(public=False):
    def build(region_prefix, year, key, *, key_path=None):
        rows = TrainingBase.objects.exclude(status=RegistryStatus.REVOKED)
        if public:
            from bases.models import BaseKind

            rows = rows.filter(kind=BaseKind.PUBLIC_TRAINING)
        rows = rows.filter(region__code__startswith=region_prefix)
        if year:
            rows = rows.filter(build_year=year)
        if key is not None:
            first, _, second = key.partition(":")
            if public:
                rows = rows.filter(level=first, build_type=second)
            else:
                rows = rows.filter(kind=first, level=second)
        return rows.select_related("region").order_by("name", "pk")

    return build


def _base_cells(b):
    return [
        b.name,
        b.get_kind_display(),
        b.get_level_display(),
        b.get_build_type_display() or "—",
        str(b.build_year or "—"),
        b.region.name,
    ]


def _studios(region_prefix, year, key, *, key_path=None):
    rows = SkillMasterStudio.objects.exclude(status=RegistryStatus.REVOKED).filter(
        region__code__startswith=region_prefix
    )
    if year:
        rows = rows.filter(approval_year=year)
    if key is not None:
        rows = rows.filter(level=key)
    return rows.select_related("region").order_by("name", "pk")


def _studio_cells(s):
    return [s.name, s.get_level_display(), str(s.approval_year), s.region.name]


_ENROLMENTS = (ENROLMENT_HEADERS, _enrolment_cells, "条培训记录")
_CERTIFICATES = (CERTIFICATE_HEADERS, _certificate_cells, "张证书")
# query key → (title, rows(prefix, year, key, key_path=), key path, (headers, cells, word))
RECORD_SOURCES = {
    "training_person_times": ("职业培训人次", _enrolments(), None, _ENROLMENTS),
    "training_by_institution": (
        "职业培训人次",
        _enrolments(),
        "training_class__course__institution_id",
        _ENROLMENTS,
    ),
    "training_by_course_kind": (
        "职业培训人次",
        _enrolments(),
        "training_class__course__kind",
        _ENROLMENTS,
    ),
    "entrepreneurship_person_times": (
        "创业培训人次",
        _enrolments(CourseKind.ENTREPRENEURSHIP),
        None,
        _ENROLMENTS,
    ),
    "entrepreneurship_by_institution": (
        "创业培训人次",
        _enrolments(CourseKind.ENTREPRENEURSHIP),
        "training_class__course__institution_id",
        _ENROLMENTS,
    ),
    "skill_talent": ("技能人才培养", _certificates(), "level", _CERTIFICATES),
    "skill_talent_by_institution": (
        "技能人才培养",
        _certificates(),
        "issuer_id",
        _CERTIFICATES,
    ),
    "high_skill_talent": (
        "高技能人才培养",
        _certificates(high=True),
        "level",
        _CERTIFICATES,
    ),
    "high_skill_talent_by_institution": (
        "高技能人才培养",
        _certificates(high=True),
        "issuer_id",
        _CERTIFICATES,
    ),
    "certificates": (
        "有效证书",
        _certificates(all_kinds=True),
        "kind:level",
        _CERTIFICATES,
    ),
    "subsidy_paid": (
        "已拨付补贴",
        _claims,
        "kind",
        (
            ["申领编号", "学员", "补贴类型", "金额（元）", "拨付日期", "地区"],
            _claim_cells,
            "笔",
        ),
    ),
    "training_bases": (
        "培训基地",
        _bases(),
        "kind:level",
        (
            ["基地名称", "类型", "级别", "建设类型", "建设年度", "地区"],
            _base_cells,
            "个基地",
        ),
    ),
    "public_training_bases": (
        "公共实训基地",
        _bases(public=True),
        "level:build_type",
        (
            ["基地名称", "类型", "级别", "建设类型", "建设年度", "地区"],
            _base_cells,
            "个基地",
        ),
    ),
    "master_studios": (
        "技能大师工作室",
        _studios,
        "level",
        (["工作室名称", "级别", "批准年度", "地区"], _studio_cells, "个工作室"),
    ),
}


def records_view(request):
    """The records behind one computed number: the same filters as its query, within
    the region asked for (which must be in the user's scope), paginated, names masked."""
    if not policies.may_view_dashboard(request.user):
        return _denied(request)
    region, year, year_message = _context(request)
    source = RECORD_SOURCES.get(request.GET.get("query", ""))
    if source is None:
        raise Http404("没有这项统计。")
    title, build, key_path, (headers, cells, word) = source
    key = request.GET.get("key")
    if key is not None and key_path is None:
        key = None  # this figure has no breakdown
    if key and (key_path or "").endswith("_id") and not key.isdigit():
        raise Http404("机构编号无效。")
    rows = build(region.prefix, year, key, key_path=key_path)
    if access.has_rules(rows.model):
        rows = rows & access.visible(request.user, rows.model.objects.all())
    paginator = Paginator(rows, RECORDS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    filters = [region.name, f"{year}年" if year else "全部年度"]
    if key:
        if key_path.endswith("_id"):
            from bases.models import TrainingInstitution

            name = (
                TrainingInstitution.objects.filter(pk=key)
                .values_list("name", flat=True)
                .first()
                if key.isdigit()
                else None
            )
            filters.append(name or "未记录机构")
        else:
            filters.append(dashboard.key_label(key))
    params = request.GET.copy()
    params.pop("page", None)
    return TemplateResponse(
        request,
        "monitoring/dashboard/records.html",
        {
            "title": title,
            "filters": "，".join(filters),
            "headers": headers,
            "rows": [cells(r) for r in page.object_list],
            "page": page,
            "count": paginator.count,
            "word": word,
            "query_string": params.urlencode(),
            "region": region,
            "year_message": year_message,
            "back_url": dashboard.page_url(
                "monitoring:dashboard", region=region.prefix, year=year
            ),
        },
    )
