"""The one plug-in mechanism: extension points filled in AppConfig.ready()."""

import pytest

from certificates import api as certificates_api
from certificates import class_page, records
from certificates.selectors import enrolments_with_valid_certificate
from courses import extensions as courses_extensions
from trainees import extensions as trainees_extensions
from training_platform import extensions
from training_platform.extensions import ExtensionPoint


def test_register_keeps_order_and_ignores_repeats():
    point = ExtensionPoint("test.point", "fn() -> int")

    def one():
        return 1

    def two():
        return 2

    assert point.register(one) is one
    point.register(two)
    point.register(one)  # ready() run twice adds nothing
    assert point.items() == [one, two]
    assert list(point) == [one, two]
    assert len(point) == 2


def test_register_decorates():
    point = ExtensionPoint("test.point")

    @point.register
    def contribution():
        return "x"

    assert contribution() == "x"
    assert point.items() == [contribution]


def test_register_temporarily_restores_even_after_an_error():
    point = ExtensionPoint("test.point")
    point.register("kept")
    with point.register_temporarily("a", "b"):
        assert point.items() == ["kept", "a", "b"]
    assert point.items() == ["kept"]
    with pytest.raises(RuntimeError), point.register_temporarily("c"):
        raise RuntimeError
    assert point.items() == ["kept"]


def test_items_is_a_copy():
    point = ExtensionPoint("test.point")
    point.register("a")
    point.items().append("b")
    assert point.items() == ["a"]


def test_ready_filled_every_point_before_any_request():
    # The points the lower apps declare hold what the upper apps registered at start-up.
    assert enrolments_with_valid_certificate in courses_extensions.result_locks
    assert class_page.class_page_links in courses_extensions.class_page_links
    assert records.CERTIFICATES in trainees_extensions.record_sources
    assert certificates_api.ROUTE in extensions.api_routers
    assert len(trainees_extensions.activation_code_issuers) == 2
    assert len(extensions.scope_resolvers) == 2
    models = {rule.model._meta.label for rule in extensions.access_rules}
    assert {
        "trainees.Trainee",
        "bases.TrainingInstitution",
        "courses.TrainingClass",
        "certificates.Certificate",
        "reference.Occupation",
    } <= models
