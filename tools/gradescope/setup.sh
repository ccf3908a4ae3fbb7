#!/usr/bin/env bash
# setup.sh: Gradescope runs this once, as root, when it builds the image its
# autograder runs in (the workbook is unpacked in /autograder/source).
#
# Installs the packages the grader needs (tools/packages.txt) and those the
# test VM needs (qemu), then builds the test harness, twice (for grading
# here and in the VM), so that
# run_autograder, which may have no network, only grades.
set -euo pipefail
cd "$(dirname "$0")"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
tools/setup.sh
apt-get install -y -q --no-install-recommends qemu-system-x86 busybox-static xz-utils
make --no-print-directory -s grade-harness
# Again where the test VM's guest finds its builds, in a share it caches
# (tools/vm.sh): each test copies the harness's programs into its sandbox.
make --no-print-directory -s B=build/vm/build grade-harness
# The VM's pieces came in the zip: check them now rather than at the first
# submission.
(cd build/vm/boot && sha256sum --check --quiet SHA256SUMS)
echo "setup: the workbook's grader is ready"
