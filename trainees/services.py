"""State changes of trainee records."""

import datetime as dt
import hmac
import logging
import re
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from trainees import policies
from trainees.models import (
    ID_NUMBER_PURPOSE,
    ActivationCode,
    KeyGroupMembership,
    Trainee,
    id_number_fields,
    id_number_hash,
)
from training_platform import access, pii, ratelimit, sms, sql
from training_platform.audit.services import audit_record
from training_platform.reference.models import KeyGroup, Region
from training_platform.validators import (
    IdNumberInfo,
    normalize,
    normalize_mobile,
    parse_id_number,
)


@transaction.atomic
def trainee_create(
    *,
    name: str,
    id_number: str,
    phone: str = "",
    household_region: Region | None = None,
    residence_region: Region | None = None,
    education: str = "",
    user=None,
) -> Trainee:
    """Create a real-name record; one person, one record (refuses a known ID number)."""
    info = parse_id_number(id_number)
    if Trainee.objects.filter(id_number_hash=id_number_hash(info.number)).exists():
        raise ValidationError(
            {
                "id_number": ValidationError(
                    "该身份证号码已有学员档案。", code="duplicate"
                )
            }
        )
    trainee = Trainee(
        name=name.strip(),
        phone=normalize_mobile(phone) if phone else "",
        household_region=household_region,
        residence_region=residence_region,
        education=education,
        user=user,
        **id_number_fields(info),
    )
    trainee.full_clean(exclude=["id_number_hash"])
    trainee.save()
    return trainee


@dataclass(slots=True, kw_only=True)
class NewTrainee:
    """A person for ``trainee_create_many`` (personal data: holds the ID number)."""

    name: str
    id_number: IdNumberInfo
    id_hash: str = ""  # the number's blind index, if the caller has it already
    phone: str = ""  # normalised
    household_region: Region | None = None
    residence_region: Region | None = None
    education: str = ""
    key_groups: tuple[KeyGroup, ...] = ()


_TRAINEE_COLUMNS = (
    "name",
    "id_number",
    "id_number_hash",
    "birth_year",
    "sex",
    "phone",
    "household_region",
    "residence_region",
    "education",
)


# No savepoint: inside an import's transaction it would journal every page written.
@transaction.atomic(savepoint=False)
def trainee_create_many(
    *, people: Sequence[NewTrainee], since: dt.date | None = None
) -> list[int]:
    """Create many real-name records at once, with their key groups; their ids, in order.

    For importers, set-based (one INSERT and one read-back per ``sql.IN_BATCH``
    people): ``people`` are checked already (name, phone, education as stored) and
    were not on file when looked up by blind index. A record written by someone else
    in the meantime raises ``IntegrityError``; nothing is kept then. Key groups are
    held from ``since`` (today), open-ended.
    """
    since = since or timezone.localdate()
    trainees = sql.Insert(Trainee, _TRAINEE_COLUMNS)
    memberships = sql.Insert(
        KeyGroupMembership,
        ("trainee", "group"),
        values={"since": since},
        ignore_conflicts=True,
    )
    index = pii.blind_indexer(purpose=ID_NUMBER_PURPOSE)
    region_pk = attrgetter(Region._meta.pk.attname)
    group_pk = attrgetter(KeyGroup._meta.pk.attname)
    ids: list[int] = []
    with connection.cursor() as cursor:
        for batch in sql.chunks(people):
            ciphers = pii.encrypt_many(
                [p.id_number.number for p in batch], purpose=ID_NUMBER_PURPOSE
            )
            rows = []
            for person, cipher in zip(batch, ciphers, strict=True):
                info = person.id_number
                fields = id_number_fields(
                    info, id_hash=person.id_hash or index(info.number)
                )
                household = person.household_region
                residence = person.residence_region
                rows.append(
                    (
                        person.name,
                        cipher,
                        fields["id_number_hash"],
                        fields["birth_year"],
                        fields["sex"],
                        person.phone,
                        household if household is None else region_pk(household),
                        residence if residence is None else region_pk(residence),
                        person.education,
                    )
                )
            hashes = [row[2] for row in rows]
            trainees.run(cursor, rows)
            found = sql.ids_by(Trainee, "id_number_hash", hashes)
            batch_ids = [found[h] for h in hashes]
            memberships.run(
                cursor,
                [
                    (pk, group_pk(group))
                    for pk, person in zip(batch_ids, batch, strict=True)
                    for group in person.key_groups
                ],
            )
            ids.extend(batch_ids)
    return ids


# No savepoint: inside an import's transaction it would journal every page written.
@transaction.atomic(savepoint=False)
def key_group_memberships_add_many(
    *, memberships: Iterable[tuple[int, str]], since: dt.date | None = None
) -> None:
    """Record ``(trainee id, key group id)`` pairs from ``since`` (today), open-ended.

    Set-based (one look-up and one INSERT per ``sql.IN_BATCH`` pairs). A group the
    person holds on ``since`` (open-ended, or ending that day or later) stays as it is.
    """
    since = since or timezone.localdate()
    wanted = list(dict.fromkeys(memberships))
    insert = sql.Insert(
        KeyGroupMembership,
        ("trainee", "group"),
        values={"since": since},
        # No conflict is expected (held groups are left out); one written by someone
        # else in the meantime is the same fact, so it is kept as it is.
        ignore_conflicts=True,
    )
    until = sql.column(KeyGroupMembership, "until")
    day = KeyGroupMembership._meta.get_field("until").get_db_prep_save(
        since, connection
    )
    with connection.cursor() as cursor:
        for batch in sql.chunks(wanted):
            held = set(
                sql.select_in(
                    KeyGroupMembership,
                    ("trainee", "group"),
                    "trainee",
                    list({pk for pk, _group in batch}),
                    where=f"{until} IS NULL OR {until} >= %s",
                    params=(day,),
                )
            )
            insert.run(cursor, [pair for pair in batch if pair not in held])


REVEALABLE_FIELDS = {"id_number": "身份证号码", "bank_account": "银行账号"}


def trainee_reveal_pii(*, actor, trainee: Trainee, field: str, request=None) -> str:
    """Return the full value of a personal-data field, after checking and logging it."""
    if field not in REVEALABLE_FIELDS:
        raise ValueError(field)
    if not actor.has_perm("trainees.reveal_pii") or not access.can_view(actor, trainee):
        raise PermissionDenied("没有查看完整个人信息的权限。")
    audit_record(
        actor=actor,
        action="pii.reveal",
        obj=trainee,
        after={"field": field},
        request=request,
    )
    return getattr(trainee, field)


# --- real-name sign-up (实名注册) -------------------------------------------------------
#
# Two steps for everyone, so the answer never tells whether a username or an ID number
# is on file:
#
# 1. ``trainee_signup_start`` checks only the *form* of what was typed and returns a
#    pending sign-up (kept in the session by the view). It sends a one-time code by
#    SMS: to the phone typed, for a person not on file; to the phone ON FILE, for a
#    record an institution or the bureau created that has no account yet and carries
#    the name typed. Otherwise (wrong name, record already has an account) it sends
#    nothing. The page that follows is the same in every case.
# 2. ``trainee_signup_verify`` takes that SMS code, or an activation code staff issued
#    for the record (``activation_code_issue``). A wrong code, an expired one, a record
#    that does not match: all the same message. Attempts are limited. Only with proof
#    is an account created (and only then may a taken username be mentioned) and a
#    record linked; the phone on file is never changed by sign-up.

NAME_MAX_LENGTH = Trainee._meta.get_field("name").max_length
_SPACES = re.compile(r"\s+")

CODE_INVALID = "验证码或激活码不正确，或已过期。请核对后重新输入，或返回重新注册。"
TOO_MANY_ATTEMPTS = "验证码输入错误次数过多，请重新填写注册信息获取新的验证码。"
SIGNUP_EXPIRED = "注册信息已过期，请重新填写。"
USERNAME_TAKEN = "用户名“%(username)s”已被使用，请换一个用户名后重新注册。"

PENDING_PURPOSE = "trainee.signup_pending"
SMS_CODE_PURPOSE = "trainee.signup_sms_code"
ACTIVATION_CODE_PURPOSE = "trainee.activation_code"
# No 0/O, 1/I/L: read aloud and typed from paper.
ACTIVATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACTIVATION_CODE_LENGTH = 10

logger = logging.getLogger(__name__)


def _bare_name(name: str) -> str:
    """A name as compared: every kind of space removed (``张 三`` is ``张三``)."""
    return _SPACES.sub("", name or "")


def _clean_person(
    *, name: str, id_number: str, phone: str
) -> tuple[str, IdNumberInfo | None, str, dict]:
    """Normalise name, ID number and phone; return them with any errors by field."""
    errors: dict[str, list] = {}
    bare = _bare_name(name)
    if not bare:
        errors["name"] = [ValidationError("请填写姓名。", code="required")]
    elif len(bare) > NAME_MAX_LENGTH:
        errors["name"] = [
            ValidationError(
                "姓名最多%(n)d个字。", code="name_length", params={"n": NAME_MAX_LENGTH}
            )
        ]
    info = None
    try:
        info = parse_id_number(id_number)
    except ValidationError as exc:
        errors["id_number"] = exc.error_list
    try:
        phone = normalize_mobile(phone)
    except ValidationError as exc:
        errors["phone"] = exc.error_list
    return bare, info, phone, errors


def normalize_code(code: str) -> str:
    """A typed code as compared: full-width folded, spaces and dashes dropped, upper case."""
    return normalize(code).replace("-", "")[:40]


def _sms_code_hash(pending_id: str, code: str) -> str:
    return pii.blind_index(f"{pending_id}:{code}", purpose=SMS_CODE_PURPOSE)


def activation_code_hash(code: str) -> str:
    return pii.blind_index(normalize_code(code), purpose=ACTIVATION_CODE_PURPOSE)


def _send_code(*, phone: str, code: str, claiming: bool) -> None:
    """Send the code by SMS, at most SMS_PER_PHONE_RATE per phone; failures are swallowed
    (the answer to the visitor must not depend on them) and logged without the code."""
    phone_key = pii.blind_index(phone, purpose="trainee.signup_sms_phone")
    if ratelimit.check(
        "signup-sms", phone_key, settings.TRAINEE_SIGNUP_SMS_PER_PHONE_RATE
    ):
        logger.warning("Sign-up SMS not sent: too many codes to one phone recently.")
        return
    purpose = "认领您的培训档案" if claiming else "完成实名注册"
    body = (
        f"【黔技通】验证码 {code}，用于{purpose}，"
        f"{settings.TRAINEE_SIGNUP_CODE_MINUTES}分钟内有效。"
        "请勿告诉他人；如非本人操作，请忽略本短信。"
    )
    try:
        sms.send_sms(phone, body)
    except Exception as exc:
        # Not logger.exception: a gateway's error text may quote the message.
        logger.error("Sign-up SMS could not be sent (%s).", type(exc).__name__)


@sensitive_variables("password", "id_number", "info", "code")
def trainee_signup_start(
    *,
    name: str,
    id_number: str,
    phone: str,
    username: str = "",
    password: str = "",
    user=None,
    next_url: str = "",
) -> dict:
    """Check the form of a sign-up, send the one-time code, return the pending sign-up.

    With ``user`` (a signed-in account without a record) no username or password is
    asked. Raises ``ValidationError`` only for what the visitor typed, never for what is
    on file.
    """
    name, info, phone, errors = _clean_person(
        name=name, id_number=id_number, phone=phone
    )
    password_hash = ""
    if user is None:
        user_model = get_user_model()
        username = (username or "").strip() or (phone if "phone" not in errors else "")
        candidate = user_model(username=username)
        if not username:
            if "phone" not in errors:
                errors["username"] = [
                    ValidationError("请填写用户名。", code="required")
                ]
        else:
            # The form of the username only: whether it is taken is told after proof.
            try:
                candidate.clean_fields(exclude=["password"])
            except ValidationError as exc:
                errors.update(exc.error_dict)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            errors["password"] = exc.error_list
        password_hash = make_password(password)
    elif Trainee.objects.filter(user=user).exists():
        raise ValidationError("该账号已完成实名登记。", code="already_linked")
    if errors:
        raise ValidationError(errors)

    pending_id = secrets.token_urlsafe(18)
    existing = (
        Trainee.objects.filter(id_number_hash=id_number_hash(info.number))
        .only("pk", "name", "phone", "user_id")
        .first()
    )
    code = f"{secrets.randbelow(10**6):06d}"
    record_id = None
    if existing is None:
        _send_code(phone=phone, code=code, claiming=False)
    elif (
        existing.user_id is None
        and _bare_name(existing.name) == name
        and existing.phone
    ):
        record_id = existing.pk
        _send_code(phone=existing.phone, code=code, claiming=True)
    return {
        "id": pending_id,
        "name": name,
        "id_number": pii.encrypt(info.number, purpose=PENDING_PURPOSE),
        "phone": phone,
        "username": username if user is None else "",
        "password": password_hash,
        "user_id": user.pk if user is not None else None,
        "record_id": record_id,
        "code_hash": _sms_code_hash(pending_id, code),
        "expires": time.time() + settings.TRAINEE_SIGNUP_CODE_MINUTES * 60,
        "next": next_url,
    }


def _count_attempt(pending_id: str) -> int:
    """Count a code check for this pending sign-up (atomic in the shared cache)."""
    key = f"signup-attempts:{pending_id}"
    timeout = settings.TRAINEE_SIGNUP_CODE_MINUTES * 60 + 60
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, timeout=timeout)
        return 1


def _matching_activation_code(trainee: Trainee, code: str) -> "ActivationCode | None":
    """The person's open activation code equal to ``code`` (compared in constant time)."""
    wanted = activation_code_hash(code)
    found = None
    for candidate in ActivationCode.objects.select_for_update().filter(
        trainee=trainee, used_at__isnull=True, expires_at__gt=timezone.now()
    ):
        if hmac.compare_digest(candidate.code_hash, wanted):
            found = candidate
    return found


@transaction.atomic
@sensitive_variables("pending", "code", "number")
def trainee_signup_verify(
    *, pending: dict, code: str, user=None, request=None
) -> Trainee:
    """Finish a sign-up with the SMS code or an activation code; return the record.

    Every failure to prove control of the record is the same ``CODE_INVALID``.
    """
    if (pending.get("user_id") or None) != (user.pk if user is not None else None):
        raise ValidationError(SIGNUP_EXPIRED, code="expired")
    if _count_attempt(pending["id"]) > settings.TRAINEE_SIGNUP_CODE_ATTEMPTS:
        raise ValidationError(TOO_MANY_ATTEMPTS, code="too_many_attempts")
    typed = normalize_code(code)
    number = pii.decrypt(pending["id_number"], purpose=PENDING_PURPOSE)
    name = pending["name"]
    existing = (
        Trainee.objects.select_for_update()
        .filter(id_number_hash=id_number_hash(number))
        .first()
    )
    claimable = (
        existing is not None
        and existing.user_id is None
        and _bare_name(existing.name) == name
    )
    fresh = time.time() <= pending["expires"]
    sms_ok = fresh and hmac.compare_digest(
        _sms_code_hash(pending["id"], typed), pending["code_hash"]
    )
    # The SMS code proves what it was sent for: a new person (still not on file), or
    # the very record whose phone received it (still claimable).
    if existing is None:
        sms_target_holds = pending["record_id"] is None
    else:
        sms_target_holds = claimable and existing.pk == pending["record_id"]
    method = "sms" if sms_ok and sms_target_holds else None
    activation = _matching_activation_code(existing, typed) if claimable else None
    if method is None and activation is not None and fresh:
        method = "activation_code"
    if method is None:
        raise ValidationError(CODE_INVALID, code="code_invalid")

    if user is None:
        user = _create_account(pending)
    if existing is None:
        try:
            with transaction.atomic():
                trainee = trainee_create(
                    name=name, id_number=number, phone=pending["phone"], user=user
                )
        except (IntegrityError, ValidationError):
            # The same ID number registered by someone else in the same instant.
            raise ValidationError(CODE_INVALID, code="code_invalid") from None
        audit_record(
            actor=user,
            action="trainee.signup",
            obj=trainee,
            after={"user": user.pk, "linked_existing": False},
            request=request,
        )
        return trainee

    now = timezone.now()
    if method == "activation_code":
        used = ActivationCode.objects.filter(
            pk=activation.pk, used_at__isnull=True
        ).update(used_at=now)
        if not used:
            raise ValidationError(CODE_INVALID, code="code_invalid")
    trainee = existing
    trainee.user = user
    trainee.claimed_at = now
    # The phone on file stays: it is what proved the person, and changing it is the
    # institution's (or the person's, signed in) business.
    trainee.save(update_fields=["user", "claimed_at", "updated_at"])
    audit_record(
        actor=user,
        action="trainee.claim",
        obj=trainee,
        after={"user": user.pk, "method": method, "linked_existing": True},
        request=request,
    )
    return trainee


def _create_account(pending: dict):
    """The account of a proven sign-up; a taken username is told only now."""
    user_model = get_user_model()
    username = pending["username"]
    taken = ValidationError(
        {
            "username": ValidationError(
                USERNAME_TAKEN, code="username_taken", params={"username": username}
            )
        }
    )
    if user_model.objects.filter(username__iexact=username).exists():
        raise taken
    user = user_model(username=username, password=pending["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise taken from None
    return user


# --- activation codes (staff hand them to a person on file) ------------------------------


def _new_activation_code() -> str:
    raw = "".join(
        secrets.choice(ACTIVATION_ALPHABET) for _ in range(ACTIVATION_CODE_LENGTH)
    )
    half = ACTIVATION_CODE_LENGTH // 2
    return f"{raw[:half]}-{raw[half:]}"


@transaction.atomic
@sensitive_variables("code")
def activation_code_issue(
    *, actor, trainee: Trainee, request=None
) -> tuple[ActivationCode, str]:
    """Issue a one-time activation code for a record without an account; return it and
    the code in clear (shown once, stored only as a keyed hash). Earlier unused codes
    of the person stop working."""
    if not policies.activation_code_issuable(actor).filter(pk=trainee.pk).exists():
        raise PermissionDenied("没有为该学员生成激活码的权限。")
    trainee = Trainee.objects.select_for_update().get(pk=trainee.pk)
    if trainee.user_id is not None:
        raise ValidationError(
            "该学员已开通账号，无需激活码。", code="already_has_account"
        )
    now = timezone.now()
    ActivationCode.objects.filter(
        trainee=trainee, used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    code = _new_activation_code()
    activation = ActivationCode(
        trainee=trainee,
        code_hash=activation_code_hash(code),
        created_by=actor,
        expires_at=now + dt.timedelta(days=settings.TRAINEE_ACTIVATION_CODE_DAYS),
    )
    activation.full_clean()
    activation.save()
    audit_record(
        actor=actor,
        action="trainee.activation_code_issue",
        obj=trainee,
        after={
            "activation_code": activation.pk,
            "expires_at": activation.expires_at.isoformat(),
        },
        request=request,
    )
    return activation, code
