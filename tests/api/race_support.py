"""Clients that reach the API at the same moment: each on its own
connection (one requests.Session per thread, its TLS handshake made
before the start line), released together by a barrier."""

import threading

import requests


def race_posts(api, path, token, bodies, headers=None):
    """POSTs bodies[i] to path from one thread each, all at once; returns
    the responses in the bodies' order."""
    barrier = threading.Barrier(len(bodies))
    results = [None] * len(bodies)
    sent = {"Authorization": f"Bearer {token}", **(headers or {})}

    def one(i):
        s = requests.Session()
        s.verify = False
        s.trust_env = False
        try:
            s.get(api.url("/nginx-ok"), timeout=30)
            barrier.wait(timeout=60)
            results[i] = s.post(api.url(path), json=bodies[i], timeout=60,
                                headers=sent)
        finally:
            s.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(r is not None for r in results), results
    return results


def concurrent_gets(api, paths, clients):
    """GETs every path without a token from clients threads at once, each
    on its own connection, client k taking paths k, k + clients, ...
    (repeats of a path then come from different clients, interleaved);
    returns the responses, in the order they came."""
    responses, lock = [], threading.Lock()

    def client(k):
        with requests.Session() as s:
            s.verify, s.trust_env = False, False
            for path in paths[k::clients]:
                r = s.get(api.url(path), timeout=60)
                with lock:
                    responses.append(r)

    pool = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    return responses
