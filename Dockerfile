# A live site in a container: `baytwin live run` as a non-root user, healthy while GET /ready answers 200.
# Build and run the whole site (PostgreSQL, live run, dashboard) with compose.yaml: `docker compose up -d`.
# docs/live.md ("Deploying") says what goes in the site folder.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BAYTWIN_LISTEN_HOST=0.0.0.0

# OpenCV's headless wheel links GLib; onnxruntime uses OpenMP.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libglib2.0-0 libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/baytwin
COPY pyproject.toml README.md ./
COPY baytwin ./baytwin
COPY core ./core
COPY sim ./sim
COPY live ./live
COPY dashboards ./dashboards
COPY scenarios ./scenarios
RUN pip install . && rm -rf /opt/baytwin/build

# The site folder is mounted read-only; keys, checkpoints and runs are written by this user.
RUN useradd --create-home --uid 10001 baytwin \
    && mkdir -p /site /keys /checkpoints /runs \
    && chown baytwin:baytwin /keys /checkpoints /runs
USER baytwin
WORKDIR /home/baytwin

EXPOSE 9000 8501
# /ready, not /health: a charger switched off at night makes the site degraded, which is for a person to see in
# the report, not a reason to mark the container unhealthy (or have it restarted). A site serving wss:// adds --tls.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["baytwin", "health", "--site", "/site/site.yaml"]
CMD ["baytwin", "live", "run", "--site", "/site/site.yaml"]
