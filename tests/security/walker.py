"""Every URL pattern of the project, read from the resolver, with its parameters filled.

``routes()`` walks ``get_resolver().url_patterns`` recursively, so a pattern added
anywhere (an app's ``register_admin_urls`` hook, a viewset, the API's routers, the main
URL conf) is found without anyone listing it. ``fill(route, side)`` turns a route into
the paths to request, its parameters taken from ``side`` (the foreign side of the
world): object ids by the model the parameter names, codes and tokens by name.

A route the walker cannot fill and that is not in ALLOW (each with its reason) makes
``test_every_route_is_walked_or_allowed`` fail: add a fill (PK_MODELS, PARAM_MODELS,
SHARED_PARAMS) or, if the route cannot be meaningfully requested, an ALLOW line.
"""

import re
from dataclasses import dataclass

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from bases.models import (
    ApiToken,
    InstitutionChangeRequest,
    SkillMasterStudio,
    TrainingBase,
    TrainingInstitution,
)
from certificates.models import Certificate, EvaluationUpload, IssueBatch
from competitions.models import Competition, Entry, Event, ResultVersion, ScoreUpload
from courses.models import Enrolment, ImportUpload, TrainingClass
from monitoring.models import ReportedFigure
from subsidies.models import (
    ApprovalList,
    BankReturnUpload,
    Claim,
    DisbursementBatch,
    NoticeRound,
    Objection,
    Payment,
)
from trainees.models import Trainee

# Routes that are not requested, by regular expression on the route text, each with its
# reason. Keep it to routes that carry no project data or cannot be requested by GET in
# a meaningful way; anything with a project object id belongs in the walk.
ALLOW = {
    # Django's password-reset confirmation needs a token minted for one user.
    r"^admin/password_reset/confirm/": "needs a one-time token minted per user",
    # Wagtail's generic page-tree, media, workflow and settings screens: the page tree
    # holds the public site's content (no institution's or person's records), and
    # these take Wagtail's own ids (pages, revisions, tasks, images, documents).
    r"^admin/pages/": "Wagtail page tree (public site content, editor permissions)",
    r"^admin/choose-page/": "Wagtail page chooser (public site content)",
    r"^admin/api/main/": "Wagtail admin API over pages/images/documents (site content)",
    r"^admin/workflows/": "Wagtail moderation workflows and tasks (no project data)",
    r"^admin/bulk/": "Wagtail bulk actions (ids in the query string, POST to act)",
    r"^admin/collections/\d|^admin/collections/<": "Wagtail media collections",
    r"^admin/images/(?!$|results/$|chooser/$)": "Wagtail images by image id",
    r"^admin/documents/(?!$|results/$|chooser/$)": "Wagtail documents by document id",
    r"^documents/": "Wagtail document serving by document id (no project documents)",
    r"^_util/authenticate_with_password/": "needs a page view restriction (none)",
    r"^admin/editing-sessions/": "Wagtail concurrent-editing pings (POST from the editor)",
    r"^admin/forms/submissions/": "Wagtail form-page submissions (no form pages)",
    r"^admin/redirects/<|^admin/redirects/\d": "Wagtail redirects by id (site content)",
    r"^admin/settings/<": "Wagtail site settings by app/model name (site content)",
    r"^admin/tag-autocomplete/<": "Wagtail tag autocomplete by model name",
    r"^admin/failwhale/": "Wagtail's error-page test: raises on purpose (500)",
    r"^admin/sites/.*<": "Wagtail sites (superusers only; one site)",
    r"^admin/groups/.*<": "Wagtail role groups (superusers only; no institution data)",
    r"^admin/snippets/.*<": "Wagtail snippet screens by id (walked without one)",
}

# A viewset's or view's object by URL name, where the view does not say its model.
PK_MODELS = {
    "trainee_reveal": Trainee,
    "trainee_activation_code": Trainee,
    "trainee_record_pdf": Trainee,
    "trainee_record_xlsx": Trainee,
    "bases_change_request_review": InstitutionChangeRequest,
    "bases_base_level_change": TrainingBase,
    "bases_studio_level_change": SkillMasterStudio,
    "bases_api_tokens": TrainingInstitution,
    "bases_api_token_new": TrainingInstitution,
    "bases_api_token_revoke": TrainingInstitution,
    "certificates_revoke": Certificate,
    "certificates_reissue": Certificate,
    "certificates_pdf": Certificate,
    "certificates_qr": Certificate,
    "certificates_class_issue": TrainingClass,
    "certificates_class_pdf": TrainingClass,
    "certificates_batch": IssueBatch,
    "competitions:detail": Competition,
    "competitions:open_registration": Competition,
    "competitions:start_scoring": Competition,
    "competitions:results": Competition,
    "competitions:results_publish": Competition,
    "competitions:results_propose": Competition,
    "competitions:results_approve": Competition,
    "competitions:results_reject": Competition,
    "subsidies_claim_review": Claim,
    "subsidies_claim_step": Claim,
    "subsidies_approval_list": ApprovalList,
    "subsidies_notice_round": NoticeRound,
    "subsidies_notice_objection": Objection,
    "subsidies_class_filing": TrainingClass,
    "subsidies_batch": DisbursementBatch,
    "subsidies_batch_approve": DisbursementBatch,
    "subsidies_batch_cancel": DisbursementBatch,
    "subsidies_batch_remove_claim": DisbursementBatch,
    "subsidies_batch_bank_file": DisbursementBatch,
    "subsidies_return_upload": DisbursementBatch,
    "subsidies_return_template": DisbursementBatch,
    "subsidies_payment_resolve": Payment,
    "subsidies_payment_reverse": Payment,
    "monitoring_reported:detail": ReportedFigure,
    "monitoring_reported:approve": ReportedFigure,
    "monitoring_reported:reject": ReportedFigure,
    "me_claim_withdraw": Claim,
    "enrolment_withdraw": Enrolment,
    "notice_objection": Claim,
}
# URL names whose ``pk`` is a class (the courses app's class screens).
PK_MODELS.update(
    dict.fromkeys(
        (
            "courses_class_results",
            "courses_class_transition",
            "courses_class_roster_template",
            "courses_class_roster_upload",
            "courses_roster_preview",
            "courses_roster_confirm",
            "courses_roster_result",
            "courses_roster_people",
            "courses_roster_errors",
            "courses_class_results_template",
            "courses_class_results_upload",
            "courses_results_preview",
            "courses_results_confirm",
            "courses_results_result",
            "courses_results_people",
            "courses_results_errors",
        ),
        TrainingClass,
    )
)

# Other parameters that name an object, by parameter name.
PARAM_MODELS = {
    "event_pk": Event,
    "entry_pk": Entry,
    "token_pk": ApiToken,
    "claim_id": Claim,
    "version_pk": ResultVersion,
    "class_id": TrainingClass,
    "job_id": ImportUpload,
}
# An import job's id (``upload_id``) is of the import model of the view's app.
UPLOAD_MODELS = {
    "courses": ImportUpload,
    "certificates": EvaluationUpload,
    "competitions": ScoreUpload,
    "subsidies": BankReturnUpload,
}
PROJECT_APPS = {
    "bases",
    "certificates",
    "cms",
    "competitions",
    "courses",
    "demo",
    "monitoring",
    "subsidies",
    "trainees",
    "training_platform",
    "reference",
    "audit",
    "accounts",
    "imports",
}


@dataclass(frozen=True)
class Route:
    text: str  # the route as written: admin/trainees/edit/<int:pk>/
    name: str  # namespaced URL name, "" if none
    pattern: URLPattern
    levels: tuple  # the pattern objects from the root down

    @property
    def callback(self):
        return self.pattern.callback

    @property
    def app(self) -> str:
        module = getattr(self.callback, "__module__", "") or ""
        view_class = getattr(self.callback, "view_class", None)
        model = self.model
        if model is not None:
            return model._meta.app_label
        if view_class is not None:
            module = view_class.__module__
        return module.split(".")[0]

    @property
    def model(self):
        initkwargs = getattr(self.callback, "view_initkwargs", {}) or {}
        model = initkwargs.get("model")
        if model is None:
            view_class = getattr(self.callback, "view_class", None)
            model = getattr(view_class, "model", None)
        if isinstance(model, str):
            model = apps.get_model(model)
        return model

    @property
    def params(self) -> list[tuple[str, str]]:
        """(name, converter) of every parameter, outermost first."""
        out = []
        for level in self.levels:
            pattern = level.pattern
            if isinstance(pattern, RoutePattern):
                for match in re.finditer(r"<(?:(\w+):)?(\w+)>", str(pattern)):
                    out.append((match[2], match[1] or "str"))
            elif isinstance(pattern, RegexPattern):
                regex = pattern.regex
                out += [(n, "regex") for n in regex.groupindex]
                if regex.groups > len(regex.groupindex):
                    out.append(("<unnamed>", "regex"))
        return out


def routes() -> list[Route]:
    found = []

    def walk(patterns, levels, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, (*levels, p), ns)
            else:
                text = "".join(str(level.pattern) for level in (*levels, p))
                name = p.name or ""
                if name and namespace:
                    name = f"{namespace}:{name}"
                found.append(Route(text, name, p, (*levels, p)))

    walk(get_resolver().url_patterns, (), "")
    return found


def allowed_reason(route: Route) -> str | None:
    for regex, reason in ALLOW.items():
        if re.search(regex, route.text):
            return reason
    return None


class Unfillable(Exception):
    pass


def _object(side, model):
    obj = side.objects.get(model)
    if obj is None:
        raise Unfillable(f"no {model.__name__} in the world")
    return obj


def _values(route: Route, name: str, converter: str, side, shared) -> tuple[list, bool]:
    """The values to try for one parameter, and whether they are the side's objects."""
    if name in ("pk", "object_id", "page_view_restriction_id"):
        model = PK_MODELS.get(route.name) or route.model
        if model is None:
            raise Unfillable("no model for pk")
        if model in shared:
            return [shared[model]], False
        obj = _object(side, model)
        return [obj.pk], True
    if name == "upload_id":
        return [_object(side, UPLOAD_MODELS[route.app]).pk], True
    if name in PARAM_MODELS:
        return [_object(side, PARAM_MODELS[name]).pk], True
    if name == "token":
        # Certificate tokens: the public verification pages, the holder's own pages.
        return [side.certificate_token], True
    if name == "code" and route.name == "class_enrol":
        return [_object(side, TrainingClass).code], True
    if name in shared.get("params", {}):
        return shared["params"][name], False
    raise Unfillable(f"parameter {name}")


def _materialise(route: Route, values: dict) -> str:
    parts = []
    for level in route.levels:
        pattern = level.pattern
        if isinstance(pattern, RoutePattern):
            parts.append(
                re.sub(
                    r"<(?:(\w+):)?(\w+)>",
                    lambda m: str(values[m[2]]),
                    str(pattern),
                )
            )
        else:
            regex = pattern.regex
            if regex.groups:
                fixed = shared_regex_paths().get(route.text)
                if fixed is None:
                    raise Unfillable("regex with groups")
                return fixed
            parts.append(str(pattern).lstrip("^").rstrip("$").replace("\\", ""))
    return "/" + "".join(parts)


def shared_regex_paths() -> dict:
    """Paths for the few regular-expression routes with groups."""
    return {
        r"^((?:[\w\-]+/)*)$": "/",  # Wagtail's page serving: the home page
        r"admin/^.*/$": "/admin/no-such-screen/",  # the admin's 404
    }


def fill(route: Route, side, shared) -> tuple[list[str], bool]:
    """The paths to request for ``route`` and whether they name the side's objects."""
    params = route.params
    if params and all(c == "regex" for _, c in params):
        return [_materialise(route, {})], False
    combos = [({}, False)]
    for name, converter in params:
        values, foreign = _values(route, name, converter, side, shared)
        combos = [
            ({**chosen, name: value}, was or foreign)
            for chosen, was in combos
            for value in values
        ]
    return [_materialise(route, chosen) for chosen, _ in combos], any(
        f for _, f in combos
    )
