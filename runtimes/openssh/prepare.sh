#!/bin/sh
# A host key for the run, and the privilege separation directory sshd
# wants (Debian's service makes it at boot).
set -e
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$1/host_key"
