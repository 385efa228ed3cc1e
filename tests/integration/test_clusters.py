"""Clusters through boto3 against a real berth server."""
import botocore.exceptions
import pytest

import berth_proc


from berth_proc import err_code


def test_create_is_idempotent_and_listed(ecs):
    a = ecs.create_cluster(clusterName="idem")["cluster"]
    b = ecs.create_cluster(clusterName="idem")["cluster"]
    assert a["clusterArn"] == b["clusterArn"] == "arn:aws:ecs:us-east-1:000000000000:cluster/idem"
    assert a["status"] == "ACTIVE"
    assert a["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    assert a["clusterArn"] in ecs.list_clusters()["clusterArns"]


def test_describe_include_and_missing(ecs):
    ecs.create_cluster(clusterName="desc", tags=[{"key": "team", "value": "core"}],
                       settings=[{"name": "containerInsights", "value": "enabled"}])
    out = ecs.describe_clusters(clusters=["desc", "arn:aws:ecs:us-east-1:000000000000:cluster/desc", "ghost"],
                                include=["TAGS", "SETTINGS", "STATISTICS"])
    assert [c["clusterName"] for c in out["clusters"]] == ["desc", "desc"]
    c = out["clusters"][0]
    assert c["tags"] == [{"key": "team", "value": "core"}]
    assert c["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    stats = {s["name"]: s["value"] for s in c["statistics"]}
    assert stats["runningEC2TasksCount"] == "0"
    assert c["registeredContainerInstancesCount"] == 0 and c["activeServicesCount"] == 0
    assert out["failures"] == [{"arn": "arn:aws:ecs:us-east-1:000000000000:cluster/ghost", "reason": "MISSING"}]
    # Without include, settings and tags are not returned (as ECS).
    plain = ecs.describe_clusters(clusters=["desc"])["clusters"][0]
    assert "settings" not in plain and plain.get("tags", []) == []


def test_list_pagination(fresh_server):
    ecs = berth_proc.client(fresh_server.endpoint)
    names = ["page-%02d" % i for i in range(23)]
    for n in names:
        ecs.create_cluster(clusterName=n)
    seen, token, pages = [], None, 0
    while True:
        kw = {"maxResults": 5}
        if token:
            kw["nextToken"] = token
        out = ecs.list_clusters(**kw)
        assert len(out["clusterArns"]) <= 5
        seen += out["clusterArns"]
        pages += 1
        token = out.get("nextToken")
        if not token:
            break
    assert pages == 5
    assert [a.rsplit("/", 1)[1] for a in seen] == names
    # The paginator the CLI uses works too.
    got = []
    for page in ecs.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": 7}):
        got += page["clusterArns"]
    assert len(got) == 23
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.list_clusters(nextToken="garbage!")
    assert err_code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        berth_proc.client(fresh_server.endpoint, validate=False).list_clusters(maxResults=0)
    assert err_code(e) == "InvalidParameterException"


def test_update_settings(ecs):
    ecs.create_cluster(clusterName="upd")
    c = ecs.update_cluster_settings(cluster="upd", settings=[{"name": "containerInsights", "value": "enabled"}])
    assert c["cluster"]["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    cfg = {"executeCommandConfiguration": {"logging": "DEFAULT"}}
    c = ecs.update_cluster(cluster="upd", configuration=cfg)["cluster"]
    assert c["configuration"] == cfg
    d = ecs.describe_clusters(clusters=["upd"], include=["SETTINGS", "CONFIGURATIONS"])["clusters"][0]
    assert d["settings"][0]["value"] == "enabled" and d["configuration"] == cfg
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.update_cluster_settings(cluster="nope", settings=[{"name": "containerInsights", "value": "enabled"}])
    assert err_code(e) == "ClusterNotFoundException"


def test_update_cluster_keeps_the_configuration_members_left_out(ecs):
    """UpdateCluster's configuration is set member by member: changing ECS
    Exec's logging keeps the managed storage keys, and the other way round
    (raw calls: Debian's botocore predates managedStorageConfiguration)."""
    url = ecs.meta.endpoint_url

    def update(cfg):
        status, out = berth_proc.raw_call(url, "UpdateCluster", {"cluster": "merge", "configuration": cfg})
        assert status == 200, out
        return out["cluster"]["configuration"]

    ecs.create_cluster(clusterName="merge")
    storage = {"managedStorageConfiguration": {"kmsKeyId": "arn:aws:kms:us-east-1:000000000000:key/k1"}}
    exec_cfg = {"executeCommandConfiguration": {"logging": "NONE"}}
    assert update(storage) == storage
    assert update(exec_cfg) == dict(storage, **exec_cfg)
    changed = {"executeCommandConfiguration": {"logging": "DEFAULT"}}
    assert update(changed) == dict(storage, **changed)
    status, out = berth_proc.raw_call(url, "DescribeClusters", {"clusters": ["merge"], "include": ["CONFIGURATIONS"]})
    assert out["clusters"][0]["configuration"] == dict(storage, **changed)


def test_delete(ecs):
    ecs.create_cluster(clusterName="gone")
    out = ecs.delete_cluster(cluster="gone")["cluster"]
    assert out["status"] == "INACTIVE"
    d = ecs.describe_clusters(clusters=["gone"])["clusters"][0]
    assert d["status"] == "INACTIVE"
    # ECS keeps a deleted cluster discoverable for a while: listed, INACTIVE.
    assert "arn:aws:ecs:us-east-1:000000000000:cluster/gone" in ecs.list_clusters()["clusterArns"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.delete_cluster(cluster="gone")
    assert err_code(e) == "ClusterNotFoundException"
    # Re-creating brings it back ACTIVE under the same ARN.
    again = ecs.create_cluster(clusterName="gone")["cluster"]
    assert again["status"] == "ACTIVE" and again["clusterArn"] == out["clusterArn"]
    assert out["clusterArn"] in ecs.list_clusters()["clusterArns"]


def test_region_from_sigv4_scope(server):
    eu = berth_proc.client(server.endpoint, region="eu-west-1")
    c = eu.create_cluster(clusterName="regional")["cluster"]
    assert c["clusterArn"] == "arn:aws:ecs:eu-west-1:000000000000:cluster/regional"
    us = berth_proc.client(server.endpoint, region="us-east-1")
    assert c["clusterArn"] not in us.list_clusters()["clusterArns"]
    assert us.describe_clusters(clusters=["regional"])["failures"][0]["reason"] == "MISSING"


def test_bad_names_and_types(ecs_raw):
    for bad in ["has space", "x" * 256, "semi;colon"]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ecs_raw.create_cluster(clusterName=bad)
        assert err_code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs_raw.create_cluster(clusterName="t", settings=[{"name": "containerInsights", "value": "maybe"}])
    assert err_code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs_raw.create_cluster(clusterName="t", settings=[{"name": "bogus", "value": "enabled"}])
    assert err_code(e) == "InvalidParameterException"
    assert "settings[0].name" in e.value.response["Error"]["Message"]


def test_tags_on_clusters(ecs):
    arn = ecs.create_cluster(clusterName="tagged")["cluster"]["clusterArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "3"}])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "a", "value": "3"}, {"key": "b", "value": "2"}]
    ecs.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "aws:reserved", "value": "x"}])
    assert err_code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "k%d" % i, "value": "v"} for i in range(50)])
    assert err_code(e) == "InvalidParameterException"  # 1 existing + 50 > 50
    # refused requests change nothing
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.list_tags_for_resource(resourceArn="arn:aws:ecs:us-east-1:000000000000:cluster/none")
    assert err_code(e) == "ClusterNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.list_tags_for_resource(resourceArn="not-an-arn")
    assert err_code(e) == "InvalidParameterException"


def test_state_survives_restart(fresh_server):
    ecs = berth_proc.client(fresh_server.endpoint)
    ecs.create_cluster(clusterName="durable", tags=[{"key": "k", "value": "v"}])
    fresh_server.restart()
    ecs = berth_proc.client(fresh_server.endpoint)
    c = ecs.describe_clusters(clusters=["durable"], include=["TAGS"])["clusters"][0]
    assert c["status"] == "ACTIVE" and c["tags"] == [{"key": "k", "value": "v"}]
