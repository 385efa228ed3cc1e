"""TCP keepalives on the PostgreSQL sessions (issue 22): a database host
that vanishes sends no FIN or RST, so without them a session on it stays
"open" for the kernel's 2 hours of idle time (and a leader's session on
PostgreSQL's side keeps its lock as long).  Every session berth opens --
the store's, the leader's, the LISTEN one -- probes after 10 s idle, on
berth's side (libpq's keepalives_*) and on PostgreSQL's (the session's
tcp_keepalives_*), which the kernel's own timers on both ends show."""
import os
import re
import subprocess

import berth_proc
from pgserver import PgServer

# src/server/store/store_pg.h: PG_KEEPALIVE_IDLE
KEEPALIVE_IDLE = 10.0


def keepalive_timers(filt):
    """For each established TCP connection that matches the ss filter,
    its timer: (name, seconds left), or None without one."""
    out = subprocess.run(["ss", "-tnoH", "state", "established", filt], capture_output=True, text=True,
                         check=True).stdout
    timers = []
    for line in out.splitlines():
        m = re.search(r"timer:\((\w+),([\d.]+)([a-z]+)", line)
        if not m:
            timers.append(None)
            continue
        # ss writes "119min", "7.5sec" or, for a few seconds, "8.576ms"
        # (seconds.milliseconds) -- and "188ms" for milliseconds.
        n, unit = m.group(2), m.group(3)
        secs = float(n) * 60 if unit == "min" else float(n) / 1000 if unit == "ms" and "." not in n else float(n)
        timers.append((m.group(1), secs))
    return timers


def test_every_session_probes_the_other_end(tmp_path):
    port = berth_proc.free_port()
    pg = PgServer(tcp_port=port).start()
    srv = None
    try:
        pg.createdb("berth_ka")
        os.makedirs(tmp_path / "data")
        srv = berth_proc.BerthServer(tmp_path / "data", tmp_path / "server.log",
                                     extra_args=["--store", "postgresql://berth@127.0.0.1:%d/berth_ka" % port])
        srv.start()
        ecs = berth_proc.client(srv.endpoint)
        ecs.create_cluster(clusterName="keepalive")
        assert ecs.list_clusters()["clusterArns"]

        def settled():
            # Once no segment is in flight (a timer "on": retransmission),
            # each idle connection shows its keepalive timer, if it has one.
            sides = keepalive_timers("( dport = :%d )" % port), keepalive_timers("( sport = :%d )" % port)
            return None if any(t and t[0] == "on" for t in sides[0] + sides[1]) else sides
        berth_side, pg_side = berth_proc.wait_for(settled, timeout=30, what="the sessions to be idle")
        # The store's connection, the leader's session and the listener's.
        assert len(berth_side) >= 3 and len(pg_side) == len(berth_side), (berth_side, pg_side)
        for timer in berth_side + pg_side:
            # Without the settings: keepalive with ~7200 s left (libpq and
            # PostgreSQL turn SO_KEEPALIVE on with the kernel's idle time).
            assert timer is not None and timer[0] == "keepalive" and timer[1] <= KEEPALIVE_IDLE, \
                (berth_side, pg_side)
        assert srv.alive()
    finally:
        if srv:
            srv.stop()
        pg.stop()
