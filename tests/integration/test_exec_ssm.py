"""ECS Exec with Session Manager's data channel protocol (issue 17): the
client `aws ecs execute-command` starts, session-manager-plugin, speaks it
on ExecuteCommand's streamUrl.  A client written from the protocol
(ssm_channel.py) runs a one-shot and an interactive command, checking
digests, sequence numbers and acknowledgements as the plugin does; a
resent message is acknowledged again and not run twice; a bad digest ends
the session.  Then the real plugin through the AWS CLI, when it is
installed (it is not a Debian package: AWS ships it)."""
import os
import pty
import select
import shutil
import subprocess
import time

import pytest

import berth_proc
import ssm_channel
import stack as stackmod

PLUGIN = shutil.which("session-manager-plugin")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("execssm"), cluster="ssm")
    s.register("box", [{"name": "app", "hostname": "ssm-box", "command": ["sleep", "3600"], "stopTimeout": 2}])
    s.task = s.run("box", enableExecuteCommand=True)
    s.wait_status(s.task, "RUNNING")
    yield s
    try:
        s.ecs.stop_task(cluster="ssm", task=s.task)
        s.wait_status(s.task, "STOPPED")
    finally:
        s.close()


def open_session(stack, command, interactive=True):
    out = stack.ecs.execute_command(cluster="ssm", task=stack.task, command=command, interactive=interactive)
    assert out["session"]["streamUrl"].startswith("ws://")
    return ssm_channel.Session(out["session"])


def test_one_shot_command_over_the_data_channel(stack):
    s = open_session(stack, "cat /etc/hostname")
    try:
        s.run_until(lambda: s.closed_output is not None)
        assert s.session_type == "InteractiveCommands"
        # A terminal in the container: its line ends are \r\n.
        assert s.stdout.decode().strip() == "ssm-box", s.stdout
        assert s.closed_output == ""
        # Every message of ours (handshake response, terminal size) was
        # acknowledged with its sequence number and id.
        assert s.out_seq == 2 and not s.unacked, (s.unacked, s.acks)
    finally:
        s.close()


def test_interactive_shell_over_the_data_channel(stack):
    s = open_session(stack, "sh")
    try:
        s.run_until(lambda: s.out_seq >= 2 and not s.unacked)
        # Typed as the plugin sends keys (Enter is \r on a terminal).
        s.send_input(ssm_channel.OUTPUT, b"echo a$((40+2))b\r")
        s.run_until(lambda: b"a42b" in s.stdout.replace(b"echo a$((40+2))b", b""))
        # A resend (the plugin resends what is not acknowledged in time):
        # acknowledged again, run once.
        first = s.send_input(ssm_channel.OUTPUT, b"echo c$((50+5))d\r")
        s.send_input(ssm_channel.OUTPUT, b"echo c$((50+5))d\r", resend_of=first)
        s.send_input(ssm_channel.OUTPUT, b"echo end$((1+1))\r")
        s.run_until(lambda: b"end2" in s.stdout.replace(b"echo end$((1+1))", b""))
        assert s.stdout.replace(b"echo c$((50+5))d", b"").count(b"c55d") == 1, s.stdout
        assert [a for a in s.acks if a[0] == first[0]] == [(first[0], str(first[1]))] * 2
        s.send_input(ssm_channel.OUTPUT, b"exit\r")
        s.run_until(lambda: s.closed_output is not None)
        assert s.closed_output == ""
        assert not s.unacked, s.unacked
    finally:
        s.close()


def test_output_not_acknowledged_is_sent_again(stack):
    s = open_session(stack, "cat /etc/hostname")
    s.drop_outputs = 1
    try:
        s.run_until(lambda: s.closed_output is not None)
        assert s.drop_outputs == 0
        assert s.stdout.decode().strip() == "ssm-box", s.stdout
    finally:
        s.close()


def test_non_interactive_keeps_stderr_apart(stack):
    s = open_session(stack, "sh -c 'echo out; echo err >&2'", interactive=False)
    try:
        s.run_until(lambda: s.closed_output is not None)
        assert s.session_type == "NonInteractiveCommands"
        assert s.stdout == b"out\n" and s.stderr == b"err\n", (s.stdout, s.stderr)
    finally:
        s.close()


def test_command_that_cannot_start_closes_the_channel_with_why(stack):
    s = open_session(stack, "/no/such/program")
    try:
        s.run_until(lambda: s.closed_output is not None)
        # Why: channel_closed's Output (the agent could not start it) or the
        # runtime's words on the terminal.
        why = (s.closed_output + s.stdout.decode(errors="replace")).lower()
        assert "no such file" in why or "not found" in why, (s.closed_output, s.stdout)
    finally:
        s.close()


def test_bad_digest_ends_the_session(stack):
    s = open_session(stack, "sh")
    try:
        s.run_until(lambda: s.out_seq >= 2 and not s.unacked)
        data, _ = ssm_channel.encode("input_stream_data", s.out_seq, ssm_channel.OUTPUT, b"echo x\r")
        s.send_raw(data[:-1] + b"y")
        s.run_until(lambda: False)  # until the close
        assert "protocol" in s.closed_output
        assert s.close_code == 1002
    finally:
        s.close()


def test_berth_exec_still_works_beside_it(stack):
    p = subprocess.run([berth_proc.BERTH_BIN, "exec", "--endpoint", stack.server.endpoint, "ssm", stack.task, "--",
                        "cat", "/etc/hostname"], capture_output=True, timeout=60, env=berth_proc.client_env())
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"ssm-box\n"


def aws_execute_command(stack, tmp_path, command, keys=(), timeout=60):
    """`aws ecs execute-command --interactive` on a terminal (the plugin
    reads its keyboard from one): what it printed, its exit status."""
    env = berth_proc.aws_cli_env(tmp_path)
    env["PATH"] = os.path.dirname(PLUGIN) + ":" + env["PATH"]
    master, slave = pty.openpty()
    p = subprocess.Popen(["/usr/bin/aws", "ecs", "execute-command", "--endpoint-url", stack.server.endpoint,
                          "--cluster", "ssm", "--task", stack.task, "--interactive", "--command", command],
                         stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    out = b""
    pending = list(keys)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break  # the plugin exited: the terminal is gone
                if not chunk:
                    break
                out += chunk
            if pending and b"Starting session with SessionId" in out and pending[0][0] in out:
                os.write(master, pending.pop(0)[1])
        try:
            return out, p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise AssertionError("the plugin did not exit; it printed %r" % out)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)


@pytest.mark.skipif(PLUGIN is None, reason="session-manager-plugin is not installed (AWS's package; not in Debian)")
def test_aws_cli_execute_command_with_the_plugin(stack, tmp_path):
    out, code = aws_execute_command(stack, tmp_path, "cat /etc/hostname")
    text = out.decode(errors="replace")
    assert code == 0, text
    assert "ssm-box" in text.splitlines() or "ssm-box\r" in text.splitlines(), text
    assert "Exiting session with sessionId: ecs-execute-command-" in text, text


@pytest.mark.skipif(PLUGIN is None, reason="session-manager-plugin is not installed (AWS's package; not in Debian)")
def test_aws_cli_interactive_shell_with_the_plugin(stack, tmp_path):
    # Each key once the session is up; the last ends the shell.
    out, code = aws_execute_command(stack, tmp_path, "sh", keys=[
        (b"# ", b"echo p$((6*7))q\r"), (b"p42q", b"exit\r")])
    text = out.decode(errors="replace")
    assert code == 0, text
    assert "p42q" in text.replace("echo p$((6*7))q", ""), text
    assert "Exiting session with sessionId" in text, text
