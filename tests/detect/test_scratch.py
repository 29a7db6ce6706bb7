import threading

import hyperscan

from wardgate.detect.scratch import ScratchPool


def _db() -> hyperscan.Database:
    db = hyperscan.Database()
    db.compile(expressions=[b"attack"], ids=[0], elements=1, flags=hyperscan.HS_FLAG_CASELESS)
    return db


def test_each_thread_gets_its_own_scratch_and_keeps_it():
    db = _db()
    pool = ScratchPool(db)
    mine = pool.get()
    assert pool.get() is mine
    seen = []
    worker = threading.Thread(target=lambda: seen.append(pool.get()))
    worker.start()
    worker.join()
    assert seen[0] is not mine


def test_concurrent_scans_find_every_match():
    db = _db()
    pool = ScratchPool(db)
    counts = []

    def scan():
        found = []
        for _ in range(200):
            db.scan(
                b"an ATTACK here",
                match_event_handler=lambda *a: found.append(a),
                scratch=pool.get(),
            )
        counts.append(len(found))

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts == [200] * 4
