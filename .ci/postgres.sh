#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the `postgres` tests and export the SALESOPS_PG_* variables.
# Source it (`. .ci/postgres.sh`); idempotent: installs Debian's postgresql package only when missing,
# re-uses a server already running on the data directory. Cluster, role and database are local to
# this machine; the password is generated here, never stored in the repository.
#
#   SALESOPS_PG_DATA  data directory (default /tmp/salesops-postgres)
#   SALESOPS_PG_PORT  port (default 5433, so a system server on 5432 is left alone)

export SALESOPS_PG_HOST="${SALESOPS_PG_HOST:-127.0.0.1}"
export SALESOPS_PG_PORT="${SALESOPS_PG_PORT:-5433}"
export SALESOPS_PG_USER="${SALESOPS_PG_USER:-salesops}"
export SALESOPS_PG_DATABASE="${SALESOPS_PG_DATABASE:-salesops}"
SALESOPS_PG_DATA="${SALESOPS_PG_DATA:-/tmp/salesops-postgres}"

_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(_pg_bin)" ]; then
    echo "installing postgresql (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
PG_BIN="$(_pg_bin)"

# PostgreSQL refuses to run as root: run the server as the postgres user when we are root.
_as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ ! -s "$SALESOPS_PG_DATA/PG_VERSION" ]; then
    mkdir -p "$SALESOPS_PG_DATA"
    [ "$(id -u)" = 0 ] && chown postgres: "$SALESOPS_PG_DATA"
    _as_owner "$PG_BIN/initdb" -D "$SALESOPS_PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >/dev/null
    # a test server: no fsync, small shared memory; sockets in the data directory
    cat >> "$SALESOPS_PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SALESOPS_PG_DATA'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
fi
if ! _as_owner "$PG_BIN/pg_ctl" -D "$SALESOPS_PG_DATA" status >/dev/null 2>&1; then
    _as_owner "$PG_BIN/pg_ctl" -D "$SALESOPS_PG_DATA" -o "-p $SALESOPS_PG_PORT" -l "$SALESOPS_PG_DATA/server.log" -w start >/dev/null
fi

if [ -z "${SALESOPS_PG_PASSWORD:-}" ]; then
    if [ -s "$SALESOPS_PG_DATA/.salesops_password" ]; then
        SALESOPS_PG_PASSWORD="$(cat "$SALESOPS_PG_DATA/.salesops_password")"
    else
        SALESOPS_PG_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
        (umask 077; echo "$SALESOPS_PG_PASSWORD" > "$SALESOPS_PG_DATA/.salesops_password")
    fi
fi
export SALESOPS_PG_PASSWORD

_psql() { _as_owner "$PG_BIN/psql" -h "$SALESOPS_PG_DATA" -p "$SALESOPS_PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
_psql -d postgres -v user="$SALESOPS_PG_USER" -v password="$SALESOPS_PG_PASSWORD" <<'SQL' >/dev/null
select format('create role %I login createdb createrole', :'user') where not exists (select from pg_roles where rolname = :'user') \gexec
alter role :"user" with login createdb createrole password :'password';
SQL
if [ -z "$(_psql -d postgres -c "select 1 from pg_database where datname = '$SALESOPS_PG_DATABASE'")" ]; then
    _psql -d postgres -c "create database \"$SALESOPS_PG_DATABASE\" owner \"$SALESOPS_PG_USER\"" >/dev/null
fi
echo "PostgreSQL on $SALESOPS_PG_HOST:$SALESOPS_PG_PORT, database $SALESOPS_PG_DATABASE, role $SALESOPS_PG_USER" >&2
