"""The public catalogue as JSON: GET /api/v1/courses and GET /api/v1/classes.

The same open classes and the same filters as the catalogue page (/courses/):
``courses.selectors.class_list_open`` narrowed by ``courses.filters.CatalogueFilter``. Where
the page shows a bad filter value on its form and ignores it, the API answers 422
``invalid`` naming the parameter. Both lists are paginated (``page``, ``page_size``) and
cost a fixed number of queries whatever the page holds. Registered on
``training_platform.extensions.api_routers`` in ``CoursesConfig.ready()``.
"""

import datetime as dt
from typing import Literal

from django.db.models import Count, F, IntegerField, Min, OuterRef, Subquery, Sum
from ninja import Field, Query, Router, Schema

from courses.filters import DEFAULT_SORT, SORTS, CatalogueFilter
from courses.models import Course, CourseKind, CourseMode
from courses.selectors import class_list_open
from training_platform.api import (
    ApiError,
    ApiRoute,
    ErrorOut,
    PageQuery,
    page_schema,
    paginate,
)
from training_platform.reference.models import RegionLevel, SkillLevel

router = Router(tags=["公开培训目录"])


# --- parameters ---------------------------------------------------------------------------------


class CatalogueQuery(Schema):
    """The catalogue page's filters (courses/filters.py), by the same names."""

    q: str | None = Field(
        None, max_length=60, description="关键词：项目、职业或机构名称，空格分隔"
    )
    occupation: str | None = Field(
        None,
        max_length=60,
        description="职业名称或编码（大类、中类、小类或职业），如 6-31",
    )
    region: str | None = Field(
        None, max_length=12, description="培训地区：市州或县区的行政区划代码"
    )
    kind: Literal[tuple(CourseKind.values)] | None = Field(None, description="培训类型")
    level: Literal[tuple(SkillLevel.values)] | None = Field(
        None, description="培训等级：1–5 级"
    )
    start_after: dt.date | None = Field(None, description="开班日期不早于")
    start_before: dt.date | None = Field(None, description="开班日期不晚于")
    subsidised: bool = Field(False, description="只看补贴性培训")
    seats_left: bool = Field(False, description="只看有剩余名额的")
    sort: Literal[tuple(SORTS)] = Field(
        DEFAULT_SORT,
        description="排序：start 开班时间、newest 最新发布、seats 剩余名额最多、fee 收费从低到高",
    )

    def filter_data(self) -> dict:
        """The query string the catalogue page would have had."""
        data = {}
        for name, value in self.model_dump().items():
            if value is None or value is False:
                continue
            if value is True:
                value = "1"
            data[name] = value.isoformat() if isinstance(value, dt.date) else value
        return data


def _filtered_classes(filters: CatalogueQuery):
    """The open classes the filters keep, ordered as the page orders them; 422 if invalid."""
    filterset = CatalogueFilter(filters.filter_data(), queryset=class_list_open())
    if not filterset.is_valid():
        problems = [
            f"{name}（{'；'.join(str(m) for m in messages)}）"
            for name, messages in filterset.errors.items()
        ]
        raise ApiError(422, "invalid", "筛选条件不正确：" + "、".join(problems) + "。")
    return filterset.qs


# --- responses ------------------------------------------------------------------------------------


class InstitutionRef(Schema):
    id: int
    name: str


class OccupationRef(Schema):
    code: str = Field(..., examples=["6-31-01-03"])
    name: str


class RegionRef(Schema):
    code: str
    name: str
    prefecture: str = Field(..., description="所属市州（本身是市州时为其名称）")


class CourseOut(Schema):
    """一个培训项目，及其符合筛选条件、正在报名的班级的汇总。"""

    id: int
    title: str
    kind: str
    kind_label: str
    target_level: str = Field(..., description="1–5，或空（不对应等级）")
    target_level_label: str
    hours: int
    fee: str = Field(..., description="收费标准（元），两位小数", examples=["800.00"])
    subsidised: bool
    mode: str
    mode_label: str
    description: str
    institution: InstitutionRef
    occupation: OccupationRef
    open_classes: int = Field(..., description="符合条件的正在报名班级数")
    seats_left: int = Field(..., description="这些班级的剩余名额合计")
    next_start: dt.date = Field(..., description="这些班级中最早的开班日期")


class ClassOut(Schema):
    """一个正在报名的培训班。"""

    code: str
    course_id: int
    title: str
    kind: str
    kind_label: str
    target_level: str
    target_level_label: str
    hours: int
    fee: str = Field(..., examples=["800.00"])
    subsidised: bool
    institution: InstitutionRef
    occupation: OccupationRef
    region: RegionRef
    venue: str = Field(..., description="实训基地名称，可为空")
    address: str
    start_date: dt.date
    end_date: dt.date
    capacity: int
    seats_taken: int
    seats_left: int


def _course_fields(course) -> dict:
    return {
        "title": course.title,
        "kind": course.kind,
        "kind_label": CourseKind(course.kind).label,
        "target_level": course.target_level,
        "target_level_label": (
            SkillLevel(course.target_level).label if course.target_level else ""
        ),
        "hours": course.hours,
        "fee": f"{course.fee:.2f}",
        "subsidised": course.subsidised,
        "institution": {"id": course.institution_id, "name": course.institution.name},
        "occupation": {
            "code": course.occupation.code,
            "name": course.occupation.name,
        },
    }


def course_out(course) -> dict:
    return {
        "id": course.pk,
        **_course_fields(course),
        "mode": course.mode,
        "mode_label": CourseMode(course.mode).label if course.mode else "",
        "description": course.description,
        "open_classes": course.open_classes,
        "seats_left": course.open_seats,
        "next_start": course.next_start,
    }


def class_out(training_class) -> dict:
    region = training_class.region
    parent = region.parent
    return {
        "code": training_class.code,
        "course_id": training_class.course_id,
        **_course_fields(training_class.course),
        "region": {
            "code": region.code,
            "name": region.name,
            "prefecture": (
                parent.name
                if parent is not None and region.level == RegionLevel.COUNTY
                else region.name
            ),
        },
        "venue": training_class.venue.name if training_class.venue else "",
        "address": training_class.address,
        "start_date": training_class.start_date,
        "end_date": training_class.end_date,
        "capacity": training_class.capacity,
        "seats_taken": training_class.seats_taken,
        "seats_left": max(training_class.capacity - training_class.seats_taken, 0),
    }


# --- endpoints ----------------------------------------------------------------------------------

# How courses are ordered by the page's sort names (the page sorts classes).
COURSE_SORTS = {
    "start": ("next_start", "pk"),
    "newest": ("-created_at", "-pk"),
    "seats": ("-open_seats", "next_start", "pk"),
    "fee": ("fee", "next_start", "pk"),
}


def _per_course(classes, expression):
    """One number per course over the filtered classes, as a correlated subquery."""
    return Subquery(
        classes.order_by()
        .filter(course_id=OuterRef("pk"))
        .values("course_id")
        .annotate(value=expression)
        .values("value")[:1]
    )


@router.get(
    "/courses",
    response={200: page_schema(CourseOut), 422: ErrorOut},
    operation_id="listCourses",
    summary="培训项目（有正在报名班级的）",
    description="与网站“培训课程目录”相同的筛选条件；只列出有符合条件、正在报名班级的项目。",
)
def list_courses(request, filters: Query[CatalogueQuery], paging: Query[PageQuery]):
    classes = _filtered_classes(filters)
    courses = (
        Course.objects.filter(pk__in=classes.order_by().values("course_id"))
        .select_related("institution", "occupation")
        .annotate(
            open_classes=_per_course(classes, Count("pk")),
            open_seats=_per_course(
                classes,
                Sum(F("capacity") - F("seats_taken"), output_field=IntegerField()),
            ),
            next_start=_per_course(classes, Min("start_date")),
        )
        .order_by(*COURSE_SORTS[filters.sort])
    )
    page = paginate(courses, paging.page, paging.page_size)
    page["items"] = [course_out(course) for course in page["items"]]
    return page


@router.get(
    "/classes",
    response={200: page_schema(ClassOut), 422: ErrorOut},
    operation_id="listOpenClasses",
    summary="正在报名的培训班",
    description="与网站“培训课程目录”相同的筛选条件和排序。",
)
def list_classes(request, filters: Query[CatalogueQuery], paging: Query[PageQuery]):
    page = paginate(_filtered_classes(filters), paging.page, paging.page_size)
    page["items"] = [class_out(c) for c in page["items"]]
    return page


ROUTE = ApiRoute("/", router)
