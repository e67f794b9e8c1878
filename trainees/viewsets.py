"""Back-office screens for trainee records: masked by default, revealed by permission."""

import django_filters
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column

from trainees.forms import TraineeCreateForm, TraineeEditForm
from trainees.models import Education, Sex, Trainee, id_number_hash
from training_platform.filters import RegionFilter
from training_platform.reference.models import KeyGroup
from training_platform.validators import ValidationError, normalize, parse_id_number
from training_platform.viewsets import (
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelViewSet,
)


class TraineeFilterSet(WagtailFilterSet):
    region = RegionFilter(
        label="户籍地或常住地",
        field_names=("household_region__code", "residence_region__code"),
    )
    sex = django_filters.ChoiceFilter(label="性别", choices=Sex.choices)
    education = django_filters.ChoiceFilter(label="文化程度", choices=Education.choices)
    key_group = django_filters.ModelChoiceFilter(
        label="重点群体",
        field_name="key_group_memberships__group",
        queryset=KeyGroup.objects.all(),
        distinct=True,
    )

    class Meta:
        model = Trainee
        fields = []


class TraineeIndexView(ScopedIndexView):
    def search_queryset(self, queryset):
        """An ID number is found through its blind index; anything else by name or phone."""
        if not self.is_searching:
            return queryset
        text = normalize(self.search_query)
        if len(text) == 18:
            try:
                number = parse_id_number(text).number
            except ValidationError:
                return queryset.none()
            return queryset.filter(id_number_hash=id_number_hash(number))
        if text.isdigit():
            return queryset.filter(phone__contains=text)
        return queryset.filter(name__contains=text)


class TraineeInspectView(ScopedInspectView):
    template_name = "trainees/admin/trainee_inspect.html"
    # Only what cannot rebuild the ID number with its mask: the birth year and age
    # band, never the birth date or region of issue (tests/trainees/test_id_reconstruction.py).
    FIELD_LABELS = {
        "masked_id_number": "身份证号码",
        "age_band": "年龄段",
        "masked_phone": "手机号码",
        "masked_bank_account": "银行账号",
    }

    def get_field_label(self, field_name, field):
        if field_name in self.FIELD_LABELS:
            return self.FIELD_LABELS[field_name]
        return super().get_field_label(field_name, field)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_reveal"] = self.request.user.has_perm("trainees.reveal_pii")
        context["key_groups"] = self.object.key_group_memberships.select_related(
            "group"
        )
        return context


class TraineeViewSet(ScopedModelViewSet):
    model = Trainee
    icon = "user"
    menu_label = "学员档案"
    menu_order = 220
    add_to_admin_menu = True
    index_view_class = TraineeIndexView
    inspect_view_class = TraineeInspectView
    filterset_class = TraineeFilterSet
    search_fields = ["name"]  # see TraineeIndexView.search_queryset
    list_display = [
        "name",
        Column("masked_id_number", label="身份证号码"),
        "sex",
        "birth_year",
        "household_region",
        Column("masked_phone", label="手机号码"),
    ]
    list_select_related = ["household_region"]
    list_export = [
        "name",
        "masked_id_number",
        "sex",
        "birth_year",
        "household_region",
        "masked_phone",
        "education",
    ]
    # Only the masked forms: plain ID numbers and phones never leave in a file.
    export_headings = {
        "masked_id_number": "身份证号码",
        "masked_phone": "手机号码",
        "household_region": "户籍地",
    }
    export_filename = "学员档案"
    inspect_view_fields = [
        "name",
        "masked_id_number",
        "sex",
        "birth_year",
        "age_band",
        "masked_phone",
        "household_region",
        "residence_region",
        "education",
        "masked_bank_account",
        "created_at",
    ]

    def get_form_class(self, for_update=False):
        return TraineeEditForm if for_update else TraineeCreateForm
