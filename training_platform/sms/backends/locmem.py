"""Tests: keep messages in ``training_platform.sms.outbox``."""

from training_platform import sms
from training_platform.sms.backends.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def send_messages(self, messages) -> int:
        messages = list(messages)
        sms.outbox.extend(messages)
        return len(messages)
