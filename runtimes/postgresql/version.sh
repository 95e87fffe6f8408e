#!/bin/sh
# The version of Debian's newest installed postgres.
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
exec "${bin:-/nonexistent}/postgres" --version
