# Kasal: API + web app in one image. Build: docker build -t kasal .
FROM node:20-bookworm-slim AS web
WORKDIR /src/frontend
COPY frontend/ ./
RUN if [ -f package.json ]; then npm ci --no-audit --no-fund && npm run build; else mkdir -p dist; fi

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    KASAL_ENV=prod KASAL_HOST=0.0.0.0 KASAL_PORT=8000 KASAL_DATA_DIR=/data
RUN pip install --no-cache-dir uv && useradd --create-home --uid 10001 kasal \
    && mkdir -p /data && chown kasal /data
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src/ src/
COPY alembic/ alembic/
COPY alembic.ini ./
RUN uv sync --frozen --no-dev
COPY --from=web /src/frontend/dist frontend/dist
USER kasal
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/ready').status != 200)"
CMD [".venv/bin/kasal", "serve"]
