"""Development: print each message to standard output (not to the logs).

Printing the body is the point of this backend (a developer reads the code off the
terminal); it writes to the stream directly so no log handler stores it.
"""

import sys
import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from training_platform.sms.backends.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def __init__(self, *args, stream=None, **kwargs):
        # Outside development, standard output ends up in the logs: one-time codes
        # must not. Production configures a gateway backend in SMS_BACKEND.
        if not settings.DEBUG:
            raise ImproperlyConfigured(
                "The console SMS backend prints one-time codes; it is for DEBUG only. "
                "Set SMS_BACKEND to a gateway backend."
            )
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, messages) -> int:
        sent = 0
        with self._lock:
            for message in messages:
                self.stream.write(f"[SMS] 发送至 {message.to}：{message.body}\n")
                sent += 1
            self.stream.flush()
        return sent
