#!/bin/bash
# First start of the db service (an empty data directory): the two roles MASIP uses and
# its database. The image's POSTGRES_USER (a superuser) is used for this script only.
#
#   masip_owner  owns the database and its tables; `manage.py migrate` connects as it
#                (DATABASE_OWNER_URL) and then grants masip_app what the service needs.
#   masip_app    the web, worker and beat processes (DATABASE_URL): owns nothing, so it
#                cannot drop or disable a trigger, and on the access log it may only
#                read and insert.
#
# For a data directory made before this script existed, run it once by hand:
#   docker compose exec -e MASIP_DB_OWNER_PASSWORD -e MASIP_DB_APP_PASSWORD db \
#       bash /docker-entrypoint-initdb.d/10-masip-roles.sh
# then `ALTER DATABASE masip OWNER TO masip_owner` and `REASSIGN OWNED BY masip TO
# masip_owner` inside the masip database, and point DATABASE_URL at masip_app.
set -euo pipefail

: "${MASIP_DB_OWNER_PASSWORD:?set MASIP_DB_OWNER_PASSWORD}"
: "${MASIP_DB_APP_PASSWORD:?set MASIP_DB_APP_PASSWORD}"

psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -v owner_password="$MASIP_DB_OWNER_PASSWORD" -v app_password="$MASIP_DB_APP_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE masip_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'masip_owner') \gexec
SELECT 'CREATE ROLE masip_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'masip_app') \gexec
ALTER ROLE masip_owner PASSWORD :'owner_password';
ALTER ROLE masip_app PASSWORD :'app_password';
SELECT 'CREATE DATABASE masip OWNER masip_owner'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'masip') \gexec
REVOKE ALL ON DATABASE masip FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE masip TO masip_app;
\connect masip
ALTER SCHEMA public OWNER TO masip_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO masip_app;
SQL
