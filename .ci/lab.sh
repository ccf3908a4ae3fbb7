#!/usr/bin/env bash
# .ci/lab.sh: builds the lab image with podman, the way `make lab` builds it,
# then runs `make test` inside a privileged container made from it.
# Run as root by .ci/run.  With --podman, it stops once podman and the base
# image are set up.
#
# The CI machine's own set-up, which `make lab` does not carry (a student's
# docker or podman works as installed):
#  - podman, runc and debootstrap from Debian;
#  - /etc/containers/containers.conf: runc, because crun refuses this VM's
#    hybrid cgroup layout; ulimits that podman can set without the
#    CAP_SYS_RESOURCE the VM withholds; and no network for containers unless
#    asked, so that a plain `make lab` here adds no bridge to the machine;
#  - a debian:bookworm base image: there is no registry to pull it from, so
#    it is made with debootstrap, from the Debian mirror this machine's apt
#    uses (tools/apt-mirror.sh), and imported, once.
# The image is built on the host's network (apt downloads; no bridge or
# firewall rule is added to the machine) and the tests run with none.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# podman names an image it imports localhost/NAME, and finds it by NAME.
base=debian:bookworm
mirror=$(tools/apt-mirror.sh bookworm)
security=$(tools/apt-mirror.sh bookworm-security 2>/dev/null || true)
conf=/etc/containers/containers.conf

# say: prints one line about the step CI is at, with the time it has taken.
say() { echo "ci lab [${SECONDS}s]: $*"; }

# need PACKAGE...: installs the Debian packages that are not installed yet.
# dpkg-query names a package it has never heard of only in its error line,
# hence the last word of each line that does not say "installed".
need() {
	local missing
	mapfile -t missing < <(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "$@" 2>&1 |
		awk '$1 != "installed" { print $NF }')
	[ ${#missing[@]} -gt 0 ] || return 0
	say "installing ${missing[*]}"
	apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		{ apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; }
}

# die: prints "ci lab: MESSAGE" to stderr and exits 1.
die() {
	echo "ci lab: $*" >&2
	exit 1
}

# make_base: debootstraps Debian 12 into a scratch folder and imports it as
# $base, with this machine's Debian mirrors as its apt sources.
make_base() {
	local rootfs
	rootfs=$(mktemp -d /var/tmp/lab-base.XXXXXX)
	# shellcheck disable=SC2064 # the folder is known now
	trap "rm -rf '$rootfs'" EXIT
	say "making $base with debootstrap from $mirror"
	debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
		{ tail -n 20 "$rootfs.log" >&2; die "debootstrap failed; the log is $rootfs.log"; }
	rm -f "$rootfs.log" "$rootfs/etc/apt/sources.list"
	{
		printf '%s\n' 'Types: deb' "URIs: $mirror" 'Suites: bookworm bookworm-updates' \
			'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
		[ -z "$security" ] || printf '%s\n' '' 'Types: deb' "URIs: $security" \
			'Suites: bookworm-security' 'Components: main' \
			'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
	} >"$rootfs/etc/apt/sources.list.d/debian.sources"
	rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
	tar -C "$rootfs" -c . | podman import --change 'CMD ["bash"]' - "$base" >/dev/null
	rm -rf "$rootfs"
	trap - EXIT
}

[ "$(id -u)" -eq 0 ] || die "run as root: it installs packages and configures podman"

need podman runc debootstrap uidmap

wanted=$(printf '%s\n' '[containers]' \
	'default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]' \
	'netns = "none"' \
	'[engine]' 'runtime = "runc"')
if [ "$(cat "$conf" 2>/dev/null)" != "$wanted" ]; then
	say "writing $conf"
	mkdir -p "$(dirname "$conf")"
	[ ! -e "$conf" ] || [ -e "$conf.orig" ] || cp "$conf" "$conf.orig"
	printf '%s\n' "$wanted" >"$conf"
fi

podman image exists "$base" || make_base
# --podman: only the set-up above, for the other checks that need podman
# (make test-gradescope).
[ "${1:-}" != --podman ] || exit 0

export LAB_ENGINE=podman LAB_BUILD_OPTS=--network=host LAB_RUN_OPTS=--network=none
say "building the lab image, unless it is built"
tools/lab.sh --build

# A build folder inside the container: the lab must build everything from
# nothing, whatever the host's build/ already holds, and the host's tree is
# left as it was.
state=$(mktemp)
trap 'rm -f "$state"' EXIT
tools/host-state.sh --without-podman >"$state"
say "make test, in the lab"
make lab CMD='make test B=/tmp/build'
if ! tools/host-state.sh --without-podman | diff -u "$state" -; then
	die "the lab changed the machine: see the diff above"
fi
say "passed"
