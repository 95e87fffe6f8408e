#!/bin/sh
# A database cluster for the run, owned by the postgres user (postgres
# refuses to run as root): initdb from Debian's newest installed version.
set -e
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
chmod 755 "$(dirname "$1")" "$1"
mkdir "$1/data" "$1/sock"
chown postgres "$1/data" "$1/sock"
setpriv --reuid=postgres --regid=postgres --init-groups "$bin/initdb" -D "$1/data" -A trust -U postgres >/dev/null
ln -s "$bin/postgres" "$1/postgres"
