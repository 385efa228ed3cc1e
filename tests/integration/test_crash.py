"""Durability: every write the server acknowledged survives kill -9.

Clients create clusters and tag them as fast as they can while the server is
killed with SIGKILL at random moments; after each restart every acknowledged
cluster and tag must be there."""
import random
import threading
import time

import berth_proc


def _writer(endpoint, prefix, acked, stop):
    i = 0
    while not stop.is_set():
        name = "%s-%d" % (prefix, i)
        try:
            status, body = berth_proc.raw_call(endpoint, "CreateCluster", {
                "clusterName": name, "tags": [{"key": "seq", "value": str(i)}]})
        except OSError:
            return  # the server died under us: this write was not acknowledged
        if status == 200:
            acked.append(name)
        i += 1


def test_acknowledged_writes_survive_kill9(fresh_server):
    rng = random.Random(1234)
    all_acked = []
    for rnd in range(4):
        acked, stop = [], threading.Event()
        threads = [threading.Thread(target=_writer, args=(fresh_server.endpoint, "r%dt%d" % (rnd, t), acked, stop))
                   for t in range(4)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 1.2))
        fresh_server.kill9()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert acked, "no write was acknowledged before the kill"
        all_acked += acked
        fresh_server.start()
        ecs = berth_proc.client(fresh_server.endpoint)
        for i in range(0, len(all_acked), 100):
            chunk = all_acked[i:i + 100]
            out = ecs.describe_clusters(clusters=chunk, include=["TAGS"])
            assert out["failures"] == [], "acknowledged clusters lost: %s" % out["failures"][:5]
            assert sorted(c["clusterName"] for c in out["clusters"]) == sorted(chunk)
            for c in out["clusters"]:
                assert c["status"] == "ACTIVE"
                # the tag written with the cluster, value intact (name is <prefix>-<seq>)
                assert c["tags"] == [{"key": "seq", "value": c["clusterName"].rsplit("-", 1)[1]}], c
    assert len(all_acked) > 50
