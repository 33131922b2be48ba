# One image for web, worker and beat; docker-compose.yml chooses the command.

# The design system (GOV.UK Frontend from npm) and the stylesheet compiled with its Sass.
FROM node:20-slim AS assets
WORKDIR /build
COPY package.json .npmrc ./
RUN npm install --no-audit --no-fund --loglevel=error
COPY static/scss static/scss
RUN mkdir -p build/static/css && node_modules/.bin/sass --no-source-map --load-path=node_modules \
    --style=compressed static/scss/portal.scss build/static/css/portal.css

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORTAL_VAR_DIR=/app/var
RUN apt-get update \
    && apt-get install --no-install-recommends -y gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /build/build /app/build
COPY --from=assets /build/node_modules/govuk-frontend/dist/govuk /app/node_modules/govuk-frontend/dist/govuk
# Build-time only settings: collect static files and compile translations.
RUN SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --no-input -v0 \
    && SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py compilemessages -v0 \
    && useradd --create-home --uid 1000 portal \
    && mkdir -p /app/var/documents /app/var/external \
    && chown -R portal /app/var
USER portal
EXPOSE 8000
CMD ["gunicorn", "-c", "python:portal.gunicorn"]
