# The workbook's container image, made from busybox-static by tools/image.sh:
# build/image/busybox/ (chapter 7's default root) and build/image/busybox.tar
# (the same tree, for `podman import`).  Remade only when the script or the
# busybox it copies changes.

IMAGE := $(B)/image/busybox.tar

.PHONY: image
all: image
image: $(IMAGE)

# No download: the machine's own busybox, installed by setup if missing.
$(IMAGE): tools/image.sh $(wildcard /bin/busybox) | $(B)/setup.stamp
	tools/image.sh $(B)/image
