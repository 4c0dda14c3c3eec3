# One image for every faio service; docker-compose.yml picks the command per service.

# The AsyncAPI page's viewer, served by the services themselves (no CDN at run time).
FROM node:22-slim AS asyncapi-viewer
WORKDIR /tmp/viewer
RUN npm pack --silent @asyncapi/react-component@3.1.5 && tar -xzf *.tgz && mkdir /viewer \
    && cp package/browser/standalone/index.js package/styles/default.min.css /viewer/

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir .
COPY --from=asyncapi-viewer /viewer /app/static/asyncapi
ENV FAIO_ASYNCAPI_ASSETS_DIR=/app/static/asyncapi

# A numeric user, so Kubernetes can check runAsNonRoot (deploy/helm/faio runs it as 1000).
RUN useradd --create-home --uid 1000 faio && mkdir -p /app/.local && chown faio /app/.local
USER 1000

EXPOSE 8001 8002 8003 8004
CMD ["uvicorn", "--no-proxy-headers", "--factory", "services.intake.app:create_app", "--host", "0.0.0.0", "--port", "8001"]
