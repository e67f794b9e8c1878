import time

from django.conf import settings

# Session keys set at sign-in (training_platform.accounts.apps) and read here.
STAFF_SESSION_KEY = "_staff_session"
STAFF_SEEN_KEY = "_staff_seen"
# The idle deadline moves at most this often (seconds), so a busy page does not write
# the session on every request.
STAFF_TOUCH_INTERVAL = 60


class ContentSecurityPolicyMiddleware:
    """Send the configured Content-Security-Policy header (Django 5.2 has none built in).

    Public pages get CONTENT_SECURITY_POLICY (no inline script); paths under
    CONTENT_SECURITY_POLICY_ADMIN_PREFIX get CONTENT_SECURITY_POLICY_ADMIN, which Wagtail's
    admin templates need.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY
        self.admin_policy = getattr(
            settings, "CONTENT_SECURITY_POLICY_ADMIN", self.policy
        )
        self.admin_prefix = getattr(
            settings, "CONTENT_SECURITY_POLICY_ADMIN_PREFIX", "/admin/"
        )

    def __call__(self, request):
        response = self.get_response(request)
        policy = (
            self.admin_policy
            if self.admin_prefix and request.path.startswith(self.admin_prefix)
            else self.policy
        )
        if policy and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = policy
        return response


class StaffSessionIdleMiddleware:
    """A staff session ends after STAFF_SESSION_IDLE_SECONDS without a request (sliding).

    Sign-in marks staff sessions (accounts.apps.mark_staff_session); each later request
    pushes the expiry forward, at most once a minute. Trainee sessions are left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # After the view, so that it also overrides what a sign-in view set (Wagtail's
        # "remember me" sets two weeks or a browser session) before the session is saved.
        session = getattr(request, "session", None)
        if session is not None and session.get(STAFF_SESSION_KEY):
            idle = settings.STAFF_SESSION_IDLE_SECONDS
            now = int(time.time())
            if (
                session.get("_session_expiry") != idle
                or now - session.get(STAFF_SEEN_KEY, 0) >= STAFF_TOUCH_INTERVAL
            ):
                session[STAFF_SEEN_KEY] = now
                session.set_expiry(idle)
        return response
