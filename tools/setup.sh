#!/usr/bin/env bash
# setup.sh: make sure the packages in tools/packages.txt are installed.
#
# As root, installs what is missing with apt-get.  As any other user, prints
# the one command that would install it and fails.  Exit 0 when all is there.
set -euo pipefail

here=$(dirname "$0")
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt" | awk '{print $1}')

if ! command -v dpkg-query >/dev/null; then
	echo "setup: no dpkg-query: this is not Debian or Ubuntu; install the equivalents of: ${wanted[*]}" >&2
	exit 1
fi

missing=()
for pkg in "${wanted[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing packages: ${missing[*]}" >&2
	echo "setup: install them with: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# An image or a fresh machine may have no package lists yet.
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
fi
