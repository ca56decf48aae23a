#!/bin/sh
# Runs once, when the PostgreSQL container initialises an empty data directory (compose only).
# Creates the role the services connect as: it can log in, but it is no superuser and cannot
# bypass row-level security, so the tenant policies bind it. `vextrus migrate`, run as the owner
# (POSTGRES_USER), grants it the use of every service schema.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=app_password="${APP_DB_PASSWORD:?APP_DB_PASSWORD is required}" <<'SQL'
CREATE ROLE vextrus_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
GRANT CONNECT ON DATABASE vextrus TO vextrus_app;
SQL
