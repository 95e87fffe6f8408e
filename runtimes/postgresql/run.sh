#!/bin/sh
# postgres as its own user, on loopback, its Unix socket in the run's
# directory: the exec keeps the audit's process the server.
exec setpriv --reuid=postgres --regid=postgres --init-groups "$1/postgres" -D "$1/data" -k "$1/sock" -c listen_addresses=127.0.0.1 -p "$2"
