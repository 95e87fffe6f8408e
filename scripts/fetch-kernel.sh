#!/usr/bin/env bash
# Fetches a Debian cloud kernel for the QEMU lane and prints the path of its
# vmlinuz. The package is unpacked whole, so the lane also finds the kernel's
# sock_diag modules beside it (lib/modules/RELEASE).
#
#   scripts/fetch-kernel.sh                    # on Debian: the kernel the machine's
#                                              # linux-image-cloud-amd64 points at;
#                                              # elsewhere (Ubuntu): bookworm's
#   scripts/fetch-kernel.sh bullseye           # that suite's newest cloud kernel, its
#                                              # -security suite included: 5.10
#                                              # (bullseye), 6.1 (bookworm), 6.12 (trixie)
#   scripts/fetch-kernel.sh bookworm:linux-image-6.1.0-50-cloud-amd64=6.1.176-1 [DIR]
#                                              # that exact package and version, from the
#                                              # suite (a pin of scripts/kernels.txt)
#   scripts/fetch-kernel.sh linux-image-6.1.0-27-cloud-amd64 [DIR]
#   scripts/fetch-kernel.sh '' DIR             # the default, into DIR
#
# A suite is read through a private apt configuration under DIR (its own
# source list, package lists and cache): the machine's apt setup is not
# touched. It needs Debian's archive key, which Ubuntu has in the package
# debian-archive-keyring. DIR defaults to ~/.cache/bindmatrix/kernel; CI
# names one. Needs apt-get and dpkg-deb (Debian or Ubuntu); on Debian run
# 'apt-get update' first on a fresh machine for the default.
set -euo pipefail

what=${1:-}
dir=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/bindmatrix/kernel}
apt_opts=()

# The machine's own apt knows linux-image-cloud-amd64 on Debian only
# (Ubuntu has no such package): elsewhere the default is a Debian suite.
if [ -z "$what" ] && ! (. /etc/os-release 2>/dev/null && [ "${ID:-}" = debian ]); then
	what=bookworm
fi

version=
case "$what" in
[a-z]*:linux-image-*=*)
	version=${what#*=}
	pin=${what%%=*}
	what=${pin%%:*}
	pinned_pkg=${pin#*:}
	;;
esac

case "$what" in
'' | linux-image-*) ;;
*[!a-z]*)
	echo "fetch-kernel: '$what' is neither a suite (bullseye, bookworm, trixie) nor a linux-image package" >&2
	exit 2
	;;
*)
	# A suite: a private apt configuration that knows only it.
	suite=$what
	apt_dir="$dir/apt/$suite"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	if [ ! -r "$keyring" ]; then
		echo "fetch-kernel: no $keyring to check Debian's $suite with: apt-get install debian-archive-keyring" >&2
		exit 2
	fi
	{
		echo "deb [signed-by=$keyring] http://deb.debian.org/debian $suite main"
		echo "deb [signed-by=$keyring] http://deb.debian.org/debian-security $suite-security main"
	} >"$apt_dir/sources.list"
	apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")
	if [ "$(id -u)" = 0 ]; then
		apt_opts+=(-o APT::Sandbox::User=root) # the private directories are root's
	fi
	if ! ls "$apt_dir"/lists/*security*_InRelease >/dev/null 2>&1; then
		apt-get -q "${apt_opts[@]}" update >&2
	fi
	what=${pinned_pkg:-}
	;;
esac

pkg=$what
if [ -z "$pkg" ]; then
	pkg=$(apt-cache "${apt_opts[@]}" depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		echo "fetch-kernel: apt knows no linux-image-cloud-amd64; run 'apt-get update' or name a package or suite" >&2
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
	(cd "$work" && apt-get download -q "${apt_opts[@]}" "$pkg${version:+=$version}" >&2)
	mkdir -p "$target"
	dpkg-deb -x "$work"/*.deb "$target"
	dpkg-deb -f "$work"/*.deb Version >"$target/.version"
elif [ -n "$version" ] && [ -r "$target/.version" ] && [ "$(cat "$target/.version")" != "$version" ]; then
	echo "fetch-kernel: $target holds $pkg $(cat "$target/.version"), not $version" >&2
	exit 2
fi
ls "$target"/boot/vmlinuz-*
