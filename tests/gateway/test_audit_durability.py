"""``kill -9`` under load: every decision a client saw acknowledged is in the audit trail, and
the log the dead process leaves verifies."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import yaml

from wardgate.audit.log import AuditLog
from wardgate.audit.signing import load_private_key, load_public_key
from wardgate.audit.verify import verify_log
from wardgate.testing.fake_llm import FakeLLM
from wardgate.testing.server import serve_in_thread

from ..conftest import free_port

CLIENTS = 8
LOAD_S = 1.5
MIN_ACKNOWLEDGED = 50


def test_sigkill_under_load_loses_no_acknowledged_decision(tmp_path: Path) -> None:
    with serve_in_thread(FakeLLM()) as upstream:
        port = free_port()
        config = {
            "server": {"port": port},
            "database": str(tmp_path / "wg.db"),
            "routes": [
                {
                    "name": "open",
                    "prefix": "/",
                    "upstream": upstream.url,
                    "provider": "openai",
                    "anonymous": True,
                }
            ],
            "limits": {"requests": None},
        }
        (tmp_path / "gw.yaml").write_text(yaml.safe_dump(config))
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARDGATE_")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "wardgate", "serve", "--config", str(tmp_path / "gw.yaml")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                assert proc.poll() is None, "wardgate serve exited early"
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "wardgate serve did not become ready"
                time.sleep(0.05)

            acknowledged: list[str] = []
            lock = threading.Lock()
            stop = threading.Event()

            def client(n: int) -> None:
                with httpx.Client(timeout=5) as http:
                    i = 0
                    while not stop.is_set():
                        text = f"client {n} request {i}: hello"
                        i += 1
                        try:
                            r = http.post(
                                f"{url}/v1/chat/completions",
                                json={
                                    "model": "m",
                                    "messages": [{"role": "user", "content": text}],
                                },
                            )
                        except httpx.HTTPError:
                            return  # the gateway is gone: this one was never acknowledged
                        if r.status_code == 200 and r.json()["choices"]:
                            with lock:
                                acknowledged.append(text)

            threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
            for t in threads:
                t.start()
            time.sleep(LOAD_S)
            deadline = time.monotonic() + 15  # a busy CI machine: wait for enough load
            while len(acknowledged) <= MIN_ACKNOWLEDGED and time.monotonic() < deadline:
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)  # mid-load, no chance to clean up
            proc.wait(10)
            stop.set()
            for t in threads:
                t.join(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    assert len(acknowledged) > MIN_ACKNOWLEDGED, f"too little load ({len(acknowledged)} calls)"
    log = AuditLog.open(tmp_path / "wg.db")
    try:
        recorded = {
            json.loads(r.data)["body"]["prompt"]["sha256"]
            for r in log.records()
            if json.loads(r.data)["kind"] == "decision"
        }
        missing = [
            t for t in acknowledged if hashlib.sha256(t.encode()).hexdigest() not in recorded
        ]
        assert not missing, f"{len(missing)} acknowledged decisions missing, e.g. {missing[:3]}"
        # the log the killed process left is whole: sign a checkpoint over it and verify
        key_path = tmp_path / "wg.db.audit-key"
        log.checkpoint(load_private_key(key_path))
    finally:
        log.close()
    report = verify_log(tmp_path / "wg.db", [load_public_key(f"{key_path}.pub")])
    assert report.ok, report.format_text()
