# Charter: `charter serve` (the registry and the built-in broker on one port) as one container.
#
#   docker build -t charter .
#   docker run --rm -v charter-data:/data charter charter keys create admin --role admin
#   docker run -p 8081:8081 -v charter-data:/data charter
#
# It listens on 0.0.0.0, so authentication is on: CHARTER_AUTH=required (every route but
# /health needs a key from `charter keys create`, or an OIDC token with CHARTER_OIDC_JWKS,
# CHARTER_OIDC_ISSUER and CHARTER_OIDC_AUDIENCE). `-e CHARTER_AUTH=none` runs it open, on
# purpose only. See docs/security.md.
#
# The builder turns the source tree into a wheel and installs that wheel, as a user would, into
# a venv at /opt/charter; the image keeps only that venv. The Alembic migrations travel inside
# the wheel (the `charter_migrations` package), so no source tree is needed to serve.

FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY . /src
RUN python -m pip wheel --quiet --no-deps --wheel-dir /wheels /src
RUN python -m venv /opt/charter \
    && /opt/charter/bin/python -m pip install --quiet /wheels/charter-*.whl \
    && /opt/charter/bin/charter --version \
    && /opt/charter/bin/python -c "from registry.db import alembic_dir; print(alembic_dir())"

FROM python:3.11-slim
ENV PATH=/opt/charter/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CHARTER_DATA_DIR=/data \
    CHARTER_PORT=8081 \
    CHARTER_AUTH=required
RUN groupadd --system charter \
    && useradd --system --gid charter --home-dir /data --no-create-home charter \
    && mkdir -p /data \
    && chown charter:charter /data
# The same path as in the builder: the venv's scripts name /opt/charter/bin/python.
COPY --from=builder /opt/charter /opt/charter
WORKDIR /data
USER charter
VOLUME ["/data"]
EXPOSE 8081
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/health' % os.environ.get('CHARTER_PORT', '8081'); sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]
CMD ["charter", "serve", "--host", "0.0.0.0"]
