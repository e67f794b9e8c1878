"""Encryption at rest, blind index and masking of personal data."""

import base64
import hashlib
import hmac
import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.factories import TraineeFactory
from trainees.models import Trainee
from training_platform import pii
from training_platform.pii import (
    DecryptionError,
    EncryptedTextField,
    blind_index,
    decrypt,
    encrypt,
    key_id_of,
    mask_account,
    mask_id_number,
    mask_name,
    mask_phone,
)

ID_NUMBER = "52010219900101123X"
PURPOSE = "trainee.id_number"


def _tamper(stored: str, index: int) -> str:
    """Flip one bit of byte ``index`` of the sealed payload, keep the key id."""
    kid, _sep, body = stored.partition(":")
    raw = bytearray(base64.b64decode(body))
    raw[index] ^= 0x01
    return f"{kid}:{base64.b64encode(bytes(raw)).decode()}"


# --- encrypt / decrypt -----------------------------------------------------------------


@pytest.mark.parametrize("plain", [ID_NUMBER, "6222021234567890123", "张三", "x" * 500])
def test_round_trip(plain):
    assert decrypt(encrypt(plain, purpose=PURPOSE), purpose=PURPOSE) == plain


def test_stored_form_names_the_active_key_and_hides_the_value():
    stored = encrypt(ID_NUMBER, purpose=PURPOSE)
    assert stored.startswith("t2:")
    assert key_id_of(stored) == "t2"
    assert ID_NUMBER not in stored
    assert ID_NUMBER[:17] not in stored
    raw = base64.b64decode(stored.partition(":")[2], validate=True)
    # 12-byte nonce + ciphertext of the same length as the value + 16-byte tag.
    assert len(raw) == pii.NONCE_BYTES + len(ID_NUMBER) + 16
    assert ID_NUMBER.encode() not in raw


def test_same_value_encrypts_differently_each_time():
    stored = {encrypt(ID_NUMBER, purpose=PURPOSE) for _ in range(20)}
    assert len(stored) == 20
    nonces = {base64.b64decode(s[3:])[: pii.NONCE_BYTES] for s in stored}
    assert len(nonces) == 20
    assert {decrypt(s, purpose=PURPOSE) for s in stored} == {ID_NUMBER}


@pytest.mark.parametrize("index", [0, 11, 12, 20, -1])  # nonce, body, tag
def test_one_byte_tamper_is_detected(index):
    stored = encrypt(ID_NUMBER, purpose=PURPOSE)
    with pytest.raises(DecryptionError):
        decrypt(_tamper(stored, index), purpose=PURPOSE)


def test_every_single_byte_tamper_is_detected():
    stored = encrypt(ID_NUMBER, purpose=PURPOSE)
    size = len(base64.b64decode(stored[3:]))
    for index in range(size):
        with pytest.raises(DecryptionError):
            decrypt(_tamper(stored, index), purpose=PURPOSE)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-4],  # truncated
        lambda s: (
            "t2:" + base64.b64encode(base64.b64decode(s[3:]) + b"\x00").decode()
        ),  # extended
        lambda s: "t2:A",  # not base64
        lambda s: "t2:",  # empty body
        lambda s: s.partition(":")[2],  # key id dropped
    ],
)
def test_malformed_stored_values_are_refused(mangle):
    with pytest.raises(DecryptionError):
        decrypt(mangle(encrypt(ID_NUMBER, purpose=PURPOSE)), purpose=PURPOSE)


def test_wrong_purpose_is_refused():
    stored = encrypt(ID_NUMBER, purpose="trainee.id_number")
    with pytest.raises(DecryptionError):
        decrypt(stored, purpose="trainee.bank_account")
    with pytest.raises(DecryptionError):
        decrypt(stored, purpose="")


def test_unknown_key_id_is_refused():
    stored = encrypt(ID_NUMBER, purpose=PURPOSE)
    with pytest.raises(DecryptionError, match="unknown PII key id 't9'"):
        decrypt("t9" + stored[2:], purpose=PURPOSE)


def test_value_sealed_under_one_key_does_not_open_under_another():
    stored = encrypt(ID_NUMBER, purpose=PURPOSE)
    with pytest.raises(DecryptionError):
        decrypt("t1" + stored[2:], purpose=PURPOSE)


# --- key rotation ----------------------------------------------------------------------


def test_old_key_values_stay_readable_until_the_key_leaves_the_ring(settings):
    settings.PII_ACTIVE_KEY_ID = "t1"
    old = encrypt(ID_NUMBER, purpose=PURPOSE)
    assert old.startswith("t1:")

    settings.PII_ACTIVE_KEY_ID = "t2"
    new = encrypt(ID_NUMBER, purpose=PURPOSE)
    assert new.startswith("t2:")
    assert decrypt(old, purpose=PURPOSE) == ID_NUMBER
    assert decrypt(new, purpose=PURPOSE) == ID_NUMBER

    settings.PII_ENCRYPTION_KEYS = {"t2": settings.PII_ENCRYPTION_KEYS["t2"]}
    with pytest.raises(DecryptionError):
        decrypt(old, purpose=PURPOSE)
    assert decrypt(new, purpose=PURPOSE) == ID_NUMBER


@pytest.mark.parametrize(
    "keys, active",
    [
        ({}, "t2"),
        ({"t1": b"k" * 32}, "t2"),  # the active key is missing
        ({"t2": b"short"}, "t2"),  # not an AES-256 key
        ({"t1": b"k" * 16, "t2": b"k" * 32}, "t2"),  # every key is checked
    ],
)
def test_misconfigured_key_ring_is_refused(settings, keys, active):
    settings.PII_ENCRYPTION_KEYS = keys
    settings.PII_ACTIVE_KEY_ID = active
    with pytest.raises(ImproperlyConfigured):
        encrypt(ID_NUMBER, purpose=PURPOSE)


# --- blind index -----------------------------------------------------------------------


def test_blind_index_is_deterministic_keyed_and_hex(settings):
    digest = blind_index(ID_NUMBER, purpose=PURPOSE)
    assert digest == blind_index(ID_NUMBER, purpose=PURPOSE)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    expected = hmac.new(
        settings.PII_BLIND_INDEX_KEY,
        f"{PURPOSE}\x00{ID_NUMBER}".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert digest == expected
    # Not a plain hash that anyone can recompute over the small space of ID numbers.
    assert digest != hashlib.sha256(ID_NUMBER.encode()).hexdigest()
    assert ID_NUMBER not in digest


def test_blind_index_differs_per_value_and_purpose():
    digest = blind_index(ID_NUMBER, purpose=PURPOSE)
    assert digest != blind_index(ID_NUMBER, purpose="trainee.bank_account")
    assert digest != blind_index("11010519491231002X", purpose=PURPOSE)


def test_blind_index_differs_per_key(settings):
    digest = blind_index(ID_NUMBER, purpose=PURPOSE)
    settings.PII_BLIND_INDEX_KEY = b"another-blind-index-key"
    other = blind_index(ID_NUMBER, purpose=PURPOSE)
    assert other != digest
    assert other == blind_index(ID_NUMBER, purpose=PURPOSE)


def test_blind_index_needs_a_key(settings):
    settings.PII_BLIND_INDEX_KEY = b""
    with pytest.raises(ImproperlyConfigured):
        blind_index(ID_NUMBER, purpose=PURPOSE)


# --- the model field -------------------------------------------------------------------


def test_field_encrypts_on_the_way_in_and_decrypts_on_the_way_out():
    field = Trainee._meta.get_field("id_number")
    assert isinstance(field, EncryptedTextField)
    assert field.purpose == PURPOSE
    stored = field.get_prep_value(ID_NUMBER)
    assert stored.startswith("t2:")
    assert ID_NUMBER not in stored
    assert field.from_db_value(stored, None, None) == ID_NUMBER
    # The purpose is bound: another column's ciphertext does not open here.
    bank = Trainee._meta.get_field("bank_account")
    with pytest.raises(DecryptionError):
        bank.from_db_value(stored, None, None)


@pytest.mark.parametrize("empty", [None, ""])
def test_field_leaves_empty_values_alone(empty):
    field = Trainee._meta.get_field("bank_account")
    assert field.get_prep_value(empty) == empty
    assert field.from_db_value(empty, None, None) == empty


def test_field_deconstructs_with_its_purpose():
    _name, path, _args, kwargs = Trainee._meta.get_field("id_number").deconstruct()
    assert path == "training_platform.pii.EncryptedTextField"
    assert kwargs["purpose"] == PURPOSE
    clone = EncryptedTextField(**kwargs)
    assert clone.purpose == PURPOSE


@pytest.mark.parametrize(
    "lookup",
    [
        {"id_number": ID_NUMBER},
        {"id_number__exact": ID_NUMBER},
        {"id_number__iexact": ID_NUMBER},
        {"id_number__in": [ID_NUMBER]},
        {"id_number__startswith": "5201"},
        {"id_number__contains": "1990"},
        {"bank_account": "6222021234567890123"},
        {"bank_account__endswith": "0123"},
    ],
)
def test_encrypted_field_refuses_filtering(lookup):
    with pytest.raises(TypeError, match="encrypted"):
        Trainee.objects.filter(**lookup)
    with pytest.raises(TypeError, match="encrypted"):
        Trainee.objects.exclude(**lookup)


@pytest.mark.django_db
def test_encrypted_field_allows_isnull(reference):
    TraineeFactory()
    assert Trainee.objects.filter(id_number__isnull=True).count() == 0
    assert Trainee.objects.filter(id_number__isnull=False).count() == 1
    assert Trainee.objects.exclude(bank_account__isnull=True).count() == 1


# --- masking ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, masked",
    [
        ("52010219900101123X", "52**************3X"),
        ("520102199001011234", "52**************34"),
        ("11010519491231002X", "11**************2X"),
        ("110105491231002", "11***********02"),
        ("123456789", "12*****89"),
        ("12345678", "********"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(number, masked):
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(
    "name, masked",
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("李", "李*"),
        ("阿依古丽·买买提", "阿*******"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    "phone, masked",
    [
        ("13812345678", "138****5678"),
        ("08518555123", "085****5123"),
        ("1234567", "*******"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    "account",
    ["6222021234567890123", "6222021234567890", "62220212345678901", "123456789012"],
)
def test_mask_account_shows_only_the_last_four(account):
    masked = mask_account(account)
    assert masked == "*" * (len(account) - 4) + account[-4:]
    assert set(masked[:-4]) == {"*"}
    assert account[:-4] not in masked


@pytest.mark.parametrize(
    "account, masked",
    [("12345", "****2345"), ("1234", "****1234"), ("", ""), (None, "")],
)
def test_mask_account_of_short_values_still_hides_their_length(account, masked):
    assert mask_account(account) == masked


@pytest.mark.django_db
def test_trainee_masked_properties(reference):
    trainee = TraineeFactory(name="欧阳娜娜", id_number=ID_NUMBER, phone="13812345678")
    trainee.bank_account = "6222021234567890123"
    assert trainee.masked_name == "欧***"
    assert trainee.masked_id_number == "52**************3X"
    assert trainee.masked_phone == "138****5678"
    assert trainee.masked_bank_account == "*" * 15 + "0123"


def test_encrypt_many_is_encrypt_for_each_value():
    values = [ID_NUMBER, "11010519491231002X", ID_NUMBER]
    sealed = pii.encrypt_many(values, purpose=PURPOSE)
    assert [decrypt(s, purpose=PURPOSE) for s in sealed] == values
    assert all(key_id_of(s) == key_id_of(encrypt("x", purpose=PURPOSE)) for s in sealed)
    assert len(set(sealed)) == 3  # a fresh nonce each, equal values too
    nonces = {base64.b64decode(s.partition(":")[2])[: pii.NONCE_BYTES] for s in sealed}
    assert len(nonces) == 3
    with pytest.raises(DecryptionError):
        decrypt(sealed[0], purpose="trainee.bank_account")
    assert pii.encrypt_many([], purpose=PURPOSE) == []


def test_blind_indexer_is_blind_index():
    index = pii.blind_indexer(purpose=PURPOSE)
    for value in (ID_NUMBER, "", "张三"):
        assert index(value) == blind_index(value, purpose=PURPOSE)
    assert index(ID_NUMBER) != pii.blind_indexer(purpose="other")(ID_NUMBER)
