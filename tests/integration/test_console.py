"""The web console (GET /console/) in a real browser: headless Chromium
driven over the DevTools protocol (cdp.py) against a real server, agent,
registry and containers.  A user signs in with the root key, finds the
cluster and service the test made, scales the service from 1 to 3 and sees
three RUNNING tasks, reads a line the container printed in a task's live
log tail, forces a new deployment, and sees the instance's resource bars
and the service's CPU/memory graph; a wrong secret gets the signature
error; an IAM user without ecs:UpdateService gets AccessDenied for the
page's own, signed call.  Also the static files' headers."""
import base64
import json
import os
import time
import urllib.error
import urllib.request

import pytest

import berth_proc
import cdp
import stack as stackmod

CLUSTER = "console"
LINE = "hello from the console test"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("console"), cluster=CLUSTER, agent_args=["--metrics-interval", "1"])
    s.logs = berth_proc.client(s.server.endpoint, service="logs")
    s.cw = berth_proc.client(s.server.endpoint, service="cloudwatch")
    s.register("web", [{"name": "app", "command": ["sh", "-c", "echo '%s'; exec sleep 3600" % LINE],
                        "stopTimeout": 2, "cpu": 128,
                        "logConfiguration": {"logDriver": "awslogs", "options": {
                            "awslogs-group": "/console/web", "awslogs-region": "us-east-1",
                            "awslogs-create-group": "true", "awslogs-stream-prefix": "web"}}}])
    s.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=1)
    yield s
    try:  # stop the service's tasks rather than leak them
        s.ecs.update_service(cluster=CLUSTER, service="web", desiredCount=0)
        s.ecs.delete_service(cluster=CLUSTER, service="web", force=True)
        berth_proc.wait_for(lambda: not s.ecs.list_tasks(cluster=CLUSTER)["taskArns"], timeout=30,
                            what="the service's tasks to stop")
    finally:
        s.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    d = tmp_path_factory.mktemp("chromium")
    os.makedirs(d / "profile")
    try:
        b = cdp.Browser.open(str(d / "profile"))
    except cdp.CDPError as e:
        pytest.skip("headless chromium cannot start here: %s" % e)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    """A new tab (its own sessionStorage: signed out), closed after the test."""
    p = browser.page()
    yield p
    p.close()


def get(url, headers=None, method="GET"):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def error_banner(page):
    return "(() => { const e = document.getElementById('error'); return e && !e.hidden ? e.textContent : ''; })()"


def sign_in(page, endpoint, key, secret):
    page.goto(endpoint + "/console/")
    try:
        page.wait_for("!!document.querySelector('#signin')", timeout=10, what="the sign-in form")
    except AssertionError:
        # Chromium aborts loads in flight when the host's interfaces change
        # (net::ERR_NETWORK_CHANGED), as they do whenever this test's agent
        # starts a task: a module lost so leaves the page blank.  Reload,
        # as a person would.
        page.goto(endpoint + "/console/")
        page.wait_for("!!document.querySelector('#signin')", what="the sign-in form")
    page.type_into("input[name=accessKeyId]", key)
    page.type_into("input[name=secretAccessKey]", secret)
    page.click("#signin button")


def shot(page, name):
    """With BERTH_CONSOLE_SCREENSHOTS=DIR, a PNG of the page as it is (for a
    person to look at; nothing is compared)."""
    d = os.environ.get("BERTH_CONSOLE_SCREENSHOTS")
    if d:
        os.makedirs(d, exist_ok=True)
        data = page.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        with open(os.path.join(d, name + ".png"), "wb") as f:
            f.write(base64.b64decode(data))


def rows(page, selector):
    return "document.querySelectorAll(%s).length" % json.dumps(selector)


# ---- the static files ----------------------------------------------------------------

def test_console_files_and_their_headers(stack):
    ep = stack.server.endpoint
    status, h, body = get(ep + "/console/")
    assert status == 200
    assert h["Content-Type"] == "text/html; charset=utf-8"
    csp = h["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Cache-Control"] == "no-cache"
    assert b'<script type="module" src="app.js">' in body
    assert b"<script>" not in body  # no inline script: the CSP would refuse it anyway

    for name, ctype in (("app.js", "text/javascript; charset=utf-8"), ("sigv4.js", "text/javascript; charset=utf-8"),
                        ("console.css", "text/css; charset=utf-8"), ("favicon.svg", "image/svg+xml")):
        status, h, body = get(ep + "/console/" + name)
        assert (status, h["Content-Type"], h["X-Content-Type-Options"]) == (200, ctype, "nosniff"), name
        assert body
        # revalidation: the same ETag gives 304 without a body
        status, h2, body2 = get(ep + "/console/" + name, {"If-None-Match": h["ETag"]})
        assert (status, body2) == (304, b""), name

    status, h, _ = get(ep + "/console/app.js", method="HEAD")
    assert status == 200 and h["Content-Type"].startswith("text/javascript")

    # /console redirects to /console/ (urllib follows it)
    req = urllib.request.Request(ep + "/console")
    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                              {"redirect_request": lambda *a, **k: None}))
    with pytest.raises(urllib.error.HTTPError) as e:
        opener.open(req, timeout=10)
    assert (e.value.code, e.value.headers["Location"]) == (301, "/console/")

    for path in ("/console/nope.js", "/console/../berth.db", "/console/app.js/", "/console//app.js"):
        status, h, _ = get(ep + path)
        assert status == 404, path
        assert h["X-Content-Type-Options"] == "nosniff"
    status, h, _ = get(ep + "/console/", method="DELETE")
    assert status == 405 and h["Allow"] == "GET, HEAD"
    # the API is unchanged: still POST / only, and signed
    status, _, body = get(ep + "/")
    assert status == 405


# ---- in the browser ---------------------------------------------------------------------

def test_wrong_secret_shows_the_signature_error(stack, page):
    sign_in(page, stack.server.endpoint, berth_proc.ROOT_KEY.access_key, "not-the-secret-" + "x" * 25)
    msg = page.wait_for(error_banner(page), what="the error banner")
    assert msg.startswith("InvalidSignatureException: The request signature we calculated does not match"), msg
    # still on the sign-in form, and nothing kept
    assert page.evaluate("!!document.querySelector('#signin')")
    assert page.evaluate("sessionStorage.length") == 0
    assert berth_proc.ROOT_KEY.secret_key not in stack.server.log()


def test_sign_in_scale_tail_and_deploy(stack, page):
    ecs, ep = stack.ecs, stack.server.endpoint
    berth_proc.wait_for(lambda: ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]
                        ["runningCount"] == 1, timeout=60, what="the service's first task")
    sign_in(page, ep, berth_proc.ROOT_KEY.access_key, berth_proc.ROOT_KEY.secret_key)

    # The clusters list shows the test's cluster; its services tab the service.
    page.wait_for(rows(page, "#clusters tr[data-cluster=%s]" % CLUSTER), what="the cluster row")
    # the secret stays in this tab's sessionStorage, nowhere else
    assert page.evaluate("JSON.parse(sessionStorage.getItem('berth.console.credentials')).accessKeyId") == \
        berth_proc.ROOT_KEY.access_key
    assert page.evaluate("localStorage.length + document.cookie.length") == 0
    page.click("#clusters tr[data-cluster=%s] a" % CLUSTER)
    page.wait_for(rows(page, "#services tr[data-service=web]"), what="the service row")
    assert page.evaluate("document.querySelector('#services tr[data-service=web] .desired').textContent") == "1"
    page.click("#services tr[data-service=web] a")

    # Scale 1 -> 3 with the button: the server sees desiredCount 3, and
    # the page lists three RUNNING tasks.
    page.wait_for("document.getElementById('desired-count').value === '1'", what="the desired count field")
    page.type_into("#desired-count", "3")
    page.click("#scale")
    berth_proc.wait_for(lambda: ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]
                        ["desiredCount"] == 3, what="desiredCount 3")
    page.wait_for("document.getElementById('notice').textContent.includes('desired count set to 3')")
    page.wait_for(rows(page, "#service-tasks tr[data-status=RUNNING]") + " === 3", timeout=60,
                  what="three RUNNING tasks on the service page")
    page.wait_for("document.getElementById('running').textContent === '3'", what="runningCount 3")
    shot(page, "service")

    # A task's page: its container, and the live log tail shows the line
    # the container printed (shipped by awslogs, read with GetLogEvents).
    page.click("#service-tasks tr[data-status=RUNNING] a")
    page.wait_for("!!document.querySelector('#containers tr[data-container=app]')", what="the task's containers")
    tail = page.wait_for("(() => { const p = document.querySelector('pre.log[data-container=app]'); "
                         "return p && p.textContent.includes(%s) ? p.textContent : ''; })()" % json.dumps(LINE),
                         timeout=30, what="the log line in the live tail")
    assert LINE in tail
    shot(page, "task")

    # Force a new deployment from the service page: a new PRIMARY deployment.
    before = ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]["deployments"]
    page.evaluate("location.hash = '#/clusters/%s/services/web'" % CLUSTER)
    page.wait_for("!!document.querySelector('#deployments')", what="the service page")
    page.click("#force-deploy")
    page.wait_for("document.getElementById('notice').textContent.includes('new deployment')")
    after = ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]["deployments"]
    primary = [d for d in after if d["status"] == "PRIMARY"][0]
    assert primary["id"] not in [d["id"] for d in before]
    page.wait_for("document.querySelector('#deployments').textContent.includes(%s)" % json.dumps(primary["id"]),
                  what="the new deployment in the table")

    # Container instances: the bars are registered - remaining, as the API says.
    page.evaluate("location.hash = '#/clusters/%s/instances'" % CLUSTER)
    page.wait_for(rows(page, "#instances .bar[data-resource=CPU]"), what="the resource bars")
    shot(page, "instances")
    bars = page.evaluate("[...document.querySelectorAll('#instances .bar')].map(b => [b.dataset.resource, "
                         "Number(b.dataset.used), Number(b.dataset.total)])")
    arns = ecs.list_container_instances(cluster=CLUSTER)["containerInstanceArns"]
    inst = ecs.describe_container_instances(cluster=CLUSTER, containerInstances=arns)["containerInstances"][0]
    reg = {r["name"]: r["integerValue"] for r in inst["registeredResources"]}
    for name, used, total in bars:
        assert total == reg[name]
        assert 0 <= used <= total
    assert [b for b in bars if b[0] == "MEMORY"][0][1] >= 3 * 64 - 64  # the service's tasks hold memory

    # Task definitions list and one revision.
    page.evaluate("location.hash = '#/taskdefs'")
    page.wait_for(rows(page, "#taskdefs tr[data-family=web]"), what="the web family")
    page.click("#taskdefs tr[data-family=web] td:nth-child(2) a")
    page.wait_for("!!document.querySelector('pre.json') && document.querySelector('pre.json').textContent"
                  ".includes('awslogs-stream-prefix')", what="the task definition's JSON")

    # The page met no script error and no CSP refusal on the way.
    bad = [m for m in page.messages() if m[0] in ("error", "exception") or "Content Security Policy" in m[1]]
    assert not bad, bad


def test_service_graph_from_ecs_metrics(stack, page):
    """Once the agent's samples are AWS/ECS metrics, the service page draws them."""
    def data():
        now = time.time()
        r = stack.cw.get_metric_data(
            MetricDataQueries=[{"Id": "cpu", "MetricStat": {"Metric": {
                "Namespace": "AWS/ECS", "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "ClusterName", "Value": CLUSTER}, {"Name": "ServiceName", "Value": "web"}]},
                "Period": 60, "Stat": "Average"}}],
            StartTime=now - 3600, EndTime=now + 60)
        return r["MetricDataResults"][0]["Values"]
    berth_proc.wait_for(data, timeout=60, interval=1, what="CPUUtilization for the service")
    sign_in(page, stack.server.endpoint, berth_proc.ROOT_KEY.access_key, berth_proc.ROOT_KEY.secret_key)
    page.wait_for(rows(page, "#clusters tr"), what="the clusters list")
    page.evaluate("location.hash = '#/clusters/%s/services/web'" % CLUSTER)
    page.wait_for(rows(page, "#service-graph svg polyline, #service-graph svg circle"), what="the graph")
    legend = page.evaluate("document.querySelector('#service-graph .legend').textContent")
    assert "CPU utilisation:" in legend and "Memory utilisation:" in legend, legend
    shot(page, "graph")


def test_user_without_permission_is_refused(stack, page):
    """The page signs with the user's key: the server knows who calls, lets
    the user read, and refuses UpdateService, which the page shows verbatim."""
    iam = berth_proc.client(stack.server.endpoint, service="iam")
    iam.create_user(UserName="viewer")
    iam.put_user_policy(UserName="viewer", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ecs:Describe*", "ecs:ListServices", "ecs:ListTasks",
                                                     "logs:GetLogEvents", "cloudwatch:GetMetricData"],
                       "Resource": "*"}]}))
    key = iam.create_access_key(UserName="viewer")["AccessKey"]
    before = stack.ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]["desiredCount"]

    sign_in(page, stack.server.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    # Signed in (the server knew the key) though the clusters list is not allowed.
    msg = page.wait_for(error_banner(page), what="the clusters page's refusal")
    assert msg.startswith("AccessDeniedException: User: arn:aws:iam::000000000000:user/viewer is not authorized "
                          "to perform: ecs:ListClusters"), msg
    assert page.evaluate("sessionStorage.length") == 1
    page.evaluate("location.hash = '#/clusters/%s/services/web'" % CLUSTER)
    page.wait_for("document.getElementById('desired-count').value !== ''", what="the service page")
    page.type_into("#desired-count", "5")
    page.click("#scale")
    msg = page.wait_for(error_banner(page), what="the refusal")
    service_arn = "arn:aws:ecs:us-east-1:000000000000:service/%s/web" % CLUSTER
    assert msg == ("AccessDeniedException: User: arn:aws:iam::000000000000:user/viewer is not authorized to "
                   "perform: ecs:UpdateService on resource: %s because no identity-based policy allows the "
                   "ecs:UpdateService action" % service_arn), msg
    assert stack.ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]["desiredCount"] == before
    # the server logged the refused call as the user's, not the page's
    assert "UpdateService 400 AccessDeniedException: User: arn:aws:iam::000000000000:user/viewer" in \
        stack.server.log()
