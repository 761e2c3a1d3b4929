"""Helpers for the fault and integrity tests (test_faults.py,
test_integrity.py, test_gateway_faults.py): the stack's processes, a
long-lived root session on the stack's MariaDB, a second module master on
its own socket, and load from many threads, each with its own
connection."""

import os
import signal
import subprocess
import threading
import time
import uuid

import requests

MODULES = ("auth", "catalog", "sharing", "suspension", "dispute")


def stack_var() -> str:
    return os.environ["STACK_VAR"]


def master_and_workers(module):
    """(master pid, sorted worker pids) of one of the stack's modules."""
    with open(os.path.join(stack_var(), "run", f"{module}.pid")) as f:
        master = int(f.read().split()[0])
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True,
                         text=True)
    return master, sorted(int(p) for p in out.stdout.split())


def wait_for_workers(module, count, gone, timeout=10):
    """Waits until the module's master has count workers again, none of
    them in gone; returns the pids (the caller asserts)."""
    deadline = time.monotonic() + timeout
    while True:
        _, pids = master_and_workers(module)
        if (len(pids) == count and not set(pids) & set(gone)) or \
                time.monotonic() > deadline:
            return pids
        time.sleep(0.1)


def busy_worker(pids, timeout=2.0):
    """One of pids that is serving a request rather than waiting in
    accept() for one (x86-64 syscalls 43 and 288, /proc/PID/syscall), so
    that killing it interrupts a request; any of them after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in pids:
            try:
                with open(f"/proc/{pid}/syscall") as f:
                    call = f.read().split()[0]
            except (OSError, IndexError):
                continue
            if call not in ("43", "288"):
                return pid
        time.sleep(0.001)
    return pids[0]


def module_exe(module):
    """The executable of the build the stack runs (DS_ADMIN's build)."""
    build = os.path.dirname(os.path.dirname(os.path.dirname(os.environ["DS_ADMIN"])))
    return os.path.join(build, "modules", module, f"datashare-{module}")


def nginx_cmd(*args):
    """nginx with the stack's prefix, config and error log (./stack's
    nginx_cmd)."""
    var = stack_var()
    return subprocess.run(
        ["nginx", "-p", f"{var}/nginx/", "-c", f"{var}/nginx/conf/datashare.conf",
         "-e", f"{var}/log/nginx-error.log", *args],
        capture_output=True, text=True, timeout=30,
        env=dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"))


class RootSession:
    """One mariadb client process as the database's root, kept open so a
    test can hold a transaction (and its row locks) across other work.
    run(sql) returns the rows of the statements' output as tuples."""

    def __init__(self):
        sock = os.path.join(stack_var(), "run", "mysqld.sock")
        self.p = subprocess.Popen(
            ["mariadb", "-S", sock, "--default-character-set=utf8mb4", "-N",
             "-B", "--unbuffered", "datashare"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)

    def run(self, sql: str) -> list:
        marker = "end-" + uuid.uuid4().hex
        self.p.stdin.write(f"{sql};\nSELECT '{marker}';\n")
        self.p.stdin.flush()
        rows = []
        while True:
            line = self.p.stdout.readline()
            if line == "":
                raise AssertionError("root session ended: " + self.p.stderr.read())
            line = line.rstrip("\n")
            if line == marker:
                return rows
            rows.append(tuple(line.split("\t")))

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("ROLLBACK;\n")
                self.p.stdin.close()
            except OSError:
                pass
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


class ModuleMaster:
    """A second master of one of the stack's modules, on its own socket
    beside the stack's, with `workers` workers, its settings overridden
    through DS_<KEY> variables, and preexec run in it before exec
    (resource limits). tmp_path holds its socket and log."""

    def __init__(self, module, tmp_path, overrides, preexec=None, workers=1):
        self.sock = str(tmp_path / f"{module}.sock")
        self.log = open(tmp_path / f"{module}.log", "w+")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DS_")}
        env.update({f"DS_{k.upper()}": v for k, v in overrides.items()})
        self.p = subprocess.Popen(
            [module_exe(module), "--config", os.environ["DS_CONFIG"],
             "--socket", self.sock, "--workers", str(workers),
             "--socket-mode", "0600"],
            stdout=self.log, stderr=self.log, env=env, preexec_fn=preexec)
        for _ in range(200):
            if os.path.exists(self.sock):
                break
            time.sleep(0.05)
        assert os.path.exists(self.sock), self.output()

    def workers(self):
        out = subprocess.run(["pgrep", "-P", str(self.p.pid)],
                             capture_output=True, text=True)
        return sorted(int(x) for x in out.stdout.split())

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        stop_process(self.p)
        self.log.close()


def closed_unanswered(e) -> bool:
    """The server closed a reused keep-alive connection before reading the
    request (a reloading nginx's old worker closing its idle connections):
    nothing was answered, so a client may send it again (RFC 9112 9.3.1)
    when the method is idempotent or the POST carries an Idempotency-Key."""
    text = repr(e)
    return any(why in text for why in (
        "RemoteDisconnected", "ConnectionResetError", "BrokenPipeError",
        "EOF occurred in violation of protocol"))


def stop_process(p, timeout=10):
    """Ends p, a process the test started (subprocess.Popen): SIGTERM,
    then SIGKILL if it is still there after timeout seconds."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def new_session() -> requests.Session:
    s = requests.Session()
    s.verify = False
    s.trust_env = False
    return s


class Load:
    """Calls fn(session, i) from `threads` threads until stop() (or for n
    calls in all when n is given); each thread has its own session, so its
    own connection. fn returns a record; records() has them all, in the
    order they finished, with exceptions recorded as ("exception", repr)."""

    def __init__(self, fn, threads=8, n=None):
        self.fn, self.n = fn, n
        self.lock = threading.Lock()
        self.next = 0
        self.done = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True)
                        for _ in range(threads)]

    def _take(self):
        with self.lock:
            if self.stopping.is_set() or (self.n is not None and self.next >= self.n):
                return None
            self.next += 1
            return self.next - 1

    def _run(self):
        s = new_session()
        try:
            while True:
                i = self._take()
                if i is None:
                    return
                try:
                    rec = self.fn(s, i)
                except requests.RequestException as e:
                    rec = ("exception", repr(e))
                with self.lock:
                    self.done.append(rec)
        finally:
            s.close()

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def count(self):
        with self.lock:
            return len(self.done)

    def wait_count(self, n, timeout=60):
        deadline = time.monotonic() + timeout
        while self.count() < n and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self):
        self.stopping.set()
        return self.join()

    def join(self, timeout=300):
        for t in self.threads:
            t.join(timeout)
        assert not any(t.is_alive() for t in self.threads), "load threads hang"
        with self.lock:
            return list(self.done)
