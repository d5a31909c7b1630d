# sysreview: the steps mirror `make run` (install, migrate, load frameworks, serve).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ENVIRONMENT=production \
    DATA_DIR=/data

# WeasyPrint's libraries; fonts for the report ship in report_templates/.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 shared-mime-info fontconfig \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 sysreview \
 && mkdir -p /data && chown sysreview:sysreview /data

WORKDIR /app
# Exactly the locked versions, each checked against its hash, then the app without dependencies.
COPY requirements-runtime.lock ./
RUN pip install --require-hashes -r requirements-runtime.lock
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install --no-deps --no-build-isolation -e .
COPY alembic.ini ./
COPY migrations ./migrations
COPY frameworks ./frameworks
COPY report_templates ./report_templates
COPY scripts/docker-start.sh ./scripts/docker-start.sh

USER sysreview
VOLUME ["/data"]
EXPOSE 8000
# The slim image has no curl: ask /healthz with the Python already there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=4)" || exit 1
# SECRET_KEY must be set (32+ random characters); DATABASE_URL defaults to SQLite in /data.
CMD ["bash", "scripts/docker-start.sh"]
