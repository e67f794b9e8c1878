import pytest
from django.core.cache import cache

from monitoring.summary import REFRESH_QUEUED_KEY


@pytest.fixture(autouse=True)
def _no_refresh_queued():
    """Whether a summary refresh is queued lives in the cache: no test inherits it."""
    cache.delete(REFRESH_QUEUED_KEY)
    yield
    cache.delete(REFRESH_QUEUED_KEY)
