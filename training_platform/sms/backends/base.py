class BaseSmsBackend:
    """What a backend implements: ``send_messages``; errors are raised unless
    ``fail_silently``."""

    def __init__(self, fail_silently: bool = False, **kwargs):
        self.fail_silently = fail_silently

    def send_messages(self, messages) -> int:
        raise NotImplementedError
