#!/usr/bin/env bash
# Container start: migrate, load frameworks, optionally seed the demo, serve.
set -euo pipefail
sysreview db upgrade
sysreview frameworks load
if [ "${SYSREVIEW_DEMO:-0}" = "1" ]; then
  sysreview demo seed
fi
exec sysreview serve --host 0.0.0.0 --port "${PORT:-8000}" --workers "${WEB_CONCURRENCY:-2}"
