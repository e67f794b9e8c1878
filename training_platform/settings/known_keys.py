"""Keys committed to the repository for development and tests.

dev.py and test.py use them; production.py refuses every one of them (they are public).
"""

DEV_SECRET_KEY = "dev-only-insecure-key-not-for-production-0123456789"  # noqa: S105
TEST_SECRET_KEY = "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105

DEV_PII_KEY = b"dev-only-pii-key-32-bytes-long!!"
DEV_BLIND_INDEX_KEY = b"dev-only-blind-index-key"
DEV_SIGNING_SEED = b"dev-only-cert-signing-seed-32by!"

TEST_PII_KEYS = (
    b"test-pii-key-one-32-bytes-long!!",
    b"test-pii-key-two-32-bytes-long!!",
)
TEST_BLIND_INDEX_KEY = b"test-blind-index-key"
TEST_SIGNING_SEEDS = (
    b"test-cert-signing-seed-one-32by!",
    b"test-cert-signing-seed-two-32by!",
)

SECRET_KEYS = frozenset({DEV_SECRET_KEY, TEST_SECRET_KEY})
BYTE_KEYS = frozenset(
    {
        DEV_PII_KEY,
        DEV_BLIND_INDEX_KEY,
        DEV_SIGNING_SEED,
        TEST_BLIND_INDEX_KEY,
        *TEST_PII_KEYS,
        *TEST_SIGNING_SEEDS,
    }
)
