"""A throwaway PostgreSQL for the tests: initdb into a temporary directory,
listening only on a unix socket there, stopped and removed afterwards.

PostgreSQL refuses to run as root; when the tests do, the server runs as
the `postgres` user Debian's package creates (runuser).  Debian's
postgresql-15 (scripts/install-deps.sh) provides the binaries."""
import glob
import os
import shutil
import subprocess
import tempfile


def pg_bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (scripts/install-deps.sh installs postgresql-15)")
    return os.path.dirname(found[-1])


class PgServer:
    USER = "berth"

    def __init__(self, tcp_port=None):
        """tcp_port: listen on 127.0.0.1:tcp_port too (the unix socket alone otherwise)."""
        self.tcp_port = tcp_port
        self.bindir = pg_bindir()
        self.dir = tempfile.mkdtemp(prefix="berth-pg-")
        self.data = os.path.join(self.dir, "data")
        self.sock = self.dir
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o755)

    def _run(self, args, **kw):
        return subprocess.run(self.as_user + args, check=True, capture_output=True, text=True, timeout=120, **kw)

    def start(self):
        self._run([os.path.join(self.bindir, "initdb"), "-D", self.data, "-A", "trust", "-U", self.USER,
                   "--no-sync"])
        return self.resume()

    def resume(self):
        """Start the server on the database initdb made (again, after halt)."""
        listen = "-c listen_addresses=127.0.0.1 -p %d" % self.tcp_port if self.tcp_port else "-c listen_addresses=''"
        opts = "-k %s %s -c fsync=off" % (self.sock, listen)
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.data, "log"),
                   "-o", opts, "-w", "start"])
        return self

    def halt(self):
        """Stop the server (fast: every session is ended), keeping its data."""
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"])

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            subprocess.run(self.as_user + [os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "fast",
                                           "-w", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, sql, db="postgres", check=True):
        """Run sql (a script) with psql, stopping at the first error; the
        CompletedProcess (stdout: unaligned, tuples only)."""
        return subprocess.run(["psql", "-h", self.sock, "-p", str(self.tcp_port or 5432), "-U", self.USER, "-d", db, "-X", "-q", "-tA",
                               "-v", "ON_ERROR_STOP=1", "-f", "-"], input=sql, capture_output=True, text=True,
                              timeout=120, check=check)

    def dump(self, db):
        """pg_dump's plain-text dump of db (schema and every row), as bytes."""
        return subprocess.run([os.path.join(self.bindir, "pg_dump"), "-h", self.sock, "-p", str(self.tcp_port or 5432), "-U",
                               self.USER, "-d", db],
                              capture_output=True, timeout=120, check=True).stdout

    def createdb(self, name):
        self.psql("CREATE DATABASE %s;" % name)
