#!/usr/bin/env python3
"""moto's ECS tests against a real berth server.

moto (https://github.com/getmoto/moto) tests its ECS mock with boto3; each
test is a plain function decorated with @mock_aws.  This script runs those
functions against berth instead: a stand-in `moto` package whose mock_aws
is a no-op, boto3.client("ecs") (in the region the test names) pointed at a fresh `berth server` (its own
data directory, started for each test and stopped after it, so every test
sees an empty account as it does under moto) and signed with the server's
root key.

A test is ECS-only when it uses nothing but the ECS API: one that asks for
another service's client (EC2 instances, CloudFormation, ...) or for moto's
own machinery (its state manager, MOTO_* variables, server-mode skips) is
counted as skipped, with the reason.  KNOWN_DIFFERENCES names the tests
where moto's expectation is not what ECS does; berth follows ECS there,
and they are counted apart.  BERTH_GAPS names failures where berth falls
short of ECS (they stay failures).

moto's tests are not vendored: point --moto at a moto checkout (or a bare
git directory, read with `git show`), e.g.

    git clone --depth 1 https://github.com/getmoto/moto /tmp/moto
    make all && python3 bench/moto_conformance.py --moto /tmp/moto

It needs a boto3 new enough for moto's tests (the python3 first on PATH,
3.11 with boto3 1.43, not Debian's 1.26).  pytest is not needed: a small
stand-in provides pytest.raises and pytest.mark.parametrize.
"""
import argparse
import inspect
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import types
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
import berth_proc  # noqa: E402

ACCOUNT = "000000000000"  # berth's account id (server.c)
REGION = berth_proc.REGION  # when a test names none

# Where moto's expectation is not ECS's documented behaviour: berth
# follows ECS, and the test is counted as a known difference, not a pass.
DAEMON = "ECS refuses desiredCount with schedulingStrategy DAEMON: 'The daemon scheduling strategy does not support a " \
         "desired count for services.'"
NO_CAPACITY = "moto counts a service's tasks as pending or running with no container instance; ECS (and berth) " \
              "place none without capacity, so the counts stay 0 and the service records that it could not place them"
FARGATE_DEF = "ECS runs on Fargate only a definition that is FARGATE-compatible (awsvpc, task cpu and memory); " \
              "moto's definition is a bridge one without task-level cpu"
SETTING_SHAPE = "ECS's Setting carries principalArn and type besides name and value"
DRAINING = "ECS shows autoScalingGroupProvider.managedDraining (ENABLED unless given); moto leaves it out"
CP_FAILURE = "moto's failure ARN reads 'capacity_provider/'; ECS's capacity provider ARNs read 'capacity-provider/'"
TASK_SET = "ECS refuses a taskDefinition on a service with the EXTERNAL deployment controller ('TaskDefinition must " \
           "be blank.'): its task sets carry the definitions"
LAUNCH_TYPE = "moto's own sentence for an unknown launch type (its list lacks MANAGED_INSTANCES, which ECS's model " \
              "has); berth names the value and ECS's launch types"
KNOWN_DIFFERENCES = {
    "test_create_cluster_with_tags": "ListTagsForResource answers tags [] for an untagged resource, as ECS does",
    "test_register_task_definition": "ECS gives compatibilities ['EXTERNAL', 'EC2'] for a definition that requires "
                                     "none; moto gives ['EC2']",
    "test_delete_task_definitions": "compatibilities as in test_register_task_definition (and moto's ARN names "
                                    "another region and account than the client's)",
    "test_register_task_definition_memory_validation_fargate": "ECS refuses a FARGATE definition without networkMode "
                                                               "awsvpc ('Fargate only supports network mode "
                                                               "'awsvpc'.') and without task-level cpu",
    "test_create_service_scheduling_strategy": DAEMON,
    "test_list_services": DAEMON,
    "test_describe_services_scheduling_strategy": DAEMON,
    "test_describe_services": NO_CAPACITY,
    "test_update_service": NO_CAPACITY,
    "test_delete_service": NO_CAPACITY,
    "test_delete_service_force": NO_CAPACITY,
    "test_remove_tg": "ECS requires desiredCount for a REPLICA service (CreateService's documentation); moto's test "
                      "leaves it out",
    "test_run_task_with_capacity_provider_strategy_fargate": FARGATE_DEF,
    "test_run_task_uses_cluster_default_capacity_provider_strategy": FARGATE_DEF,
    "test_run_task_default_cluster": FARGATE_DEF,
    "test_run_task_exceptions": LAUNCH_TYPE,
    "test_create_service_errors": LAUNCH_TYPE,
    "test_update_cluster": "ECS takes only enabled, disabled or enhanced as the containerInsights setting; moto "
                           "stores 'v'",
    "test_put_account_setting[containerInstanceLongArnFormat-enabled]": SETTING_SHAPE,
    "test_put_account_setting[serviceLongArnFormat-enabled]": SETTING_SHAPE,
    "test_put_account_setting[taskLongArnFormat-enabled]": SETTING_SHAPE,
    "test_delete_account_setting": SETTING_SHAPE,
    "test_list_account_settings_wrong_name": "moto's own sentence, listing setting names that ECS's model no longer "
                                             "has (containerLongArnFormat, dualStackIPv6); berth lists ECS's",
    "test_create_capacity_provider": DRAINING,
    "test_describe_capacity_provider__using_name": DRAINING,
    "test_update_capacity_provider": DRAINING,
    "test_describe_capacity_provider__missing": CP_FAILURE,
    "test_delete_capacity_provider": CP_FAILURE,
    "test_create_task_set": TASK_SET,
    "test_create_task_set_errors": TASK_SET,
    "test_describe_task_sets": TASK_SET,
    "test_delete_task_set": TASK_SET,
    "test_delete_task_set__using_partial_arn": TASK_SET,
    "test_create_task_sets_with_tags": TASK_SET,
}

# Where berth does not (yet) do what ECS does: these stay failures, with
# the reason beside them.
BERTH_GAPS = {
    "test_ecs_service_tag_resource[disabled]": "berth always uses the long ARN formats",
    "test_put_account_setting[containerInstanceLongArnFormat-disabled]": "berth always uses the long ARN formats",
    "test_put_account_setting[serviceLongArnFormat-disabled]": "berth always uses the long ARN formats",
    "test_put_account_setting[taskLongArnFormat-disabled]": "berth always uses the long ARN formats",
    "test_list_account_setting": "berth always uses the long ARN formats",
    "test_put_account_setting_changes_service_arn": "berth always uses the long ARN formats",
    "test_list_tags_exceptions": "berth takes no short-format (cluster-less) service ARN",
    "test_describe_task_definition_by_family": "proxyConfiguration (App Mesh) is refused",
    "test_create_service_load_balancing": "berth serves no Classic Load Balancers (loadBalancerName alone)",
    "test_deregister_task_definition_2": "berth's sentence for a missing revision is 'The specified task definition "
                                         "does not exist.' (moto: 'Unable to describe task definition.'; ECS's not "
                                         "verified)",
}


class NotEcsOnly(unittest.SkipTest):
    """The test needs something other than the ECS API."""


# -- stand-ins for moto, moto's tests package and pytest --------------------

def _mock_aws(fn=None, **_kw):
    """@mock_aws and @mock_aws(): the function itself (berth is real)."""
    if fn is None:
        return lambda f: f
    if isinstance(fn, type):
        return fn
    return fn


class _Unavailable(types.ModuleType):
    """A module whose every attribute says the test needs moto's insides."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def refuse(*_a, **_k):
            raise NotEcsOnly("uses moto's %s.%s" % (self.__name__, name))
        return refuse


def install_shims():
    moto = types.ModuleType("moto")
    moto.mock_aws = _mock_aws
    moto.__path__ = []
    settings = types.ModuleType("moto.settings")
    settings.TEST_SERVER_MODE = True  # berth is a server: moto's decorator-only tests skip themselves
    settings.TEST_DECORATOR_MODE = False
    moto.settings = settings
    core = types.ModuleType("moto.core")
    core.__path__ = []
    core.DEFAULT_ACCOUNT_ID = ACCOUNT
    core_utils = _Unavailable("moto.core.utils")
    ec2 = types.ModuleType("moto.ec2")
    ec2.__path__ = []
    ec2_utils = _Unavailable("moto.ec2.utils")
    ec2.utils = ec2_utils
    api = types.ModuleType("moto.moto_api")
    api.__path__ = []
    api.state_manager = _Unavailable("moto.moto_api.state_manager")
    tests = types.ModuleType("tests")
    tests.__path__ = []
    tests.EXAMPLE_AMI_ID = "ami-12c6146b"
    tests.EXAMPLE_AMI_ID2 = "ami-03cf127a"
    tests.DEFAULT_ACCOUNT_ID = ACCOUNT
    for name, mod in {"moto": moto, "moto.settings": settings, "moto.core": core, "moto.core.utils": core_utils,
                      "moto.ec2": ec2, "moto.ec2.utils": ec2_utils, "moto.moto_api": api,
                      "moto.moto_api.state_manager": api.state_manager, "tests": tests,
                      "pytest": _pytest_shim()}.items():
        sys.modules[name] = mod


class _Raises:
    def __init__(self, expected, match=None):
        self.expected, self.match, self.value, self.type = expected, match, None, None

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is None:
            raise AssertionError("DID NOT RAISE %s" % getattr(self.expected, "__name__", self.expected))
        if not issubclass(et, self.expected):
            return False
        if self.match and not re.search(self.match, str(ev)):
            raise AssertionError("%r does not match %r" % (str(ev), self.match))
        self.value, self.type = ev, et
        return True


def _pytest_shim():
    pt = types.ModuleType("pytest")

    def parametrize(argnames, argvalues, ids=None, **_kw):
        names = [n.strip() for n in argnames.split(",")] if isinstance(argnames, str) else list(argnames)

        def mark(fn):
            fn.__dict__.setdefault("_params", []).insert(0, (names, list(argvalues), ids))
            return fn
        return mark

    class Mark:
        def __getattr__(self, _name):
            return lambda *a, **k: (a[0] if a and callable(a[0]) and not k else (lambda f: f))

    pt.mark = Mark()
    pt.mark.parametrize = parametrize
    pt.raises = lambda expected, match=None: _Raises(expected, match)

    def skip(reason=""):
        raise unittest.SkipTest(reason)
    pt.skip = skip
    pt.fixture = lambda *a, **k: (a[0] if a and callable(a[0]) else (lambda f: f))
    pt.param = lambda *values, **_k: values
    return pt


def cases(fn):
    """(id, kwargs) for each parametrized call of a test function."""
    axes = []
    for names, values, ids in getattr(fn, "_params", []):
        row = []
        for i, v in enumerate(values):
            v = v if len(names) > 1 else (v,)
            label = ids[i] if isinstance(ids, (list, tuple)) else "-".join(str(x) for x in v)
            row.append((label, dict(zip(names, v))))
        axes.append(row)
    for combo in itertools.product(*axes):
        kw = {}
        for _, k in combo:
            kw.update(k)
        label = "-".join(c[0] for c in combo)
        yield (fn.__name__ + ("[%s]" % label if label else "")), kw


# -- boto3 pointed at berth ------------------------------------------------

class Berth:
    """The berth server the current test talks to."""

    def __init__(self, binary):
        self.binary = binary
        self.server = None
        self.dir = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="moto-conf-")
        self.server = berth_proc.BerthServer(self.dir, os.path.join(self.dir, "server.log")).start()

    def stop(self):
        if self.server:
            self.server.stop(check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.server = None


def patch_boto3(berth):
    real_client, real_resource = boto3.client, boto3.resource

    def client(service, *args, **kw):
        if service != "ecs":
            raise NotEcsOnly("needs a %s client" % service)
        # berth takes the region from each request's SigV4 scope, as AWS does.
        region = kw.get("region_name") or (args[0] if args else REGION)
        key = berth_proc.ROOT_KEY
        return real_client("ecs", endpoint_url=berth.server.endpoint, region_name=region,
                           aws_access_key_id=key.access_key, aws_secret_access_key=key.secret_key,
                           config=Config(retries={"max_attempts": 1}))

    def resource(service, *args, **kw):
        raise NotEcsOnly("needs a %s resource" % service)

    boto3.client, boto3.resource = client, resource
    return real_client, real_resource


# -- the run ---------------------------------------------------------------

def moto_sources(where, dest):
    """Copy tests/test_ecs/*.py from a moto checkout or git dir into dest."""
    checkout = os.path.join(where, "tests", "test_ecs")
    os.makedirs(dest, exist_ok=True)
    if os.path.isdir(checkout):
        names = [n for n in os.listdir(checkout) if n.endswith(".py")]
        for n in names:
            shutil.copy(os.path.join(checkout, n), dest)
    else:
        ls = subprocess.run(["git", "--git-dir", where, "ls-tree", "--name-only", "HEAD", "tests/test_ecs/"],
                            check=True, capture_output=True, text=True).stdout.split()
        names = []
        for path in ls:
            if path.endswith(".py"):
                text = subprocess.run(["git", "--git-dir", where, "show", "HEAD:" + path], check=True,
                                      capture_output=True, text=True).stdout
                open(os.path.join(dest, os.path.basename(path)), "w").write(text)
                names.append(os.path.basename(path))
    return sorted(n for n in names if n.startswith("test_"))


def moto_specific(fn):
    """Why a test exercises moto's own machinery rather than ECS, or None."""
    try:
        src = inspect.getsource(fn)
    except OSError:
        return None
    if "MOTO_" in src:
        return "configured by moto's MOTO_* environment variables"
    if "state_manager" in src:
        return "drives moto's state manager"
    return None


def first_line(exc):
    if isinstance(exc, AssertionError):
        tb = traceback.extract_tb(exc.__traceback__)
        where = tb[-1].line if tb else ""
        return ("AssertionError at `%s`: %s" % (where, str(exc)[:300])).strip()
    return ("%s: %s" % (type(exc).__name__, exc))[:400]


def run(args):
    install_shims()
    berth = Berth(args.berth)
    patch_boto3(berth)
    work = tempfile.mkdtemp(prefix="moto-tests-")
    pkg = os.path.join(work, "test_ecs")
    files = moto_sources(args.moto, pkg)
    open(os.path.join(pkg, "__init__.py"), "w").close()
    sys.path.insert(0, work)
    results = []
    for f in files:
        modname = "test_ecs." + f[:-3]
        try:
            __import__(modname)
        except NotEcsOnly as e:
            results.append({"test": f[:-3] + "::*", "file": f, "result": "skip", "reason": str(e)})
            continue
        mod = sys.modules[modname]
        for name, fn in sorted(vars(mod).items(), key=lambda kv: getattr(kv[1], "__code__", None) and
                               kv[1].__code__.co_firstlineno or 0):
            if not (name.startswith("test_") and callable(fn)) or getattr(fn, "__module__", None) != modname:
                continue
            for case, kw in cases(fn):
                if args.k and args.k not in case:
                    continue
                r = {"test": case, "file": f}
                why = moto_specific(fn)
                if why:
                    r.update(result="skip", reason=why)
                    results.append(r)
                    continue
                berth.start()
                try:
                    fn(**kw)
                    r["result"] = "pass"
                except unittest.SkipTest as e:
                    r.update(result="skip", reason=str(e) or "skipped")
                except Exception as e:  # noqa: BLE001 - every failure is a result
                    r.update(result="fail", reason=first_line(e))
                    if args.traceback:
                        traceback.print_exc()
                        tb = e.__traceback__
                        while tb.tb_next:
                            tb = tb.tb_next
                        for k, v in tb.tb_frame.f_locals.items():
                            print("    %s = %.600r" % (k, v))
                    known = KNOWN_DIFFERENCES.get(case) or KNOWN_DIFFERENCES.get(fn.__name__)
                    gap = BERTH_GAPS.get(case) or BERTH_GAPS.get(fn.__name__)
                    if known:
                        r.update(result="differs", reason="%s (%s)" % (known, r["reason"]))
                    elif gap:
                        r["reason"] = "berth gap: %s (%s)" % (gap, r["reason"])
                finally:
                    berth.stop()
                results.append(r)
                if args.verbose:
                    print("%-6s %s %s" % (r["result"].upper(), case, r.get("reason", "")), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--moto", required=True, help="a moto checkout, or a git directory holding moto")
    p.add_argument("--berth", default=berth_proc.BERTH_BIN, help="the berth binary (default build/berth)")
    p.add_argument("-k", help="run only tests whose name contains this")
    p.add_argument("--traceback", action="store_true", help="print each failure's traceback")
    p.add_argument("--json", help="write every result to this file")
    p.add_argument("-v", "--verbose", action="store_true", help="a line per test as it finishes")
    args = p.parse_args()
    berth_proc.BERTH_BIN = args.berth
    results = run(args)
    if not args.verbose:
        for r in results:
            if r["result"] != "pass":
                print("%-7s %s: %s" % (r["result"].upper(), r["test"], r.get("reason", "")))
    counts = {k: sum(1 for r in results if r["result"] == k) for k in ("pass", "fail", "differs", "skip")}
    ecs_only = counts["pass"] + counts["fail"] + counts["differs"]
    print("\nmoto ECS tests: %d ECS-only (%d skipped: other services or moto's own machinery); "
          "%d pass, %d fail, %d known differences (berth follows ECS)"
          % (ecs_only, counts["skip"], counts["pass"], counts["fail"], counts["differs"]))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
