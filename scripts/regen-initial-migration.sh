#!/usr/bin/env bash
# Before the first release there is one migration; this rebuilds it from the models.
# After a release, add new revisions with `alembic revision --autogenerate` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
# Several people may run this at once; one at a time.
exec 9>/tmp/sysreview-migration.lock
flock 9
tmp=$(mktemp -d)
rm -f migrations/versions/0001_initial.py
.venv/bin/alembic -c alembic.ini -x url="sqlite:///$tmp/empty.db" revision --autogenerate --rev-id 0001 -m "initial schema" >/dev/null
mv migrations/versions/0001_initial_schema.py migrations/versions/0001_initial.py
.venv/bin/ruff format -q migrations/versions/0001_initial.py || true
rm -rf "$tmp"
echo "migrations/versions/0001_initial.py rebuilt"
