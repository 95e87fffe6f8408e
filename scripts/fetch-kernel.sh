#!/usr/bin/env bash
# Fetches a Debian cloud kernel for the QEMU lane and prints the path of its
# vmlinuz. The package is unpacked whole, so the lane also finds the kernel's
# sock_diag modules beside it (lib/modules/RELEASE).
#
#   scripts/fetch-kernel.sh                    # the kernel linux-image-cloud-amd64 points at
#   scripts/fetch-kernel.sh linux-image-6.1.0-27-cloud-amd64 [DIR]
#
# DIR defaults to ~/.cache/bindmatrix/kernel. Needs apt-get and dpkg-deb
# (Debian or Ubuntu); run 'apt-get update' first on a fresh machine.
set -euo pipefail

pkg=${1:-}
dir=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/bindmatrix/kernel}

if [ -z "$pkg" ]; then
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		echo "fetch-kernel: apt knows no linux-image-cloud-amd64; run 'apt-get update' or name a package" >&2
		exit 2
	fi
fi
pkg=${pkg%-unsigned}

target="$dir/$pkg"
if ! ls "$target"/boot/vmlinuz-* >/dev/null 2>&1; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	chmod a+rwx "$work" # apt downloads as its own _apt user
	# apt-get download writes into the current directory.
	(cd "$work" && apt-get download -q "$pkg" >&2)
	mkdir -p "$target"
	dpkg-deb -x "$work"/*.deb "$target"
fi
ls "$target"/boot/vmlinuz-*
