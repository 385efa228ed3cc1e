"""`berth up`, the README's "run it" command: server, local agent and a
seeded local registry; the AWS CLI lines it prints work; Ctrl-C stops all."""
import os
import signal
import subprocess

import berth_proc
import registry


def aws(endpoint, *args):
    env = berth_proc.aws_cli_env(os.environ.get("HOME", "/"))
    out = subprocess.run(["/usr/bin/aws", "ecs", "--endpoint-url", endpoint, "--output", "json"] + list(args),
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def up_env():
    """`berth up` starts with the session's root key (BERTH_ROOT_*, so it
    does not make one of its own); the same key as AWS_* too, whichever of
    them its local agent takes."""
    return berth_proc.client_env(berth_proc.server_env())


def test_berth_up_runs_a_task_from_the_local_registry(tmp_path):
    port, reg_port = registry.free_port(), registry.free_port()
    seed = os.path.join(berth_proc.ROOT, "scripts", "make-test-images.sh")
    log = open(tmp_path / "up.log", "wb")
    proc = subprocess.Popen([berth_proc.BERTH_BIN, "up", "--data", str(tmp_path / "data"),
                             "--listen", "127.0.0.1:%d" % port, "--registry", "127.0.0.1:%d" % reg_port,
                             "--seed-images", seed],
                            stdout=log, stderr=log, env=up_env())
    endpoint = "http://127.0.0.1:%d" % port
    try:
        berth_proc.wait_for_berth_up(proc, tmp_path / "up.log")
        text = (tmp_path / "up.log").read_text()
        assert endpoint in text and "127.0.0.1:%d/busybox:1" % reg_port in text
        aws(endpoint, "register-task-definition", "--family", "hello", "--container-definitions",
            '[{"name":"app","image":"127.0.0.1:%d/busybox:1","memory":64,"command":["echo","hello"]}]' % reg_port)
        import json
        task = json.loads(aws(endpoint, "run-task", "--task-definition", "hello"))["tasks"][0]["taskArn"]
        aws(endpoint, "wait", "tasks-stopped", "--tasks", task)
        t = json.loads(aws(endpoint, "describe-tasks", "--tasks", task))["tasks"][0]
        assert t["lastStatus"] == "STOPPED" and t["containers"][0]["exitCode"] == 0
        assert t["stopCode"] == "EssentialContainerExited", t
        log_file = tmp_path / "data" / "agent" / "logs" / task.rsplit("/", 1)[1] / "app.log"
        assert "stdout F hello" in log_file.read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=60)
        log.close()
    assert rc == 0, (tmp_path / "up.log").read_text()[-5000:]
    # The registry child went with it.
    assert str(tmp_path) not in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout


def test_berth_up_makes_its_own_key_and_says_how_to_use_it(tmp_path):
    """No BERTH_ROOT_* and no AWS_* anywhere: berth up generates the root
    key, its own agent signs with it, and the export line it prints is all
    another terminal needs."""
    port = registry.free_port()
    env = berth_proc.client_env(berth_proc.server_env(root_key=None), key=None)
    log = open(tmp_path / "up.log", "wb")
    proc = subprocess.Popen([berth_proc.BERTH_BIN, "up", "--data", str(tmp_path / "data"),
                             "--listen", "127.0.0.1:%d" % port, "--registry", "off"], stdout=log, stderr=log, env=env)
    endpoint = "http://127.0.0.1:%d" % port
    try:
        berth_proc.wait_for_berth_up(proc, tmp_path / "up.log")
        creds = tmp_path / "data" / "server" / "credentials"
        assert oct(creds.stat().st_mode & 0o777) == "0o600"
        text = (tmp_path / "up.log").read_text()
        line = next(l for l in text.splitlines() if "AWS_SHARED_CREDENTIALS_FILE=" in l)
        assert line.split() == ["export", "AWS_SHARED_CREDENTIALS_FILE=%s" % creds, "AWS_PROFILE=berth",
                                "AWS_DEFAULT_REGION=us-east-1"]
        secret = [l for l in creds.read_text().splitlines() if l.startswith("aws_secret_access_key")][0]
        assert secret.split("=", 1)[1].strip() not in text  # never echoed
        env_cli = berth_proc.aws_cli_env(tmp_path, key=None, AWS_SHARED_CREDENTIALS_FILE=str(creds),
                                         AWS_PROFILE="berth")

        def instances():
            out = subprocess.run(["/usr/bin/aws", "ecs", "list-container-instances", "--endpoint-url", endpoint,
                                  "--output", "json"], env=env_cli, capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stderr
            import json
            return json.loads(out.stdout)["containerInstanceArns"]
        # The local agent registered, signing with the generated key.
        berth_proc.wait_for(lambda: len(instances()) == 1, timeout=60, what="the local agent's instance")
    finally:
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=60)
        log.close()
    assert rc == 0, (tmp_path / "up.log").read_text()[-5000:]
