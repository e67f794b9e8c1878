from django.urls import path, reverse
from wagtail import hooks

# --- filing (s11-filing) ---------------------------------------------------------------
from subsidies import filing_views
from subsidies.viewsets_filing import FiledClaimsMenuItem, FiledClaimViewSet


@hooks.register("register_admin_viewset")
def register_filed_claims_viewset():
    return FiledClaimViewSet()


@hooks.register("register_menu_item")
def register_filed_claims_menu_item():
    return FiledClaimsMenuItem(
        "本机构补贴申领",
        reverse("filed_claims:index"),
        name="filed-claims",
        icon_name="form",
        order=450,
    )


@hooks.register("register_admin_urls")
def register_filing_urls():
    return [
        path(
            "subsidies/class/<int:pk>/file/",
            filing_views.class_filing_view,
            name="subsidies_class_filing",
        ),
    ]


# --- end filing ------------------------------------------------------------------------
