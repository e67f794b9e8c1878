import pytest
from django.core.cache import cache

from training_platform import sms


@pytest.fixture(autouse=True)
def _fresh_outbox_and_counters():
    """Each test sees only its own text messages, rate-limit and attempt counters."""
    sms.outbox.clear()
    cache.clear()
    yield
    sms.outbox.clear()
