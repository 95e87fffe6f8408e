#!/bin/sh
# named -u bind reads its configuration and writes its files as bind: let
# that user into the run's directory.
set -e
chmod 755 "$(dirname "$1")"
chown bind "$1"
