"""The real AWS CLI v2 (/usr/bin/aws, not the v1 `aws` on PATH) against a
berth server, with the session's root key and no configuration files."""
import json
import os
import subprocess

import pytest

import berth_proc

AWS_V2 = "/usr/bin/aws"

TASKDEF = {
    "family": "cli-smoke",
    "containerDefinitions": [{
        "name": "web",
        "image": "busybox:latest",
        "memory": 32,
        "command": ["httpd", "-f", "-p", "8080"],
        "portMappings": [{"containerPort": 8080}],
        "healthCheck": {"command": ["CMD-SHELL", "wget -q -O- http://localhost:8080/ || exit 1"]},
    }],
    "cpu": "0.25 vCPU",
    "memory": "0.5 GB",
    "tags": [{"key": "via", "value": "cli"}],
}


@pytest.fixture
def aws(server, tmp_path):
    if not os.access(AWS_V2, os.X_OK):
        pytest.skip("AWS CLI v2 is not installed at /usr/bin/aws")
    home = tmp_path / "home"
    home.mkdir()
    env = berth_proc.aws_cli_env(home)

    def run(*args):
        p = subprocess.run([AWS_V2, "ecs", *args, "--endpoint-url", server.endpoint, "--output", "json"],
                           env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, "aws %s failed (%d):\n%s\n%s" % (" ".join(args), p.returncode, p.stdout,
                                                                  p.stderr)
        return json.loads(p.stdout) if p.stdout.strip() else {}

    def fails(*args):
        p = subprocess.run([AWS_V2, "ecs", *args, "--endpoint-url", server.endpoint], env=env,
                           cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
        assert p.returncode != 0, p.stdout
        return p.stderr

    run.fails = fails
    run.dir = tmp_path
    return run


def test_cli_v2_task_definitions_and_clusters(aws):
    (aws.dir / "td.json").write_text(json.dumps(TASKDEF))
    out = aws("register-task-definition", "--cli-input-json", "file://td.json")
    td = out["taskDefinition"]
    assert td["taskDefinitionArn"].endswith(":task-definition/cli-smoke:1")
    assert (td["cpu"], td["memory"]) == ("256", "512")
    assert td["containerDefinitions"][0]["healthCheck"]["interval"] == 30
    assert out["tags"] == [{"key": "via", "value": "cli"}]

    desc = aws("describe-task-definition", "--task-definition", "cli-smoke", "--include", "TAGS")
    assert desc["taskDefinition"]["revision"] == 1
    assert desc["taskDefinition"]["status"] == "ACTIVE"
    assert desc["tags"] == [{"key": "via", "value": "cli"}]

    aws("register-task-definition", "--cli-input-json", "file://td.json")
    listed = aws("list-task-definitions", "--family-prefix", "cli-smoke", "--sort", "DESC")
    assert [a.rsplit("/", 1)[1] for a in listed["taskDefinitionArns"]] == ["cli-smoke:2", "cli-smoke:1"]
    # The CLI pages by itself; a page size of 1 exercises nextToken.
    listed = aws("list-task-definitions", "--family-prefix", "cli-smoke", "--page-size", "1")
    assert len(listed["taskDefinitionArns"]) == 2
    assert "cli-smoke" in aws("list-task-definition-families")["families"]

    aws("create-cluster", "--cluster-name", "cli-smoke")
    clusters = aws("list-clusters")["clusterArns"]
    assert any(a.endswith(":cluster/cli-smoke") for a in clusters)

    dereg = aws("deregister-task-definition", "--task-definition", "cli-smoke:1")
    assert dereg["taskDefinition"]["status"] == "INACTIVE"
    err = aws.fails("describe-task-definition", "--task-definition", "cli-smoke:9")
    assert "ClientException" in err and "Unable to describe task definition." in err
