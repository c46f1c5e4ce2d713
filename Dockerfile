# Charter: `charter serve` (the registry and the built-in broker on one port) as one container.
#
#   docker build -t charter .
#   docker run -p 8081:8081 -v charter-data:/data charter
#
# The install steps are the Makefile's: `python -m venv`, then `pip install -e .`. The install is
# editable on purpose: the Alembic migrations live in the top-level alembic/ folder, found
# relative to the packages, so the whole source tree ships with the venv at the same path.

FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
RUN python -m venv /app/.venv \
    && /app/.venv/bin/python -m pip install --quiet --upgrade pip
COPY . /app
RUN /app/.venv/bin/python -m pip install --quiet -e . \
    && /app/.venv/bin/charter --help > /dev/null

FROM python:3.11-slim
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CHARTER_DATA_DIR=/data \
    CHARTER_PORT=8081
RUN groupadd --system charter \
    && useradd --system --gid charter --home-dir /data --no-create-home charter \
    && mkdir -p /data \
    && chown charter:charter /data
# Same path as in the builder: the venv's scripts and the editable install point at /app.
COPY --from=builder /app /app
WORKDIR /app
USER charter
VOLUME ["/data"]
EXPOSE 8081
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/health' % os.environ.get('CHARTER_PORT', '8081'); sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]
CMD ["charter", "serve", "--host", "0.0.0.0"]
