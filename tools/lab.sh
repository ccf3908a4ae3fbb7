#!/usr/bin/env bash
# lab.sh: the lab container behind `make lab`.
#
#     usage: tools/lab.sh [--build | --which] [COMMAND [ARG...]]
#
# Builds the lab image from the Dockerfile when it is missing, then runs it
# privileged, with this workbook mounted at /workbook as the working
# directory: a shell with a greeting, or COMMAND when one is given.
#   --build   build the image if it is missing, and stop
#   --which   print the engine and the image name, and stop
# Environment: LAB_ENGINE (docker or podman; default: docker if its engine
# answers, else podman); LAB_BUILD_OPTS and LAB_RUN_OPTS, extra options for
# the engine's build and run (split on spaces; LAB_BUILD_OPTS, even empty,
# replaces the --network=host a rootful podman builds with).
#
# Runs under the bash of macOS (3.2) too: no mapfile, no empty "${a[@]}".
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
name=workbook-lab

# The files the image is built from: the Dockerfile and what it copies in
# (.dockerignore lets in exactly these).  Their checksum names the image, so
# a change to any of them builds a new one and nothing else does.
inputs=(Dockerfile .dockerignore tools/packages.txt tools/setup.sh tools/lab-entry.sh)

# die: prints "lab: MESSAGE" to stderr and exits 1.
die() {
	echo "lab: $*" >&2
	exit 1
}

# pick_engine: prints the engine to use.  LAB_ENGINE if set; otherwise docker
# when its engine answers, then podman.  Docker comes first because a student
# who has both most likely set up and started Docker on purpose (Docker
# Desktop), and podman's docker shim answers to `docker` anyway; podman needs
# no daemon on Linux, so it is the fallback when docker's is not running.
# Dies with the reason when no engine answers.
pick_engine() {
	local engine err tried=""
	if [ -n "${LAB_ENGINE:-}" ]; then
		command -v "$LAB_ENGINE" >/dev/null || die "the engine asked for, $LAB_ENGINE, is not installed"
		set -- "$LAB_ENGINE"
	else
		set -- docker podman
	fi
	for engine in "$@"; do
		command -v "$engine" >/dev/null || continue
		if err=$("$engine" info 2>&1 >/dev/null); then
			echo "$engine"
			return 0
		fi
		tried="$tried; $engine: $(printf '%s\n' "$err" | grep -m1 . || true)"
	done
	[ -n "$tried" ] || die "neither docker nor podman is installed: install one (Docker Desktop on macOS and Windows), or see README.md for working without the lab"
	die "no container engine answers (start Docker Desktop, or run sudo systemctl start docker, or podman machine start)${tried}"
}

# image_tag: prints the image name, tagged with a checksum of the inputs.
# cksum is POSIX, so this works on macOS as on Linux.
image_tag() {
	local sum
	sum=$(cd "$root" && cat "${inputs[@]}" | cksum | awk '{ printf "%08x", $1 }')
	echo "$name:$sum"
}

# build: builds IMAGE with ENGINE unless it exists, then removes the lab
# images that earlier versions of the inputs built.
build() {
	local engine=$1 image=$2 old opt
	local args=(build --tag "$image" --file "$root/Dockerfile")
	"$engine" image inspect "$image" >/dev/null 2>&1 && return 0
	# Rootful podman would add a bridge and NAT rules to the host only so
	# that apt can download; the host's own network downloads the same and
	# leaves the machine's network as it was.
	if [ -z "${LAB_BUILD_OPTS+set}" ] && [ "$engine" = podman ] && [ "$(id -u)" = 0 ]; then
		args+=(--network=host)
	fi
	for opt in ${LAB_BUILD_OPTS:-}; do args+=("$opt"); done
	echo "lab: building the image $image with $engine (once; a few minutes)" >&2
	"$engine" "${args[@]}" "$root" || die "$engine could not build $image from $root/Dockerfile"
	for old in $("$engine" images --format '{{.Repository}}:{{.Tag}}' | grep -E "(^|/)$name:" | grep -v ":${image#*:}\$" || true); do
		echo "lab: removing $old, built from an older Dockerfile" >&2
		"$engine" rmi "$old" >/dev/null 2>&1 || true
	done
}

[ -z "${WORKBOOK_LAB:-}" ] || die "you are already in the lab"
mode=run
case "${1:-}" in
--build) mode=build; shift ;;
--which) mode=which; shift ;;
-*) die "unknown option $1 (usage: tools/lab.sh [--build | --which] [COMMAND [ARG...]])" ;;
esac
case "$root" in
*:*) die "the workbook's path has a ':', which the engine's -v cannot mount: $root" ;;
esac

engine=$(pick_engine)
image=$(image_tag)
if [ "$mode" = which ]; then
	echo "$engine $image"
	exit 0
fi
build "$engine" "$image"
[ "$mode" = run ] || exit 0

# --privileged: the lab creates namespaces, mounts file systems and sets the
# hostname, which the engine's default capabilities and seccomp filter refuse.
# --hostname lab: so that the uts chapter's change is plain to see.
args=(run --rm --privileged --hostname lab --volume "$root:/workbook" --workdir /workbook)
for opt in ${LAB_RUN_OPTS:-}; do args+=("$opt"); done
if [ -t 0 ]; then
	args+=(--interactive --tty)
elif [ $# -eq 0 ]; then
	die "no terminal for a shell: give the lab a command, e.g. make lab CMD='make test'"
fi
exec "$engine" "${args[@]}" "$image" "$@"
