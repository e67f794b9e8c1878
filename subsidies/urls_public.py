"""The trainee's own subsidy pages, under /me/subsidies/."""

from django.urls import path

from subsidies import filing_views

urlpatterns = [
    path("", filing_views.me_subsidies, name="me_subsidies"),
    path(
        "<int:pk>/withdraw/",
        filing_views.me_claim_withdraw,
        name="me_claim_withdraw",
    ),
]
