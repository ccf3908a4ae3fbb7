#!/usr/bin/env bash
# gradescope.sh: build Gradescope's autograder.zip from the workbook.
#
#     usage: tools/gradescope.sh [-B BUILD] [-m MINUTES]
#
# Writes BUILD/gradescope/autograder.zip (BUILD is build/): setup.sh and
# run_autograder (from tools/gradescope/) at its root, beside the workbook's
# files as git tracks them, but solutions/: Gradescope unpacks it all into
# /autograder/source.  With them go the test VM's boot pieces,
# BUILD/vm/boot (made by tools/vm-build.sh if they are missing or stale),
# so that run_autograder can boot the VM where namespaces are refused,
# with no network.  MINUTES is the assignment's time limit on Gradescope
# (10, its default; at most 40): run_autograder stops the VM a minute
# before it (gradescope.env, in the zip).
# Exit status: 0, or 1 with one line saying what failed; 2 for bad usage.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
minutes=10
while getopts "B:m:" opt; do
	case $opt in
	B) build=$(realpath -m -- "$OPTARG") ;;
	m) minutes=$OPTARG ;;
	*) echo "usage: tools/gradescope.sh [-B BUILD] [-m MINUTES]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -gt 0 ] || ! [[ $minutes =~ ^[1-9][0-9]*$ ]] || [ "$minutes" -lt 2 ] || [ "$minutes" -gt 40 ]; then
	echo "usage: tools/gradescope.sh [-B BUILD] [-m MINUTES]: MINUTES from 2 to 40, as Gradescope allows" >&2
	exit 2
fi
vm="$build/vm"
dest="$build/gradescope"

if [ ! -x "$root/tools/vm.sh" ] || [ ! -x "$root/tools/vm-build.sh" ]; then
	echo "gradescope: the test VM (tools/vm.sh, tools/vm-build.sh) is not in this tree: a zip without it could not grade where namespaces are refused" >&2
	exit 1
fi
# The VM's pieces, as tools/vm.sh would make them.
if [ ! -f "$vm/boot/INPUTS" ] || [ "$(cat "$vm/boot/INPUTS")" != "$("$root/tools/vm-build.sh" --inputs)" ]; then
	"$root/tools/vm-build.sh" "$vm"
fi
(cd "$vm/boot" && sha256sum --check --quiet --status SHA256SUMS) ||
	{ echo "gradescope: $vm/boot is damaged: remove it and run make gradescope again" >&2; exit 1; }

mkdir -p "$dest"
echo "GRADESCOPE_MINUTES=$minutes" >"$dest/gradescope.env"
cd "$root"
if [ -e .git ]; then
	git ls-files -z
else
	find . -path ./build -prune -o -type f -printf '%P\0'
fi | python3 -c '
import os, stat, sys, zipfile
dest, vm = sys.argv[1:]
files = [f for f in sys.stdin.buffer.read().decode().split("\0")
         if f and not f.startswith("solutions/") and os.path.isfile(f)]
# name in the zip -> file here; the entry points at the root
entries = [(f, f) for f in files]
entries += [(n, "tools/gradescope/" + n) for n in ("setup.sh", "run_autograder")]
entries.append(("gradescope.env", dest + "/gradescope.env"))
for top, _, names in os.walk(os.path.join(vm, "boot")):
    for n in names:
        path = os.path.join(top, n)
        entries.append(("build/vm/" + os.path.relpath(path, vm), path))
with zipfile.ZipFile(dest + "/autograder.zip.new", "w", zipfile.ZIP_DEFLATED) as z:
    for name, path in sorted(entries):
        info = zipfile.ZipInfo.from_file(path, name)
        info.compress_type = zipfile.ZIP_DEFLATED
        # Gradescope unpacks as root: exec bits kept, nothing more.
        info.external_attr = (stat.S_IFREG | (0o755 if os.access(path, os.X_OK) else 0o644)) << 16
        with open(path, "rb") as f:
            z.writestr(info, f.read())
' "$dest" "$vm"
mv -f "$dest/autograder.zip.new" "$dest/autograder.zip"
echo "gradescope: $dest/autograder.zip ($(du -h "$dest/autograder.zip" | cut -f1)): upload it as the assignment's autograder, with a time limit of $minutes minutes"
