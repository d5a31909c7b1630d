"""`make bench`: every figure beside the floor it is compared to; a table and bench/results/latest.json.

Sizes run one per process (each with its own SQLite database); then the API is loaded on the
1,000-item database by 20 concurrent clients in a second process, beside a bare Starlette floor.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable

TARGETS = {
    "export_over_floor": ("export time / WeasyPrint-alone floor", "<=", 1.10),
    "floor_over_reference": ("report HTML / same content as auto tables (1,000 items)", "<=", 0.70),
    "cached_over_first_pct": ("cached re-export / first export, %", "<", 1.0),
    "write_over_floor": ("evidence write throughput / bare insert floor", ">=", 0.5),
    "read_p99_during_render_ratio": ("read p99 while a large report renders / without", "<=", 2.0),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_size(size: int, runs: int) -> dict[str, Any]:
    folder = WORK / f"size-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    print(f"  size {size:>6,}: generating and exporting...", flush=True)
    out = subprocess.run(
        [PYTHON, "-m", "bench.size", str(size), str(folder), str(runs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"size {size} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


class Server:
    """uvicorn in a child process on a loopback port, stopped on exit."""

    def __init__(self, target: str, env: dict[str, str], factory: bool):
        self.port = free_port()
        args = [
            PYTHON,
            "-m",
            "uvicorn",
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        if factory:
            args.append("--factory")
        self.proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env})
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"server {target} did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def drive(url: str, mode: str, review_id: int, token: str, per_client: int, prefix: str = "/api/v1") -> dict:
    out = subprocess.run(
        [PYTHON, "-m", "bench.load", url, mode, "20", str(per_client), str(review_id), token, prefix],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _db_env(size: int) -> dict[str, str]:
    folder = WORK / f"size-{size}"
    return {"DATA_DIR": str(folder), "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}"}


def _facts(size: int) -> tuple[int, str, int]:
    """Review id, a lead token and the lead's id of a generated database."""
    return json.loads((WORK / f"size-{size}" / "generated.json").read_text()).values()  # type: ignore[return-value]


def load_phase(write_size: int, render_size: int, per_client: int) -> dict[str, Any]:
    review_id, token, lead_id = _facts(write_size)
    result: dict[str, Any] = {}

    print("  load: evidence writes, sysreview...", flush=True)
    app = Server("app.main:create_app", _db_env(write_size), factory=True)
    try:
        result["write"] = drive(app.url, "write", review_id, token, per_client)
        result["read"] = drive(app.url, "read", review_id, token, per_client)
    finally:
        app.stop()

    print("  load: bare insert floor...", flush=True)
    floor = Server("bench.floor:app", {**_db_env(write_size), "FLOOR_USER_ID": str(lead_id)}, factory=False)
    try:
        result["floor_write"] = drive(floor.url, "write", review_id, token, per_client, prefix="/floor")
    finally:
        floor.stop()
    result["write_over_floor"] = round(result["write"]["throughput"] / result["floor_write"]["throughput"], 3)

    print(f"  load: reads while the {render_size:,}-item report renders...", flush=True)
    big_review, big_token, _ = _facts(render_size)
    app = Server("app.main:create_app", _db_env(render_size), factory=True)
    try:
        headers = {"Authorization": f"Bearer {big_token}"}
        result["read_big"] = drive(app.url, "read", big_review, big_token, per_client)
        # A different variant from any cached render, so this one really renders.
        started = httpx.post(
            f"{app.url}/api/v1/reviews/{big_review}/report",
            json={"format": "pdf", "variant": "pdf/a-3b"},
            headers=headers,
            timeout=30,
        )
        started.raise_for_status()
        job = started.json()
        result["read_during_render"] = drive(app.url, "read", big_review, big_token, per_client)
        status = httpx.get(
            f"{app.url}/api/v1/reviews/{big_review}/report/jobs/{job['id']}", headers=headers, timeout=30
        ).json()["status"]
        result["render_still_running_at_end"] = status in ("queued", "running")
    finally:
        app.stop()
    result["read_p99_during_render_ratio"] = round(
        result["read_during_render"]["p99_ms"] / result["read_big"]["p99_ms"], 3
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="100,1000,10000", help="evidence items per review")
    parser.add_argument("--runs", type=int, default=3, help="timed repetitions per figure (median)")
    parser.add_argument("--requests", type=int, default=50, help="requests per client in the load test")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    WORK.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    print(f"sysreview benchmark: sizes {sizes}, {args.runs} runs, {os.cpu_count()} cores")
    per_size = []
    for size in sizes:
        per_size.append(run_size(size, args.runs))
        # Kept as each size finishes, so a failure later in the run loses nothing measured.
        (WORK / "sizes.json").write_text(json.dumps(per_size, indent=2))
    middle = 1000 if 1000 in sizes else sizes[len(sizes) // 2]
    load = load_phase(middle, max(sizes), args.requests)

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "sizes": per_size,
        "load": load,
        "seconds": round(time.perf_counter() - began, 1),
    }
    report["targets"] = check_targets(report, middle)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)


def check_targets(report: dict[str, Any], middle: int) -> list[dict[str, Any]]:
    checks = []

    def check(key: str, value: float, where: str) -> None:
        label, op, limit = TARGETS[key]
        ok = {"<=": value <= limit, "<": value < limit, ">=": value >= limit}[op]
        checks.append({"figure": label, "where": where, "value": value, "target": f"{op} {limit}", "met": ok})

    for size in report["sizes"]:
        check("export_over_floor", size["export_over_floor"], f"{size['items']:,} items")
        check("cached_over_first_pct", size["cached_over_first_pct"], f"{size['items']:,} items")
    for size in report["sizes"]:
        if size["items"] == middle:
            check("floor_over_reference", size["floor_over_reference"], f"{middle:,} items")
    check("write_over_floor", report["load"]["write_over_floor"], "20 clients")
    check("read_p99_during_render_ratio", report["load"]["read_p99_during_render_ratio"], "20 clients")
    return checks


def print_table(report: dict[str, Any]) -> None:
    print()
    print("Report export (medians; seconds unless marked)")
    head = (
        "items",
        "generate",
        "export",
        "floor",
        "ratio",
        "auto tables",
        "floor/ref",
        "pages",
        "PDF KiB",
        "peak MiB",
        "cached",
        "cached %",
        "export/1k",
        "dashboard ms",
        "list ms",
    )
    print(" | ".join(f"{h:>11}" for h in head))
    for s in report["sizes"]:
        per_k = s["export_s"] / max(s["items"] / 1000, 1e-9)
        row = (
            f"{s['items']:,}",
            s["generate_s"],
            s["export_s"],
            s["floor_s"],
            s["export_over_floor"],
            s["reference_s"],
            s["floor_over_reference"],
            s["pages"],
            s["pdf_kib"],
            s["render_peak_rss_mib"],
            s["cached_export_s"],
            s["cached_over_first_pct"],
            round(per_k, 3),
            s["dashboard_ms"],
            s["evidence_list_ms"],
        )
        print(" | ".join(f"{str(v):>11}" for v in row))
    print()
    print("Growth: time per 1,000 items")
    for s in report["sizes"]:
        k = s["items"] / 1000
        print(
            f"  {s['items']:>6,} items: export {s['export_s'] / k:8.3f} s, "
            f"dashboard {s['dashboard_ms'] / k:8.2f} ms, evidence list {s['evidence_list_ms'] / k:8.2f} ms"
        )
    load = report["load"]
    print()
    print("API under load (20 concurrent clients)")
    print(f"{'':28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for key, label in (
        ("write", "evidence PUT (sysreview)"),
        ("floor_write", "bare insert (floor)"),
        ("read", "dashboard + list"),
        ("read_big", "reads, largest review"),
        ("read_during_render", "reads while report renders"),
    ):
        r = load[key]
        print(
            f"{label:28}{r['throughput']:>9}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}{r['errors']:>8}"
        )
    print(f"render still running when the reads ended: {load['render_still_running_at_end']}")
    print()
    print("Targets")
    for t in report["targets"]:
        mark = "met" if t["met"] else "MISSED"
        print(f"  [{mark}] {t['figure']} ({t['where']}): {t['value']} (target {t['target']})")
    print(f"\nwhole run: {report['seconds']} s; figures in bench/results/latest.json")


if __name__ == "__main__":
    main()
