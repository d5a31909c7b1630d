"""Load driver: 20 concurrent clients in their own process, bounded loops, latency percentiles.

Run as `python -m bench.load URL MODE CLIENTS REQUESTS_PER_CLIENT REVIEW_ID TOKEN [PATH_PREFIX]`;
prints one JSON object. Only loopback addresses are accepted.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from urllib.parse import urlparse

import httpx

WRITE_BODY = {
    "title": "Load test note",
    "narrative": "A short note written by the load test, as a reviewer would between meetings.",
    "source_type": "interview",
    "category": "staff-leaders",
    "lines": ["SV1"],
    "stages": ["step-down"],
    "polarity": "context",
    "collected_on": "2026-03-03",
    "tags": ["load"],
}


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of the latencies, in milliseconds."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank] * 1000


def summary(latencies: list[float], wall: float, errors: int) -> dict[str, float]:
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(wall, 3),
        "throughput": round(len(latencies) / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
    }


async def drive(
    url: str, mode: str, clients: int, per_client: int, review_id: int, token: str, prefix: str
) -> dict[str, float]:
    host = urlparse(url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise SystemExit("the load driver only targets loopback addresses")
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0

    async def client(number: int, http: httpx.AsyncClient) -> None:
        nonlocal errors
        for i in range(per_client):
            if mode == "write":
                request = http.build_request(
                    "PUT",
                    f"{prefix}/reviews/{review_id}/evidence/{uuid.uuid4()}",
                    json={**WRITE_BODY, "title": f"Load note {number}-{i}"},
                    headers=headers,
                )
            elif i % 2 == 0:  # the review dashboard, then the evidence list
                request = http.build_request("GET", f"/reviews/{review_id}", headers=headers)
            else:
                request = http.build_request(
                    "GET", f"/api/v1/reviews/{review_id}/evidence?per_page=50", headers=headers
                )
            started = time.perf_counter()
            response = await http.send(request)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 400:
                errors += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(n, http) for n in range(clients)))
        wall = time.perf_counter() - started
    return summary(latencies, wall, errors)


def main() -> None:
    url, mode, clients, per_client, review_id, token = sys.argv[1:7]
    prefix = sys.argv[7] if len(sys.argv) > 7 else "/api/v1"
    result = asyncio.run(drive(url, mode, int(clients), int(per_client), int(review_id), token, prefix))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
