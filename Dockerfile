# mockgw in a container: slim, non-root, with the bundled scenarios. See docs/containers.md.
#
#   docker build -t mockgw .
#   docker run --rm -p 127.0.0.1:8788:8788 mockgw                              # the bundled 'hello'
#   docker run --rm -p 127.0.0.1:8788:8788 -e MOCKGW_SCENARIO=weather mockgw   # another bundled one
#   docker run --rm -p 127.0.0.1:8788:8788 -v "$PWD/scenarios:/scenarios:ro" \
#       -e MOCKGW_SCENARIO=/scenarios -e MOCKGW_WATCH=1 mockgw                 # your own, reloaded on edit
#
# Configure it with MOCKGW_* variables (MOCKGW_SCENARIO, MOCKGW_PORT, MOCKGW_API_KEYS, MOCKGW_ADMIN_TOKEN,
# MOCKGW_WATCH, MOCKGW_LOG_FORMAT, ...; `mockgw serve --help` lists them). Set the port with MOCKGW_PORT,
# not --port: the healthcheck reads it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install from a wheel built here; the build tools and the sources are gone again in the same layer.
# The wheel carries the bundled scenarios (pyproject: scenarios -> mockgw/_bundled).
WORKDIR /tmp/mockgw-src
COPY pyproject.toml README.md ./
COPY mockgw ./mockgw
COPY scenarios ./scenarios
RUN pip install . && cd / && rm -rf /tmp/mockgw-src

# Run as a user without privileges (numeric, so `runAsNonRoot` can check it); /scenarios is where
# docker-compose.yml mounts your own scenario files.
RUN useradd --system --uid 10001 --create-home --home-dir /home/mockgw mockgw \
    && mkdir /scenarios && chown mockgw /scenarios
USER 10001
WORKDIR /home/mockgw

ENV MOCKGW_PORT=8788
EXPOSE 8788

# No curl in a slim image: Python asks /health. Any failure (refused, timeout, non-2xx) exits non-zero.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % (os.environ.get('MOCKGW_PORT') or '8788'), timeout=2)"]

# Inside a container mockgw must listen on all interfaces to be reachable at all; where it is reachable
# from is decided by publishing the port (-p 127.0.0.1:8788:8788 keeps it on this machine). Outside a
# container the default stays 127.0.0.1. Other commands work too: `docker run mockgw validate /scenarios`.
ENTRYPOINT ["mockgw"]
CMD ["serve", "--host", "0.0.0.0"]
