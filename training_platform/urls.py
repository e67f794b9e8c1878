from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from certificates import views as certificate_views
from cms import views as cms_views
from cms.sitemaps import SITEMAPS
from courses import views as course_views
from subsidies import notice_views
from trainees import views as trainee_views
from trainees.signin import TraineeLoginView
from training_platform import admin_reports
from training_platform.api import get_api, unknown_path

# --- c13-api ---
# The JSON API (training_platform/api.py): one NinjaAPI from the routers the apps register.
_api_urls = get_api().urls
# The verification endpoint keeps its un-namespaced name: reverse("api_certificate").
_api_certificate = next(p for p in _api_urls[0] if p.name == "api_certificate")
# --- end c13-api ---

urlpatterns = [
    # Wagtail's reports, scoped and with safe exports: before the admin they replace.
    path("admin/reports/", include(admin_reports)),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/login/", TraineeLoginView.as_view(), name="login"),
    path(
        "accounts/password/reset/",
        trainee_views.password_reset,
        name="password_reset",
    ),
    path(
        "accounts/password/reset/code/",
        trainee_views.password_reset_finish_view,
        name="password_reset_finish",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", trainee_views.signup, name="signup"),
    path(
        "accounts/signup/verify/",
        trainee_views.signup_verify,
        name="signup_verify",
    ),
    path("me/", trainee_views.me, name="me"),
    path("me/subsidies/", include("subsidies.urls_public")),
    # Issue 11: the lifetime record (终身培训档案) and its files.
    path("me/record/", trainee_views.me_record, name="me_record"),
    path("me/record/record.pdf", trainee_views.me_record_pdf, name="me_record_pdf"),
    path("me/record/record.xlsx", trainee_views.me_record_xlsx, name="me_record_xlsx"),
    path(
        "me/enrolments/<int:pk>/withdraw/",
        course_views.enrolment_withdraw_view,
        name="enrolment_withdraw",
    ),
    path("classes/<str:code>/enrol/", course_views.class_enrol, name="class_enrol"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Public verification (SPEC §6: these addresses are printed on certificates).
    path("verify/", certificate_views.verify_query, name="certificate_query"),
    # --- c14-scanner ---
    # The auditor's scanner (a PWA), before verify/<token>/ which would take "scan".
    path("verify/scan/", include("certificates.scan_urls")),
    # --- end c14-scanner ---
    path("verify/<str:token>/", certificate_views.verify, name="certificate_verify"),
    # Public notice of subsidy claims (公示) and objections to them.
    path("notice/", notice_views.notice_index, name="notice"),
    path(
        "notice/claims/<int:pk>/objection/",
        notice_views.objection_view,
        name="notice_objection",
    ),
    path(
        "notice/objection/thanks/",
        notice_views.objection_thanks,
        name="notice_objection_thanks",
    ),
    # Issue 12: site search, sitemap and robots.txt.
    path("search/", cms_views.search, name="search"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", cms_views.robots_txt, name="robots_txt"),
    # --- c13-api ---
    path("api/v1/", _api_urls),  # namespace "api": api:openapi-json, api:openapi-view
    # Never matched (the line above answers first); keeps reverse("api_certificate").
    path(
        "api/v1/certificates/<str:token>",
        _api_certificate.callback,
        name="api_certificate",
    ),
    path("api/v1/<path:rest>", unknown_path),  # JSON 404 for any other API path
    # --- end c13-api ---
    path(
        ".well-known/certificate-keys.json",
        certificate_views.public_keys,
        name="certificate_keys",
    ),
    # --- c14-status ---
    path(
        ".well-known/certificate-revocations.json",
        certificate_views.revocations,
        name="certificate_revocations",
    ),
    path(
        ".well-known/certificate-status-list.json",
        certificate_views.status_list_credential,
        name="certificate_status_list",
    ),
    path(".well-known/did.json", certificate_views.did_document, name="did_document"),
    path(
        "verify/<str:token>/credential.json",
        certificate_views.verify_credential,
        name="certificate_credential",
    ),
    path(
        "me/certificates/<str:token>/credential.json",
        certificate_views.my_certificate_credential,
        name="my_certificate_credential",
    ),
    # --- end c14-status ---
    path(
        "me/certificates/<str:token>/",
        certificate_views.my_certificate,
        name="my_certificate",
    ),
    path(
        "me/certificates/<str:token>/certificate.pdf",
        certificate_views.my_certificate_pdf,
        name="my_certificate_pdf",
    ),
    path(
        "me/certificates/<str:token>/qr.png",
        certificate_views.my_certificate_qr,
        name="my_certificate_qr",
    ),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves every other path from the page tree; keep it last.
urlpatterns += [path("", include(wagtail_urls))]
