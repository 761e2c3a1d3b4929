"""The pre-fork master (issue 2, item 7): it serves on its socket with N
workers, and SIGTERM stops it cleanly: workers gone, socket removed,
exit status 0. Runs a second catalog master on its own socket, beside the
stack's, so the stack is left alone."""
import json
import os
import signal
import subprocess
import time

import fcgi_client


def start_master(tmp_path, workers=2):
    exe = catalog_exe()
    sock = str(tmp_path / "c.sock")
    pidfile = str(tmp_path / "c.pid")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DS_")}
    p = subprocess.Popen([exe, "--config", os.environ["DS_CONFIG"], "--socket", sock,
                          "--workers", str(workers), "--socket-mode", "0600",
                          "--pidfile", pidfile],
                         stderr=subprocess.PIPE, env=env)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    return p, sock, pidfile


def catalog_exe():
    """The catalog executable of the build the stack runs (DS_ADMIN's)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.environ["DS_ADMIN"])),
                        "catalog", "datashare-catalog")


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def test_master_serves_with_n_workers_and_stops_cleanly_on_sigterm(tmp_path):
    p, sock, pidfile = start_master(tmp_path, workers=3)
    try:
        status, headers, body = fcgi_client.request(sock, "GET", "/api/v1/health")
        assert status == 200 and json.loads(body) == {"status": "ok"}
        assert headers["X-Request-Id"] == "0123456789abcdef0123456789abcdef"
        assert len(children(p.pid)) == 3
        with open(pidfile) as f:
            assert int(f.read()) == p.pid
        workers = children(p.pid)
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0
        assert not os.path.exists(sock) and not os.path.exists(pidfile)
        for w in workers:
            assert not os.path.exists(f"/proc/{w}"), f"worker {w} survived"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_a_bad_setting_refuses_to_start_with_a_message(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("db_name=datashare\nthis line is wrong\n")
    exe = catalog_exe()
    r = subprocess.run([exe, "--config", str(conf), "--socket", str(tmp_path / "s")],
                       capture_output=True, text=True, timeout=10,
                       env={"PATH": os.environ["PATH"]})
    assert r.returncode == 1
    assert "bad.conf:2" in r.stderr and "key=value" in r.stderr


def test_missing_database_settings_refuse_to_start(tmp_path):
    conf = tmp_path / "empty.conf"
    conf.write_text("# nothing\n")
    exe = catalog_exe()
    r = subprocess.run([exe, "--config", str(conf), "--socket", str(tmp_path / "s")],
                       capture_output=True, text=True, timeout=10,
                       env={"PATH": os.environ["PATH"]})
    assert r.returncode == 1 and "db_user" in r.stderr
