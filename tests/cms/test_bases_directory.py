"""The /bases/ directory of training bases and skill-master studios, drawn from the
``bases`` registry: filters, detail routes, editors' narrative and photos, sitemap."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file
from wagtail.test.utils import WagtailPageTestCase

from bases.models import ApprovalLevel, BaseKind, RegistryStatus
from cms.models import (
    BasesIndexPage,
    CompetitionIndexPage,
    HomePage,
    RegistryPhoto,
    RegistryProfile,
    StandardPage,
)
from tests.factories import (
    InstitutionFactory,
    StudioFactory,
    TrainingBaseFactory,
    region,
)
from training_platform.reference.models import Occupation

pytestmark = pytest.mark.django_db

URL = "/bases/"


def index_page() -> BasesIndexPage:
    return BasesIndexPage.objects.get()


def base_in(region_code, **fields):
    host = InstitutionFactory(region=region(region_code))
    return TrainingBaseFactory(host=host, **fields)


def studio_in(region_code, **fields):
    host = InstitutionFactory(region=region(region_code))
    return StudioFactory(host=host, **fields)


def listed(client, **params) -> list[str]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return sorted(item.name for item in response.context["entries"])


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


class TestPageTypes(WagtailPageTestCase):
    def test_the_directory_sits_under_the_home_page_only(self):
        self.assertAllowedParentPageTypes(BasesIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(BasesIndexPage, set())
        self.assertCanNotCreateAt(StandardPage, BasesIndexPage)
        self.assertCanNotCreateAt(CompetitionIndexPage, BasesIndexPage)
        assert not BasesIndexPage.can_create_at(HomePage.objects.get())


def test_the_directory_lists_bases_and_studios_of_the_registry(client):
    base = base_in("520102", name="贵阳市公共实训基地", stations=300)
    base.occupations.add(Occupation.objects.get(code="6-31-01-03"))
    studio_in("520302", name="遵义焊接技能大师工作室", master_name="刘大师")
    base_in("520102", name="已撤销的基地", status=RegistryStatus.REVOKED)
    body = text(client.get(URL))
    assert "2 个基地和工作室" in body
    assert "贵阳市公共实训基地" in body and "公共实训基地" in body
    assert "遵义焊接技能大师工作室" in body and "技能大师工作室" in body
    assert "刘大师" in body and "电工" in body
    assert "已撤销的基地" not in body
    # Cards link to the detail routes.
    assert f'href="{URL}base/{base.pk}/"' in body
    # The registry is the source: a change there shows here.
    type(base).objects.filter(pk=base.pk).update(name="贵阳市公共实训基地（新址）")
    assert "贵阳市公共实训基地（新址）" in text(client.get(URL))


def test_filters_by_kind_level_prefecture_and_occupation(client):
    electrician = Occupation.objects.get(code="6-31-01-03")
    other = Occupation.objects.exclude(code__startswith="6-31").order_by("code").first()
    guiyang = base_in("520102", name="贵阳基地", level=ApprovalLevel.PROVINCIAL)
    guiyang.occupations.add(electrician)
    zunyi = base_in("520302", name="遵义竞赛基地", kind=BaseKind.COMPETITION)
    zunyi.occupations.add(other)
    studio_in("520103", name="贵阳大师工作室", level=ApprovalLevel.NATIONAL)
    studio_in("520303", name="遵义大师工作室", occupation=other)

    assert listed(client, kind="studio") == ["贵阳大师工作室", "遵义大师工作室"]
    assert listed(client, kind=BaseKind.COMPETITION) == ["遵义竞赛基地"]
    assert listed(client, level="provincial") == ["贵阳基地", "遵义大师工作室"]
    assert listed(client, level="national") == ["贵阳大师工作室"]
    assert listed(client, prefecture="520100") == ["贵阳基地", "贵阳大师工作室"]
    assert listed(client, prefecture="520300", kind="studio") == ["遵义大师工作室"]
    assert listed(client, occupation="6-31-01-03") == ["贵阳基地", "贵阳大师工作室"]
    assert listed(client, occupation="电工") == ["贵阳基地", "贵阳大师工作室"]
    assert listed(client, occupation=other.code) == ["遵义大师工作室", "遵义竞赛基地"]
    # An invalid value is reported and ignored.
    response = client.get(URL, {"kind": "nonsense"})
    assert response.context["filter"].form.errors
    assert len(response.context["entries"]) == 4
    assert "部分筛选条件无效" in text(response)


def test_the_directory_is_paginated(client):
    BasesIndexPage.per_page = 2
    try:
        for n in range(3):
            base_in("520102", name=f"基地{n}")
        studio_in("520102", name="工作室")
        first = client.get(URL)
        assert len(first.context["entries"]) == 2
        assert 'rel="next"' in text(first)
        assert len(client.get(URL, {"page": 2}).context["entries"]) == 2
    finally:
        BasesIndexPage.per_page = 20


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def make_entries(n):
    occupation = Occupation.objects.get(code="6-31-01-03")
    for i in range(n):
        base = base_in(["520102", "520302"][i % 2])
        base.occupations.add(occupation)
        studio_in(["520103", "520303"][i % 2])


def test_the_directory_costs_the_same_queries_for_3n_rows(client):
    BasesIndexPage.per_page = 100
    try:
        make_entries(2)
        client.get(URL)
        few = count_queries(client, URL)
        make_entries(4)
        assert len(client.get(URL).context["entries"]) == 12
        assert count_queries(client, URL) == few
    finally:
        BasesIndexPage.per_page = 20


def test_detail_pages_show_the_registry_facts(client):
    base = base_in(
        "520102", name="贵阳市公共实训基地", approval_doc_no="黔人社通〔2022〕12号"
    )
    studio = studio_in(
        "520302",
        name="遵义焊接大师工作室",
        master_name="刘大师",
        results="焊接工艺攻关",
    )
    body = text(client.get(f"{URL}base/{base.pk}/"))
    assert "贵阳市公共实训基地" in body and "黔人社通〔2022〕12号" in body
    assert "基地登记信息" in body
    # one trail: 首页 › 基地和工作室 (a link back to the directory) › the base
    [crumbs] = re.findall(r'<nav class="breadcrumbs".*?</nav>', body, re.S)
    assert f'<a href="{URL}">' in crumbs
    assert '<li aria-current="page">贵阳市公共实训基地</li>' in crumbs
    assert 'class="breadcrumb"' not in body
    body = text(client.get(f"{URL}studio/{studio.pk}/"))
    assert "遵义焊接大师工作室" in body and "刘大师" in body
    assert "工作室登记信息" in body


def test_unknown_or_revoked_entries_answer_404(client):
    base = base_in("520102")
    studio = studio_in("520102")
    revoked = base_in("520102", status=RegistryStatus.REVOKED)
    assert client.get(f"{URL}base/{base.pk + 1000}/").status_code == 404
    assert client.get(f"{URL}studio/{studio.pk + 1000}/").status_code == 404
    assert client.get(f"{URL}base/{revoked.pk}/").status_code == 404
    assert client.get(f"{URL}base/abc/").status_code == 404
    assert client.get(f"{URL}shop/{base.pk}/").status_code == 404


def test_editors_add_narrative_and_photos_shown_on_the_detail_page(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    base = base_in("520102", name="贵阳市公共实训基地")
    image = Image.objects.create(title="车间", file=get_test_image_file())
    profile = RegistryProfile.objects.create(
        base=base, intro="<p>基地拥有智能制造实训车间。</p>"
    )
    RegistryPhoto.objects.create(
        profile=profile, image=image, alt_text="学员在实训车间练习", caption="实训车间"
    )
    body = text(client.get(f"{URL}base/{base.pk}/"))
    assert "基地拥有智能制造实训车间。" in body
    assert 'alt="学员在实训车间练习"' in body and "实训车间" in body
    # Another base shows no one else's narrative.
    other = base_in("520102")
    assert "智能制造实训车间" not in text(client.get(f"{URL}base/{other.pk}/"))


def test_a_profile_belongs_to_exactly_one_base_or_studio():
    base = base_in("520102")
    studio = studio_in("520102")
    with pytest.raises(ValidationError):
        RegistryProfile(base=base, studio=studio).full_clean()
    with pytest.raises(ValidationError):
        RegistryProfile().full_clean()
    RegistryProfile(studio=studio).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistryProfile.objects.create(base=base, studio=studio)


def test_the_sitemap_lists_every_base_and_studio(rf):
    bases = [base_in("520102") for _ in range(2)]
    studio = studio_in("520302")
    revoked = base_in("520102", status=RegistryStatus.REVOKED)
    request = rf.get("/sitemap.xml")
    locations = [entry["location"] for entry in index_page().get_sitemap_urls(request)]
    assert locations[0].endswith(URL)
    expected = [f"{URL}base/{b.pk}/" for b in bases] + [f"{URL}studio/{studio.pk}/"]
    for path in expected:
        assert any(location.endswith(path) for location in locations), path
    assert not any(loc.endswith(f"base/{revoked.pk}/") for loc in locations)
    assert len(locations) == 1 + len(expected)


def test_the_directory_reads_in_english(client):
    base = base_in("520102")
    studio_in("520102")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = text(client.get(URL))
    assert '<html lang="en">' in body
    assert "2 bases and studios" in body and "Filters" in body
    assert "Skill master studio" in body
    body = text(client.get(f"{URL}base/{base.pk}/"))
    assert "Bases and studios" in body
