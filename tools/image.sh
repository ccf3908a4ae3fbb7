#!/usr/bin/env bash
# image.sh: build the workbook's container image from busybox-static.
#
#     usage: tools/image.sh OUT        (make runs it: OUT is build/image)
#
# Makes OUT/busybox/, a root file system that needs nothing from the machine:
# the static busybox in /bin and a link to it for each of its applets, where
# busybox would install them; /etc/passwd and /etc/group with root and nobody;
# an /etc/os-release that names the image; and the empty folders a runtime
# mounts on (/proc, /sys, /dev, /tmp) or a shell expects (/root).  Then
# OUT/busybox.tar, the same tree as a tarball that `podman import` takes.
#
# The same busybox gives the same tarball, byte for byte: names sorted, every
# owner root, every time the epoch, every mode set here.  The tree is built
# beside the old one and swapped in at the end, so that an interrupted build
# leaves the last good image.
set -euo pipefail

out=${1:?usage: tools/image.sh OUT}
busybox=/bin/busybox
name=busybox
[ -x "$busybox" ] || { echo "image: no $busybox: install busybox-static (tools/packages.txt)" >&2; exit 1; }
# The image has no C library: its busybox must need none.
case $(LC_ALL=C ldd "$busybox" 2>&1 || true) in
*"not a dynamic executable"*) ;;
*) echo "image: $busybox is not statically linked: install busybox-static, not busybox" >&2; exit 1 ;;
esac

mkdir -p "$out"
new="$out/.$name.new"
rm -rf "$new" "$out/.$name.old"
umask 022
mkdir -p "$new"

# The folders, then busybox and its applets (--list-full names them with
# their folder: "bin/sh", "usr/bin/env", "sbin/ip"...).
(cd "$new" && mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root)
chmod 1777 "$new/tmp"
chmod 700 "$new/root"
install -m 755 "$busybox" "$new/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	# linuxrc is the init of an initial ramdisk, not a command.
	case $applet in bin/busybox | linuxrc) continue ;; esac
	mkdir -p "$new/$(dirname "$applet")"
	ln -s /bin/busybox "$new/$applet"
done

# Who is who: root and nobody, as in every distribution (chapter 6 shows
# nobody and nogroup from outside; here they have names inside too).
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$new/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$new/etc/group"
version=$("$busybox" 2>&1 | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')
cat >"$new/etc/os-release" <<EOF
NAME="Namespaces by hand"
ID=namespaces-by-hand
VARIANT="busybox image"
VARIANT_ID=busybox
VERSION_ID=$version
PRETTY_NAME="Namespaces by hand: the busybox image (BusyBox $version)"
EOF
chmod 644 "$new/etc/passwd" "$new/etc/group" "$new/etc/os-release"

# The tarball, from the tree as it now is.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
	--format=gnu -C "$new" -cf "$out/.$name.tar.new" .

# Swap in the new image.
if [ -e "$out/$name" ]; then
	mv "$out/$name" "$out/.$name.old"
fi
mv "$new" "$out/$name"
mv "$out/.$name.tar.new" "$out/$name.tar"
rm -rf "$out/.$name.old"
echo "image: $out/$name and $out/$name.tar, BusyBox $version with $("$busybox" --list | wc -l) applets"
