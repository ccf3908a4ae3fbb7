#!/usr/bin/env bash
# gradescope-test.sh: Gradescope's autograder.zip, graded offline in a
# container started the way Gradescope starts its own (make test-gradescope).
#
#     usage: tests/grader/gradescope-test.sh BUILD_DIR
#
# Needs root and podman, configured as .ci/lab.sh configures it, with its
# local debian:bookworm base image (there is no Ubuntu image here, nor a
# registry: the container is Debian 12's userland, where Gradescope's is
# Ubuntu 22.04's).
#
# 1. make gradescope; an image is made from the base the way Gradescope
#    makes one: the zip unpacked into /autograder/source, run_autograder
#    copied to /autograder/, setup.sh run there as root (with the network,
#    as Gradescope's image builds have it).
# 2. Each submission is graded in a container of that image started as
#    Gradescope's are: not privileged, Docker's default capabilities, a
#    seccomp profile that refuses what Docker's default one refuses
#    (written below from its rules), 768 MB of memory, one CPU
#    (GRADESCOPE_CPUS), no network: a solutions submission (a chapters/
#    folder's contents) and a stubs submission (a folder holding
#    chapters/), each of the chapters GRADESCOPE_CHAPTERS names (uts; the
#    exercises of the others are missing, and graded so); each results.json must
#    give every test the grade tools/check.sh gives it for the same files on
#    this machine, and the same message, but for what a message says of the
#    machine it ran on (the spare uid, the file system of /usr and /etc, a
#    /lib32, and so where a long listing of mounts is cut short); and the
#    grading must have gone through the test VM, the namespaces refused.
# 3. The same solutions in a container that lets namespaces be made
#    (--privileged, as some graders' are): graded directly, not in the VM,
#    with the same results.
# 4. An empty submission gets a results.json that says, visibly, that it
#    could not be graded.
# The zip is made for an assignment whose limit is GRADESCOPE_MINUTES (10,
# Gradescope's default).  Emulated on Gradescope's default of half a CPU,
# a whole workbook takes about twice as long as on one, most of the 9
# minutes the VM is given: GRADESCOPE_CPUS=0.5 GRADESCOPE_CHAPTERS="net
# mount uts ipc pid user rootfs network privileges" tries that;
# bench/class.sh measures a whole workbook's solutions through the VM.  Older images this
# test made are removed.
# Prints each grading's time, and "gradescope: N passed, M failed" last.
set -euo pipefail

build=$(realpath -m -- "${1:?usage: tests/grader/gradescope-test.sh BUILD_DIR}")
root=$(cd "$(dirname "$0")/../.." && pwd)
base=debian:bookworm
passed=0
failed=0

# expect WHAT COMMAND...: runs COMMAND, counts it, prints WHAT if it failed.
expect() {
	local what=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok - $what"
	else
		failed=$((failed + 1))
		echo "not ok - $what"
	fi
}
say() { echo "gradescope [${SECONDS}s]: $*"; }
# quietly COMMAND...: runs COMMAND, its output dropped (not expect's).
quietly() { "$@" >/dev/null; }

[ "$(id -u)" -eq 0 ] || { echo "gradescope: run as root: podman builds and runs the container" >&2; exit 2; }
if ! command -v podman >/dev/null || ! podman image exists "$base"; then
	echo "gradescope: needs podman and its $base image: run .ci/lab.sh first, which sets both up" >&2
	exit 2
fi

tmp=$(mktemp -d /var/tmp/gradescope-test.XXXXXX)
# kept when a check failed: the logs of each run are there.
trap '[ "$failed" -ne 0 ] && echo "gradescope: the runs are kept in $tmp" || rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

# -- 1. The zip, and the image Gradescope would make of it.
say "make gradescope"
"$root/tools/gradescope.sh" -B "$build" -m "${GRADESCOPE_MINUTES:-10}"
zip="$build/gradescope/autograder.zip"
image="localhost/workbook-gradescope-test:$(sha256sum "$zip" | cut -c1-16)"
# Only the image of this zip is kept.
podman images --format '{{.Repository}}:{{.Tag}}' | grep "^${image%:*}:" | grep -vxF "$image" |
	xargs -r podman rmi >/dev/null 2>&1 || true
if ! podman image exists "$image"; then
	say "building $image (setup.sh)"
	cp "$zip" "$tmp/autograder.zip"
	# The packages first, in a layer of their own that podman keeps from
	# one zip to the next (setup.sh then finds them installed); unzip,
	# python3 and jq, as Gradescope's base image has them.
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$root/tools/packages.txt" | awk '{ print $1 }' |
		tr '\n' ' ' >"$tmp/packages"
	cat >"$tmp/Containerfile" <<'EOF'
FROM debian:bookworm
COPY packages /tmp/packages
RUN apt-get update -q && apt-get install -y -q --no-install-recommends unzip jq python3 \
    qemu-system-x86 xz-utils $(cat /tmp/packages) >/dev/null
COPY autograder.zip /tmp/autograder.zip
RUN mkdir -p /autograder/source /autograder/results /autograder/submission && \
    unzip -q /tmp/autograder.zip -d /autograder/source && rm /tmp/autograder.zip && \
    cp /autograder/source/run_autograder /autograder/run_autograder && \
    cd /autograder/source && bash ./setup.sh
EOF
	podman build --pull=never --network=host -t "$image" "$tmp" >"$tmp/build.log" 2>&1 ||
		{ tail -n 30 "$tmp/build.log" >&2; echo "gradescope: the image did not build" >&2; exit 1; }
fi

# -- Docker's default seccomp profile, as far as namespaces are concerned,
# and the other calls it refuses (its allowlist leaves them out): unshare,
# setns, mount, umount2, sethostname and setdomainname only with
# CAP_SYS_ADMIN, which the container does not have; clone3 answers ENOSYS
# so that the C library falls back to clone; clone only without a CLONE_NEW*
# flag; pivot_root never.  Written as a denylist over an allowed default.
clone_new=(0x00020000 0x02000000 0x04000000 0x08000000 0x10000000 0x20000000 0x40000000)
refused=(unshare setns mount umount umount2 pivot_root sethostname setdomainname
	fsopen fsconfig fsmount fspick move_mount open_tree mount_setattr
	acct add_key request_key keyctl bpf perf_event_open userfaultfd
	init_module finit_module delete_module kexec_load kexec_file_load
	open_by_handle_at name_to_handle_at quotactl reboot swapon swapoff
	settimeofday clock_settime clock_adjtime adjtimex stime iopl ioperm
	lookup_dcookie nfsservctl syslog uselib ustat sysfs _sysctl vm86 vm86old
	create_module get_kernel_syms query_module mbind set_mempolicy move_pages kcmp)
jq -n --argjson names "$(printf '%s\n' "${refused[@]}" | jq -R . | jq -s .)" \
	--argjson flags "$(printf '%d\n' "${clone_new[@]}" | jq -s .)" '{
	defaultAction: "SCMP_ACT_ALLOW",
	architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	syscalls: ([{ names: $names, action: "SCMP_ACT_ERRNO", errnoRet: 1 },
		{ names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }] +
		[$flags[] | { names: ["clone"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
			args: [{ index: 0, value: ., valueTwo: ., op: "SCMP_CMP_MASKED_EQ" }] }]) }' \
	>"$tmp/seccomp.json"
caps=(CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP
	SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE)

# gradescope NAME [SUBMISSION [PODMAN_OPTION...]]: grades $tmp/SUBMISSION
# (NAME) as Gradescope would, or with the options given instead of its
# restrictions; its results in $tmp/NAME.results/results.json, its output
# in $tmp/NAME.log.
gradescope() {
	local start=$SECONDS rc=0 name=$1 submission=${2:-$1}
	shift $(($# > 1 ? 2 : 1))
	[ $# -gt 0 ] || set -- --cap-drop=all "${caps[@]/#/--cap-add=}" \
		--security-opt seccomp="$tmp/seccomp.json"
	mkdir -p "$tmp/$name.results"
	podman run --rm --pull=never --network=none --memory=768m --memory-swap=768m \
		--cpus="${GRADESCOPE_CPUS:-1}" "$@" \
		-v "$tmp/$submission:/autograder/submission:ro" -v "$tmp/$name.results:/autograder/results" \
		"$image" /autograder/run_autograder >"$tmp/$name.log" 2>&1 || rc=$?
	set -- "$name"
	say "$1: run_autograder took $((SECONDS - start)) s (status $rc): $(grep -m1 'done in' "$tmp/$1.log" || tail -n 1 "$tmp/$1.log")"
}
# grades FILE: each test's grade in the results.json FILE, without its
# message; normal FILE: all of it, the messages without what they say of
# the machine (see the top).
grades() { jq -S 'del(.tests[].output)' "$1"; }
normal() {
	jq -S '.tests[].output |= (gsub("\\b2[0-9]{5}\\b"; "UID") |
		gsub("(?<d>/usr|/etc) (9p|ext4|xfs|btrfs|overlay)"; "\(.d) FS") |
		gsub(" (lib32|libx32) "; " ") | sub(", [^,]*\\.\\.\\.\\..*"; ", ...."))' "$1"
}

# -- 2. Solutions and stubs, one after the other, of a chapter or two: under
# emulation a whole workbook takes most of the 10 minutes.
mkdir -p "$tmp/solutions" "$tmp/stubs/chapters"
for chapter in ${GRADESCOPE_CHAPTERS:-uts}; do
	dir=$(cd "$root/solutions" && find . -maxdepth 1 -name "[0-9][0-9]-$chapter" -printf '%P\n')
	[ -n "$dir" ] || { echo "gradescope: GRADESCOPE_CHAPTERS: no chapter $chapter" >&2; exit 2; }
	cp -a "$root/solutions/$dir" "$tmp/solutions/"
	cp -a "$root/chapters/$dir" "$tmp/stubs/chapters/"
done
for name in solutions stubs; do
	gradescope "$name"
	work="$tmp/$name"
	[ "$name" = solutions ] || work="$tmp/$name/chapters"
	"$root/tools/check.sh" -o "$tmp/$name.host" -B "$build" "$work" >"$tmp/$name.host.log" 2>&1 || true
	expect "$name: the namespaces were refused in the container, and it graded in the test VM" \
		grep -q "namespaces are refused here.*grading in the test VM" "$tmp/$name.log"
	expect "$name: every test's grade in results.json is the one tools/check.sh gives here" \
		cmp -s <(grades "$tmp/$name.results/results.json" 2>/dev/null) <(grades "$tmp/$name.host/results.json")
	expect "$name: and so is every message, but what it says of the machine" \
		cmp -s <(normal "$tmp/$name.results/results.json" 2>/dev/null) <(normal "$tmp/$name.host/results.json")
	if ! cmp -s <(normal "$tmp/$name.results/results.json" 2>/dev/null) <(normal "$tmp/$name.host/results.json"); then
		diff <(normal "$tmp/$name.results/results.json" 2>/dev/null) <(normal "$tmp/$name.host/results.json") | head -n 20 || true
		tail -n 30 "$tmp/$name.log"
	fi
done
# shellcheck disable=SC2016 # jq's variables, not the shell's
expect "solutions: full marks on what was handed in ($(jq -r .score "$tmp/solutions.results/results.json" 2>/dev/null) points)" \
	quietly jq -e --arg n "$(find "$tmp/solutions" -name '*.c' | wc -l)" '.score > 0 and
		([.tests[] | select(.status == "passed")] | length) == ($n | tonumber) and
		all(.tests[]; .status == "passed" or (.output | test("there is no ")))' \
	"$tmp/solutions.results/results.json"
expect "stubs: no points, every test visible with its output" \
	quietly jq -e '.score == 0 and all(.tests[]; .visibility == "visible" and (.output | length) > 0)' \
	"$tmp/stubs.results/results.json"

# -- 3. Where namespaces can be made.
gradescope direct solutions --privileged
expect "direct: the namespaces could be made, and it graded without the VM" \
	grep -q "namespaces can be made here: grading directly" "$tmp/direct.log"
expect "direct: results.json is the one the VM gave, but what a message says of the machine" \
	cmp -s <(normal "$tmp/direct.results/results.json" 2>/dev/null) <(normal "$tmp/solutions.results/results.json")

# -- 4. Nothing to grade.
mkdir -p "$tmp/empty"
gradescope empty
expect "an empty submission: a visible message that it could not be graded, and why" \
	quietly jq -e '.visibility == "visible" and (.output | test("could not be graded.*empty")) and
		.tests[0].status == "failed"' "$tmp/empty.results/results.json"

echo "gradescope: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
