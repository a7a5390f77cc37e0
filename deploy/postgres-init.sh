#!/bin/sh
# Run once by the postgres image when it initialises an empty data directory (compose.yaml mounts it
# into /docker-entrypoint-initdb.d). Creates what README "Deploy on your own PostgreSQL" asks for: the
# owner of Rollgate's tables, allowed to create roles but no superuser, and its database. rollgate_app
# is created by Rollgate's first start, with the password in DATABASE_URL.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v owner_password="$ROLLGATE_OWNER_PASSWORD" <<'SQL'
CREATE ROLE rollgate_owner LOGIN CREATEROLE PASSWORD :'owner_password';
CREATE DATABASE rollgate OWNER rollgate_owner;
SQL
