"""The production smoke and two app servers behaving as one (issue 14, item 3).

Real processes over real HTTP (tests/deploy/conftest.py): gunicorn with the production
settings, PostgreSQL, Redis, WhiteNoise for the static files, an RQ worker.
"""

import re
import time
from http.cookies import SimpleCookie

import requests

from tests.deploy.conftest import HTTPS, ROSTER_ROWS, VERIFY_LIMIT

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (the demo's published password)


def get(server, path, *, cookies=None, client="198.51.100.1", **kwargs):
    """A request as the load balancer passes it on: HTTPS, the client's address in
    X-Forwarded-For. Cookies go by hand: they are Secure, and this hop is plain HTTP."""
    headers = {**HTTPS, "X-Forwarded-For": client, **kwargs.pop("headers", {})}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return requests.get(
        server.url + path, headers=headers, allow_redirects=False, timeout=60, **kwargs
    )


def post(server, path, *, cookies=None, client="198.51.100.1", **kwargs):
    headers = {**HTTPS, "X-Forwarded-For": client, **kwargs.pop("headers", {})}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return requests.post(
        server.url + path, headers=headers, allow_redirects=False, timeout=60, **kwargs
    )


def set_cookies(response):
    jar = SimpleCookie()
    for value in response.raw.headers.getlist("Set-Cookie"):
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}, jar


def sign_in(server, username="admin"):
    """The back-office sign-in form: GET for the CSRF token, POST with it."""
    page = get(server, "/admin/login/")
    assert page.status_code == 200
    cookies, jar = set_cookies(page)
    assert jar["csrftoken"]["secure"]  # Secure cookies in production
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    origin = "https://" + server.url.removeprefix("http://")
    answer = post(
        server,
        "/admin/login/",
        cookies=cookies,
        data={
            "csrfmiddlewaretoken": token,
            "username": username,
            "password": DEMO_PASSWORD,
            "next": "/admin/",
        },
        headers={"Origin": origin, "Referer": f"{origin}/admin/login/"},
    )
    assert answer.status_code == 302, answer.text[:500]
    assert answer.headers["Location"] == "/admin/"
    signed_in, jar = set_cookies(answer)
    assert jar["sessionid"]["secure"] and jar["sessionid"]["httponly"]
    return {**cookies, **signed_in}


def check_deploy_is_clean(deployment, servers):
    out = deployment.manage("check", "--deploy", "--fail-level", "WARNING")
    assert "no issues" in out


def check_plain_http_is_sent_to_https(deployment, servers):
    response = requests.get(servers["a"].url + "/", allow_redirects=False, timeout=60)
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


def check_public_pages_are_answered(deployment, servers):
    a = servers["a"]
    home = get(a, "/")
    assert home.status_code == 200 and "黔技通" in home.text
    assert "max-age=31536000" in home.headers["Strict-Transport-Security"]
    catalogue = get(a, "/courses/")
    assert catalogue.status_code == 200
    assert "报名" in catalogue.text or "培训班" in catalogue.text
    verify = get(
        a, f"/verify/{deployment.data['certificate_token']}/", client="198.51.100.2"
    )
    assert verify.status_code == 200
    assert deployment.data["certificate_number"] in verify.text


def check_static_files_are_collected_hashed_compressed_and_served(deployment, servers):
    a = servers["a"]
    home = get(a, "/")
    links = re.findall(r'(/static/[^"\']+\.[0-9a-f]{12}\.css)', home.text)
    assert links, "the page links no hashed stylesheet"
    plain = get(a, links[0], headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["Content-Type"].startswith("text/css")
    assert "immutable" in plain.headers["Cache-Control"]  # hashed: cached for good
    gzipped = get(a, links[0], headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers.get("Content-Encoding") == "gzip"
    assert gzipped.text == plain.text
    # The back-office's own (Wagtail) static files are served as well.
    admin = get(a, "/admin/login/")
    script = re.search(r'src="(/static/wagtailadmin/js/[^"]+)"', admin.text)[1]
    assert get(a, script).status_code == 200


def check_back_office_sign_in(deployment, servers):
    a = servers["a"]
    cookies = sign_in(a)
    dashboard = get(a, "/admin/", cookies=cookies)
    assert dashboard.status_code == 200
    assert get(a, "/admin/").status_code == 302  # and not without the session


def check_a_sign_in_on_one_server_is_valid_on_the_other(deployment, servers):
    cookies = sign_in(servers["a"], "bureau_gz")
    on_b = get(servers["b"], "/admin/", cookies=cookies)
    assert on_b.status_code == 200
    who = re.search(r'class="qjt-home__who">([^<]+)<', on_b.text)[1].strip()
    assert "人社部门" in who  # bureau_gz's own work bench, not another user's
    # Signing out on B ends the session on A too.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', on_b.text)
    if token:
        origin = "https://" + servers["b"].url.removeprefix("http://")
        post(
            servers["b"],
            "/admin/logout/",
            cookies=cookies,
            data={"csrfmiddlewaretoken": token[1]},
            headers={"Origin": origin, "Referer": f"{origin}/admin/"},
        )
        assert get(servers["a"], "/admin/", cookies=cookies).status_code == 302


def check_the_verification_rate_limit_counts_across_both_servers(deployment, servers):
    path = f"/verify/{deployment.data['certificate_token']}/"
    client = "203.0.113.77"  # one client, seen through the load balancer on both
    for _ in range(VERIFY_LIMIT - 1):
        assert get(servers["a"], path, client=client).status_code == 200
    assert get(servers["b"], path, client=client).status_code == 200  # the last one
    refused = get(servers["b"], path, client=client)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert get(servers["a"], path, client=client).status_code == 429
    # Another client is not held back by it.
    assert get(servers["b"], path, client="203.0.113.78").status_code == 200


def check_a_roster_uploaded_on_one_server_is_run_by_the_worker_and_seen_on_the_other(
    deployment, servers
):
    data = deployment.data
    auth = {"Authorization": f"Bearer {data['api_token']}"}
    with open(data["roster"], "rb") as roster:
        uploaded = post(
            servers["a"],
            f"/api/v1/institution/classes/{data['class_id']}/roster",
            headers=auth,
            files={"file": ("花名册.xlsx", roster)},
        )
    assert uploaded.status_code == 201, uploaded.text[:500]
    job = uploaded.json()
    assert job["status"] == "previewed" and job["error_count"] == 0
    confirmed = post(
        servers["a"], f"/api/v1/institution/imports/{job['id']}/confirm", headers=auth
    )
    assert confirmed.status_code == 202, confirmed.text[:500]
    # Polled on B: the worker (another process) reads the file server A stored.
    deadline = time.monotonic() + 150
    while True:
        seen = get(
            servers["b"], f"/api/v1/institution/imports/{job['id']}", headers=auth
        ).json()
        if seen["status"] not in {"queued", "running"} or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert seen["status"] == "done", (seen, deployment.log("rqworker"))
    enrolments = get(
        servers["b"],
        f"/api/v1/institution/classes/{data['class_id']}/enrolments?page_size=1",
        headers=auth,
    ).json()
    assert enrolments["count"] == ROSTER_ROWS
    assert servers["worker"].poll() is None  # the worker is still up
    assert "Job OK" in deployment.log("rqworker")  # run there, not by an app server


SMOKE = (
    check_deploy_is_clean,
    check_plain_http_is_sent_to_https,
    check_public_pages_are_answered,
    check_static_files_are_collected_hashed_compressed_and_served,
    check_back_office_sign_in,
)
TWO_SERVERS = (
    check_a_sign_in_on_one_server_is_valid_on_the_other,
    check_the_verification_rate_limit_counts_across_both_servers,
    check_a_roster_uploaded_on_one_server_is_run_by_the_worker_and_seen_on_the_other,
)


def run_checks(checks, deployment, servers):
    """Every check runs; the failures are reported together, by name."""
    failed = []
    for check in checks:
        try:
            check(deployment, servers)
        except Exception as exc:  # noqa: BLE001 (each check's failure is reported)
            failed.append(f"{check.__name__}: {type(exc).__name__}: {exc}")
    assert not failed, "\n".join(failed)


# One test per part (not one per check): under pytest-xdist every test of a session
# fixture's users may land on another worker, and each worker would build its own
# deployment (migrate + seed, about a minute). Both parts share one deployment.
def test_production_smoke_and_two_app_servers(deployment, servers):
    run_checks(SMOKE + TWO_SERVERS, deployment, servers)
