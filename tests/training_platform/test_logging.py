"""ID numbers and bank account numbers never reach a log line in full."""

import io
import logging

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from training_platform.logging import RedactPIIFilter, redact
from training_platform.validators import complete_id_number, id_check_char

ID_NUMBER = complete_id_number("52010219900101123")
ID_MASKED = ID_NUMBER[:2] + "*" * 14 + ID_NUMBER[-2:]
PUBLISHED_ID = "11010519491231002X"
ACCOUNTS = {
    16: "6222021234567890",
    17: "62220212345678901",
    18: "622202123456789012",
    19: "6222021234567890123",
}


@pytest.fixture
def pii_logger():
    """A logger carrying the filter, whose records are collected in a buffer."""
    logger = logging.getLogger("tests.redact_pii")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactPIIFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def _record(msg, *args, exc_info=None):
    return logging.LogRecord("tests", logging.INFO, __file__, 1, msg, args, exc_info)


def _filtered(msg, *args) -> str:
    record = _record(msg, *args)
    assert RedactPIIFilter().filter(record) is True  # never drops a record
    return record.getMessage()


def test_the_example_id_is_valid():
    assert ID_NUMBER.endswith(id_check_char(ID_NUMBER[:17]))
    assert "52**************" + ID_NUMBER[-2:] == ID_MASKED


def test_id_number_as_format_argument_is_masked(pii_logger):
    logger, stream = pii_logger
    logger.info("trainee %s created", ID_NUMBER)
    assert stream.getvalue() == f"INFO trainee {ID_MASKED} created\n"


def test_id_number_in_the_message_is_masked(pii_logger):
    logger, stream = pii_logger
    logger.warning("duplicate id_number=" + PUBLISHED_ID + "; skipped")
    assert (
        stream.getvalue() == "WARNING duplicate id_number=11**************2X; skipped\n"
    )


def test_id_number_in_mapping_arguments_is_masked(pii_logger):
    logger, stream = pii_logger
    logger.info("%(who)s: %(id)s", {"who": "张三", "id": PUBLISHED_ID})
    assert stream.getvalue() == "INFO 张三: 11**************2X\n"


def test_id_number_with_caplog(caplog):
    logger = logging.getLogger("tests.redact_pii.caplog")
    redactor = RedactPIIFilter()
    logger.addFilter(redactor)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("导入学员 %s（第%d行）", ID_NUMBER, 12)
    finally:
        logger.removeFilter(redactor)
    assert caplog.messages == [f"导入学员 {ID_MASKED}（第12行）"]
    assert ID_NUMBER not in caplog.text
    assert ID_NUMBER[:17] not in caplog.text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("身份证号11010519491231002X已登记", "身份证号11**************2X已登记"),
        ("id=11010519491231002x,", "id=11**************2x,"),  # lower-case x
        ("(11010519491231002X)", "(11**************2X)"),
        ("a 11010519491231002X b 11010519491231002X", None),
    ],
)
def test_id_number_is_masked_wherever_it_sits(text, expected):
    result = _filtered(text)
    if expected is not None:
        assert result == expected
    assert "19491231" not in result
    assert result.count("11**************2") == text.count("11010519491231002")


@pytest.mark.parametrize("length", sorted(ACCOUNTS))
def test_bank_account_shows_only_its_last_four(length):
    account = ACCOUNTS[length]
    assert len(account) == length
    result = _filtered("subsidy paid to %s", account)
    assert result == f"subsidy paid to ****{account[-4:]}"
    assert account[:4] not in result
    assert account[:-4] not in result


def test_eighteen_digit_account_is_not_mistaken_for_an_id_number():
    account = ACCOUNTS[18]
    assert id_check_char(account[:17]) != account[17]  # not a valid ID number
    assert _filtered("账号：" + account) == "账号：****9012"


def test_id_number_with_wrong_check_digit_is_still_redacted():
    wrong = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
    result = _filtered("typo %s", wrong)
    assert result == f"typo ****{wrong[-4:]}"
    assert ID_NUMBER[:17] not in result
    assert ID_NUMBER[4:14] not in result


@pytest.mark.parametrize(
    "text",
    [
        "SMS sent to 13812345678",
        "13812345678,13912345678",
        "order 12345 took 250 ms",
        "class 2026-11-26 09:30:00 has 48 trainees",
        "amount 1234567.89 yuan",
        "client 192.168.100.200",
        "region 520102 occupation 6-31-01-03",
        "10 digits 1234567890 and 11 digits 12345678901",
        "credit code 91350100M000100Y43",
    ],
)
def test_phone_numbers_and_ordinary_numbers_are_left_alone(text):
    assert _filtered(text) == text
    assert redact(text) == text


def test_malformed_record_is_logged_without_its_arguments():
    record = _record("%s and %s", ID_NUMBER)  # one argument short
    assert RedactPIIFilter().filter(record) is True
    assert record.args is None
    assert ID_NUMBER not in record.getMessage()


def test_exception_text_is_redacted(pii_logger):
    logger, stream = pii_logger
    try:
        int(ID_NUMBER)
    except ValueError:
        logger.exception("import failed for row %d", 3)
    output = stream.getvalue()
    assert "import failed for row 3" in output
    assert "Traceback" in output
    assert ID_MASKED in output
    assert ID_NUMBER not in output
    assert ID_NUMBER[:17] not in output


def test_logging_setting_attaches_the_filter_to_the_console_handler():
    config = settings.LOGGING
    filter_names = config["handlers"]["console"]["filters"]
    assert filter_names
    factories = [config["filters"][name]["()"] for name in filter_names]
    assert any(
        (import_string(f) if isinstance(f, str) else f) is RedactPIIFilter
        for f in factories
    )
    # The root logger and django's logger both write through that handler.
    assert "console" in config["root"]["handlers"]
    assert "console" in config["loggers"]["django"]["handlers"]


def test_configured_console_handler_redacts():
    console = next(h for h in logging.getLogger().handlers if h.name == "console")
    assert any(isinstance(f, RedactPIIFilter) for f in console.filters)
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        console.handle(_record("trainee %s, account %s", ID_NUMBER, ACCOUNTS[19]))
    finally:
        console.setStream(previous)
    output = stream.getvalue()
    assert ID_MASKED in output
    assert "****0123" in output
    assert ID_NUMBER not in output
    assert ACCOUNTS[19] not in output


def test_error_pages_mask_id_numbers_in_post_data_and_local_variables(rf):
    import sys

    from django.views.debug import ExceptionReporter

    # Built at run time: the report also quotes this file's source lines.
    number = "".join(["110105", "19491231", "002X"])
    request = rf.post("/signup/", {"id_number": number, "name": "张三"})

    def view(id_number):
        raise ValueError("bad input")

    try:
        view(number)
    except ValueError:
        exc_type, exc, tb = sys.exc_info()
    reporter = ExceptionReporter(request, exc_type, exc, tb)
    for report in (reporter.get_traceback_text(), reporter.get_traceback_html()):
        assert number not in report
        assert "11**************2X" in report
        assert "张三" in report  # ordinary values stay readable


# --- the other forms an ID number takes in a log line --------------------------------

FULL_WIDTH_ID = ID_NUMBER.translate(
    {ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}
)  # １２３… as typed with a Chinese input method
PERCENT_ID = "".join(f"%{ord(c):02X}" for c in ID_NUMBER)  # %35%32%30…


def _no_id_in(output: str):
    """Neither the number nor a recognisable stretch of it (birth date, first 17)."""
    assert ID_NUMBER not in output
    assert ID_NUMBER[:17] not in output
    assert ID_NUMBER[6:14] not in output
    assert FULL_WIDTH_ID[6:14] not in output
    assert PERCENT_ID[18:42] not in output  # the birth date, encoded


@pytest.mark.parametrize(
    "text",
    [
        f"身份证号{FULL_WIDTH_ID}已登记",
        f"GET /admin/trainees/?q={PERCENT_ID} HTTP/1.1",
        f"GET /admin/trainees/?q={PERCENT_ID.replace('%', '%25')} HTTP/1.1",  # twice
        "GET /admin/trainees/?q="
        + "".join(f"%{b:02X}" for b in FULL_WIDTH_ID.encode())
        + " HTTP/1.1",  # full-width, then encoded
        f"q={ID_NUMBER[:6]}%20{ID_NUMBER[6:14]}%20{ID_NUMBER[14:]}",
        f"id {ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]} given",
        f"id {ID_NUMBER[:6]}-{ID_NUMBER[6:14]}-{ID_NUMBER[14:]} given",
        f"q={ID_NUMBER[:6]}+{ID_NUMBER[6:14]}+{ID_NUMBER[14:]}",
        f"id {'　'.join([ID_NUMBER[:6], ID_NUMBER[6:14], ID_NUMBER[14:]])}",
    ],
)
def test_id_number_in_other_forms_is_masked(text):
    result = _filtered(text)
    _no_id_in(result)
    assert ID_MASKED in result


def test_percent_encoded_line_without_a_number_is_left_as_logged():
    line = "GET /admin/trainees/?q=%E5%BC%A0%E4%B8%89&page=2 HTTP/1.1"
    assert _filtered(line) == line
    assert _filtered("进度 100%，共 12 行") == "进度 100%，共 12 行"


def test_full_width_account_number_is_masked():
    account = ACCOUNTS[19].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    result = _filtered("账号：" + account)
    assert result.endswith("****0123")  # the line is shown made plain (NFKC)
    assert ACCOUNTS[19][:-4] not in result


def test_decoding_never_adds_a_line_break():
    result = _filtered(f"q={PERCENT_ID}%0D%0Aforged line")
    assert "\n" not in result and "\r" not in result
    _no_id_in(result)


def test_runserver_request_line_goes_through_the_filter():
    """django.server logs each request line; it reaches the console only redacted."""
    console = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        # The call django.core.servers.basehttp.WSGIRequestHandler.log_message makes.
        logging.getLogger("django.server").info(
            '"%s" %s %s', f"GET /admin/trainees/?q={PERCENT_ID} HTTP/1.1", "200", "5"
        )
        logging.getLogger("django.server").warning(
            '"%s" %s %s', f"GET /verify/{FULL_WIDTH_ID}/ HTTP/1.1", "404", "5"
        )
    finally:
        console.setStream(previous)
    output = stream.getvalue()
    assert output.count(ID_MASKED) == 2
    _no_id_in(output)
