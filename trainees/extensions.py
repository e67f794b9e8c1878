"""What higher apps plug into trainees (see ``training_platform/extensions.py``)."""

from training_platform.extensions import ExtensionPoint

#: ``trainees.records.RecordSource`` items: each higher app's part of the lifetime record,
#: shown in (order, name) order. A provider returns one person's entries with a fixed
#: number of queries however many entries there are.
record_sources = ExtensionPoint(
    "trainees.record_sources",
    "RecordSource(name, title, provider=fn(trainee) -> [RecordEntry], template, order)",
)

#: ``fn(scope) -> Q`` over ``Trainee``: whose records a user may hand an activation code
#: for (``policies.activation_code_issuable``); the rules are OR-ed.
activation_code_issuers = ExtensionPoint(
    "trainees.activation_code_issuers", "fn(scope) -> Q over Trainee"
)
