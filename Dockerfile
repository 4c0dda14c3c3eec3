# One image for every faio service; docker-compose.yml picks the command per service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir .

RUN useradd --create-home faio && mkdir -p /app/.local && chown faio /app/.local
USER faio

EXPOSE 8001 8002 8003 8004
CMD ["uvicorn", "--factory", "services.intake.app:create_app", "--host", "0.0.0.0", "--port", "8001"]
