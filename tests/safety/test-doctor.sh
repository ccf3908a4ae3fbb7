#!/usr/bin/env bash
# test-doctor.sh: tools/doctor.sh names what is missing and the fix, and the
# test harness stops with its words.  Each broken machine is made for the
# test, in namespaces or under a filter of its own: the machine is not touched.
#
#     usage: tests/safety/test-doctor.sh BUILD_DIR
#
# 1. Here: exit 0 and "all set"; with --quiet, nothing at all.
# 2. user.max_user_namespaces = 0, set inside a user namespace made for the
#    test (the limit is counted per namespace): exit 2, the setting and its
#    fix; the same words with --quiet; tests/chapters/run.sh (make test) and
#    tests/grader/grade.sh (make check) exit 2 with them too, instead of failing
#    every test.
# 3. A seccomp filter that refuses every namespace with EPERM, as Docker's
#    default profile does: exit 2, and the container options that fix it.
# 4. Only cgroup namespaces refused, with EINVAL, as by a kernel built
#    without them: exit 2, and the kernel that fixes it.
# Prints "doctor: N passed, M failed" last; exit 0 only if M is 0.
set -euo pipefail

build=${1:?usage: tests/safety/test-doctor.sh BUILD_DIR}
cd "$(dirname "$0")/../.."
nsdeny="$build/tests/nsdeny"
passed=0
failed=0

# expect NAME STATUS WORDS COMMAND...: runs COMMAND; passes if it exits
# STATUS and its output (stdout and stderr) holds the fixed string WORDS.
expect() {
	local name=$1 want=$2 words=$3 out status=0
	shift 3
	out=$("$@" 2>&1) || status=$?
	if [ "$status" -eq "$want" ] && grep -qF -- "$words" <<<"$out"; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		echo "not ok - $name: exit $status (expected $want), output without \"$words\":"
		printf '    %s\n' "$out"
		failed=$((failed + 1))
	fi
}

# switched_off COMMAND...: runs COMMAND where user namespaces are switched off.
switched_off() {
	unshare --user --map-root-user sh -c \
		'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"' sh "$@"
}

expect "here, all is set" 0 "doctor: all set" tools/doctor.sh
quiet=$(tools/doctor.sh --quiet 2>&1) || true
if [ -z "$quiet" ]; then
	echo "ok - here, --quiet says nothing"
	passed=$((passed + 1))
else
	echo "not ok - here, --quiet says: $quiet"
	failed=$((failed + 1))
fi

sysctl_words="user namespaces are switched off: user.max_user_namespaces = 0"
expect "max_user_namespaces = 0: named" 2 "$sysctl_words" switched_off tools/doctor.sh
expect "max_user_namespaces = 0: the fix" 2 "sudo sysctl -w user.max_user_namespaces=15000" \
	switched_off tools/doctor.sh
expect "max_user_namespaces = 0: --quiet says the same" 2 "$sysctl_words" \
	switched_off tools/doctor.sh --quiet
expect "max_user_namespaces = 0: the tests stop with exit 2 and the same words" 2 \
	"$sysctl_words" switched_off tests/chapters/run.sh "$build"
graded=$(mktemp -d)
trap 'rm -rf "$graded"' EXIT
expect "max_user_namespaces = 0: the grader stops with exit 2 and the same words" 2 \
	"$sysctl_words" switched_off tests/grader/grade.sh -o "$graded" "$build" solutions

clone_new_all=0x7e020000
expect "seccomp refuses namespaces: the container options" 2 \
	"start the container with --privileged" "$nsdeny" 1 "$clone_new_all" tools/doctor.sh
expect "seccomp refuses namespaces: the sandbox is named" 2 \
	"the tests' sandbox (bubblewrap) cannot start" "$nsdeny" 1 "$clone_new_all" tools/doctor.sh

clone_newcgroup=0x02000000
expect "no cgroup namespaces: named" 2 \
	"cgroup namespaces are refused inside a user namespace: unshare: unshare failed: Invalid argument" \
	"$nsdeny" 22 "$clone_newcgroup" tools/doctor.sh
expect "no cgroup namespaces: the fix" 2 "a kernel with every namespace type" \
	"$nsdeny" 22 "$clone_newcgroup" tools/doctor.sh

echo "doctor: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
