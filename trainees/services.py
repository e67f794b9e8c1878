"""State changes of trainee records."""

import datetime as dt
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from trainees.models import (
    KeyGroupMembership,
    Trainee,
    id_number_fields,
    id_number_hash,
)
from training_platform import access
from training_platform.audit.services import audit_record
from training_platform.reference.models import KeyGroup, Region
from training_platform.validators import IdNumberInfo, normalize_mobile, parse_id_number


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


@transaction.atomic
def key_group_membership_add(
    *,
    trainee: Trainee,
    group: KeyGroup,
    since: dt.date,
    until: dt.date | None = None,
    evidence: str = "",
) -> KeyGroupMembership:
    """Record that a trainee belongs to a key group from ``since`` (repeat-safe)."""
    membership, _created = KeyGroupMembership.objects.get_or_create(
        trainee=trainee,
        group=group,
        since=since,
        defaults={"until": until, "evidence": evidence},
    )
    return membership


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

NAME_MAX_LENGTH = Trainee._meta.get_field("name").max_length
_SPACES = re.compile(r"\s+")

NAME_MISMATCH = (
    "姓名与身份证号码不匹配，请核对后重新填写；"
    "如确认无误，请携带身份证到培训机构或当地人社部门核实。"
)
ALREADY_REGISTERED = (
    "该身份证号码已注册，请直接登录；如忘记用户名或密码，请联系培训机构或当地人社部门。"
)


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


def _link_person(*, user, name: str, info: IdNumberInfo, phone: str) -> Trainee:
    """Give ``user`` the record of the person holding ``info`` (created if new).

    An existing record is taken only when it has no account yet and the name on it is
    the one typed; the refusal never tells what the name on file is.
    """
    existing = (
        Trainee.objects.select_for_update()
        .filter(id_number_hash=id_number_hash(info.number))
        .first()
    )
    if existing is None:
        try:
            trainee = trainee_create(
                name=name, id_number=info.number, phone=phone, user=user
            )
        except IntegrityError:
            # Someone registered the same ID number in the same instant.
            raise ValidationError(
                {
                    "id_number": ValidationError(
                        ALREADY_REGISTERED, code="already_registered"
                    )
                }
            ) from None
        linked_existing = False
    else:
        # The name is checked first, so the answer "already registered" goes only to
        # someone who knows both the name and the ID number.
        if _bare_name(existing.name) != name:
            raise ValidationError(NAME_MISMATCH, code="name_mismatch")
        if existing.user_id is not None:
            raise ValidationError(
                {
                    "id_number": ValidationError(
                        ALREADY_REGISTERED, code="already_registered"
                    )
                }
            )
        trainee = existing
        trainee.user = user
        # The number the person gives now is newer than a roster's.
        trainee.phone = phone
        trainee.save(update_fields=["user", "phone", "updated_at"])
        linked_existing = True
    audit_record(
        actor=user,
        action="trainee.signup",
        obj=trainee,
        after={"user": user.pk, "linked_existing": linked_existing},
    )
    return trainee


@transaction.atomic
@sensitive_variables("password", "id_number", "info")
def trainee_signup(
    *, name: str, id_number: str, phone: str, username: str, password: str
) -> Trainee:
    """Real-name sign-up: a new account linked to the person's one record.

    A person not yet on file gets a new record; a person an institution already
    registered (roster, staff) is linked to that record when the name matches. An empty
    ``username`` means the phone number is the username.
    """
    user_model = get_user_model()
    name, info, phone, errors = _clean_person(
        name=name, id_number=id_number, phone=phone
    )
    username = (username or "").strip() or (phone if "phone" not in errors else "")
    user = user_model(username=username)
    if not username:
        if "phone" not in errors:
            errors["username"] = [ValidationError("请填写用户名。", code="required")]
    elif user_model.objects.filter(username__iexact=username).exists():
        errors["username"] = [
            ValidationError(
                "用户名“%(username)s”已被使用，请换一个。",
                code="username_taken",
                params={"username": username},
            )
        ]
    else:
        try:
            user.clean_fields(exclude=["password"])
        except ValidationError as exc:
            errors.update(exc.error_dict)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = exc.error_list
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError(
            {
                "username": ValidationError(
                    "用户名“%(username)s”已被使用，请换一个。",
                    code="username_taken",
                    params={"username": username},
                )
            }
        ) from None
    return _link_person(user=user, name=name, info=info, phone=phone)


@transaction.atomic
@sensitive_variables("id_number", "info")
def trainee_link_user(*, user, name: str, id_number: str, phone: str) -> Trainee:
    """Real-name registration of an account that has none yet (same rules as sign-up)."""
    if Trainee.objects.filter(user=user).exists():
        raise ValidationError("该账号已完成实名登记。", code="already_linked")
    name, info, phone, errors = _clean_person(
        name=name, id_number=id_number, phone=phone
    )
    if errors:
        raise ValidationError(errors)
    return _link_person(user=user, name=name, info=info, phone=phone)
