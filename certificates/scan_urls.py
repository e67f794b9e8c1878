"""The scanner's addresses, included at ``verify/scan/`` (before ``verify/<token>/``)."""

from django.urls import path

from certificates import scan

urlpatterns = [
    path("", scan.scan_page, name="certificate_scan"),
    path("sw.js", scan.scan_service_worker, name="certificate_scan_sw"),
    path("manifest.webmanifest", scan.scan_manifest, name="certificate_scan_manifest"),
    path(
        "occupations.json", scan.scan_occupations, name="certificate_scan_occupations"
    ),
    path("me/", scan.scan_me, name="certificate_scan_me"),
    path("save/", scan.scan_save, name="certificate_scan_save"),
]
