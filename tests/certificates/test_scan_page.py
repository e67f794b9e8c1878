"""/verify/scan/: the page, its manifest, service worker, occupation names and who-am-I."""

import json

import pytest
from django.contrib.staticfiles import finders
from django.urls import resolve, reverse
from PIL import Image

from certificates import scan
from tests.certificates.admin_world import ELECTRICIAN, login
from tests.training_platform.test_csp import inline_scripts, script_sources

pytestmark = pytest.mark.django_db

PAGE = "/verify/scan/"


def test_the_scanner_has_its_own_address_before_the_token_pages():
    assert reverse("certificate_scan") == PAGE
    assert resolve(PAGE).func is scan.scan_page
    # A certificate token is still a token one level down.
    assert resolve("/verify/abc123/").url_name == "certificate_verify"


def test_the_page_needs_no_sign_in_and_keeps_the_strict_csp(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert script_sources(response) == ["'self'"]
    assert inline_scripts(html) == []
    assert " style=" not in html and "<style" not in html
    assert " onclick=" not in html
    for script in scan.SCRIPTS:
        assert f'src="/static/{script}"' in html
    assert f'href="{reverse("certificate_scan_manifest")}"' in html
    config = json.loads(
        html.split('id="scan-config" type="application/json">')[1].split("</script>")[0]
    )
    assert config["keys_url"] == "/.well-known/certificate-keys.json"
    assert config["revocations_url"] == "/.well-known/certificate-revocations.json"
    assert config["messages"]["list_stale"] == "撤销名单已过期，请联网更新"
    assert config["labels"]["kinds"]["skill_level"] == "职业技能等级证书"
    assert 'accept="image/*"' in html and "capture=" in html


def test_the_page_speaks_english_when_asked(client):
    client.post(reverse("set_language"), {"language": "en", "next": PAGE})
    html = client.get(PAGE).content.decode()
    assert "Scan a certificate" in html
    config = json.loads(
        html.split('id="scan-config" type="application/json">')[1].split("</script>")[0]
    )
    assert config["messages"]["list_stale"] == (
        "The revocation list is out of date: go online to update it"
    )


def test_manifest_makes_it_installable(client):
    response = client.get(reverse("certificate_scan_manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    body = json.loads(response.content)
    assert body["name"] == "黔技通证书核验"
    assert body["start_url"] == PAGE and body["scope"] == PAGE
    assert body["display"] == "standalone"
    sizes = set()
    for icon in body["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes


def test_service_worker_covers_the_scanner_and_keeps_what_it_needs(client):
    response = client.get(reverse("certificate_scan_sw"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == PAGE
    # Served from /verify/scan/, so its default scope is the scanner.
    assert reverse("certificate_scan_sw").startswith(PAGE)
    text = response.content.decode()
    precache = json.loads(text.split("const PRECACHE = ")[1].split(";\n")[0])
    fresh = json.loads(text.split("const FRESH_FIRST = ")[1].split(";\n")[0])
    for url in (
        PAGE,
        "/.well-known/certificate-keys.json",
        "/.well-known/certificate-revocations.json",
        reverse("certificate_scan_occupations"),
    ):
        assert url in precache and url in fresh
    for script in scan.SCRIPTS:
        assert f"/static/{script}" in precache
        assert finders.find(script)
    assert 'self.addEventListener("fetch"' in text
    # A new worker (and cache name) whenever what it keeps changes.
    assert text.startswith('const CACHE = "qjt-scan-')


def test_occupation_names_for_the_codes_in_qrs(client, reference):
    response = client.get(reverse("certificate_scan_occupations"))
    names = json.loads(response.content)
    assert names[ELECTRICIAN] == "电工"
    assert "max-age" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("who", "can_save"),
    [
        ("anonymous", False),
        ("inst_a", False),
        ("bureau_gy", False),
        ("auditor_gz", True),
    ],
)
def test_only_an_auditor_is_offered_saving(client, world, who, can_save):
    login(client, world, who)
    body = client.get(reverse("certificate_scan_me")).json()
    assert body["can_save"] is can_save
    assert bool(body["csrf_token"]) is can_save
