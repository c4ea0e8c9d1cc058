# syntax=docker/dockerfile:1
#
# MASIP production image: gunicorn serving masip.wsgi, the same image running the
# Celery worker and beat (see docker-compose.yml). Static files are built in a Node
# stage, collected with collectstatic and served by WhiteNoise.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

# --- Front-end assets: static/vendor/ (GOV.UK + MOJ Frontend CSS, fonts, JS) -------
FROM ${NODE_IMAGE} AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=optional
COPY scripts/build-assets.mjs scripts/
COPY static/src static/src
RUN npm run build

# --- Python dependencies, in a virtualenv copied whole into the final image --------
FROM ${PYTHON_IMAGE} AS python-deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_NO_CACHE=1
# uv lives in this stage only; the venv it fills is what the runtime image gets.
RUN pip install "uv==0.13.9" \
    && python -m venv /opt/venv
WORKDIR /build
COPY pyproject.toml requirements.lock ./
# Only the runtime dependencies from pyproject.toml, each at the version that
# requirements.lock pins (the lock also holds the dev tools, which stay out).
# --compile-bytecode: the runtime sets PYTHONDONTWRITEBYTECODE, so without .pyc files
# every process (each worker, each management command) would compile Django and the
# rest from source again, about 2 seconds a start on two cores.
RUN uv pip install --compile-bytecode --python /opt/venv/bin/python -r pyproject.toml -c requirements.lock

# --- Runtime ----------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# WeasyPrint (PDF reports) needs Pango and HarfBuzz, and fonts to render with.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core libmagic1 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 masip \
    && useradd --system --uid 10001 --gid masip --home-dir /app --shell /usr/sbin/nologin masip

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=masip.settings.production \
    PORT=8000

COPY --from=python-deps /opt/venv /opt/venv
WORKDIR /app
# The application, named path by path so that nothing local (.venv, var/, .env,
# node_modules) can reach the image. A new Django app must be added here.
COPY --chown=masip:masip manage.py pyproject.toml ./
COPY --chown=masip:masip masip masip
COPY --chown=masip:masip agencies agencies
COPY --chown=masip:masip audit audit
COPY --chown=masip:masip cases cases
COPY --chown=masip:masip triage triage
COPY --chown=masip:masip risk risk
COPY --chown=masip:masip advocacy advocacy
COPY --chown=masip:masip interventions interventions
COPY --chown=masip:masip reporting reporting
COPY --chown=masip:masip templates templates
COPY --chown=masip:masip static static
# A static/vendor/ built on the host must not mix with the one built above.
RUN rm -rf static/vendor
COPY --from=assets --chown=masip:masip /build/static/vendor static/vendor

# collectstatic only reads settings; production settings insist on these variables,
# so placeholders are given for this one command and are not kept in the image.
RUN SECRET_KEY="collectstatic-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgresql://collectstatic@localhost/collectstatic \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
    && chown -R masip:masip /app/staticfiles \
    && python -m compileall -q manage.py masip agencies audit cases triage risk advocacy interventions reporting

USER masip
EXPOSE 8000

# Each process gets its own command in docker-compose.yml; this is the web server.
CMD ["sh", "-c", "exec gunicorn masip.wsgi:application --bind 0.0.0.0:${PORT} --workers ${GUNICORN_WORKERS:-3} --access-logfile - --error-logfile -"]
