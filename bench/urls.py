"""The project's URLs plus ``/bench/trivial/``: the baseline for bench/verify/.

The trivial view goes through the same middleware as every other view, so the
verification page's throughput can be compared with "Django doing nothing".
"""

from django.http import HttpResponse
from django.urls import path

from training_platform.urls import urlpatterns as project_urlpatterns


def trivial(request):
    return HttpResponse(b"ok", content_type="text/plain")


# Before the project's patterns: Wagtail's catch-all page route comes last there.
urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial")]
urlpatterns += project_urlpatterns
