"""What higher apps plug into bases (see ``training_platform/extensions.py``)."""

from training_platform.extensions import ExtensionPoint

#: Honours a person earned on the platform (贵州省技术能手 from a competition), shown
#: with a studio master's declared honours. ``fn(trainee_ids) -> {trainee_id:
#: [bases.honours.EarnedHonour(name, year, document_no, source)]}``, one query per
#: provider whatever the number of people.
earned_honours = ExtensionPoint(
    "bases.earned_honours", "fn(trainee_ids) -> {trainee_id: [EarnedHonour]}"
)
