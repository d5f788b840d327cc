# Production image: gunicorn serving licensemgr.wsgi. Configure it with the
# environment variables listed in the README; it needs DATABASE_URL,
# DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_DEBUG=0 \
    PORT=8000

WORKDIR /app
RUN useradd --create-home --uid 1000 app

COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .

COPY . .
# collectstatic needs settings but no database or real secret.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

USER app
EXPOSE 8000
# Migrations run once per release, before the new instances start:
#   docker run --rm IMAGE python manage.py migrate
# The scheduled pass runs in one or more worker containers:
#   docker run IMAGE python manage.py run_worker
CMD ["sh", "-c", "gunicorn licensemgr.wsgi --bind 0.0.0.0:${PORT} --workers 3 --access-logfile -"]
