"""The log gate of tests/conftest.py (``_no_id_number_in_logs``) sees what code logs,
before any handler's filter, on propagating loggers and on those that do not."""

import logging

from tests import conftest
from tests.factories import make_id_number


def test_it_finds_full_id_numbers_by_their_check_digit():
    number = make_id_number("520102")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert conftest.full_id_numbers(f"身份证 {number}。") == [number]
    assert conftest.full_id_numbers(f"账号 {wrong}") == []  # an 18-digit account
    assert conftest.full_id_numbers(f"x{number}9") == []  # part of a longer number
    masked = number[:2] + "*" * 14 + number[-2:]
    assert conftest.full_id_numbers(masked) == []


def test_it_catches_a_record_before_the_console_filter_redacts_it():
    number = make_id_number("520302")
    gate = conftest._id_number_log_gate
    try:
        logging.getLogger("tests.security.probe").warning("imported %s", number)
        # ``django`` does not propagate: the gate sits on it too.
        logging.getLogger("django.gates_probe").error("path /x/%s/", number)
        assert len(gate.offenders) == 2
        assert all(number in line for line in gate.offenders)
        logging.getLogger("tests.security.probe").warning("masked %s", number[:2])
        assert len(gate.offenders) == 2
    finally:
        gate.offenders.clear()  # this test's records are the point, not a leak


def test_djangos_request_log_is_redacted_on_the_logger(caplog):
    """Django logs 404s with the path, which may hold a typed ID number: the settings
    put the redacting filter on the ``django.request`` logger itself."""
    number = make_id_number("520302")
    gate = conftest._id_number_log_gate
    try:
        logging.getLogger("django.request").warning("Not Found: /verify/%s/", number)
        assert gate.offenders == []
        assert number not in caplog.text
        assert f"{number[:2]}**************{number[-2:]}" in caplog.text
    finally:
        gate.offenders.clear()  # this test's records are the point, not a leak
