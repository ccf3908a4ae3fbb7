# The workbook's one entry point.  `make help` lists the targets.

CFLAGS   = -std=gnu11 -Wall -Wextra -Werror -g -O2
DEPFLAGS = -MMD -MP
# In the test VM (tools/vm.sh) the guest builds into the folder the VM
# names, apart from the host's build/, so that neither side's build is ever
# taken for the other's.
B       := $(or $(WORKBOOK_VM_BUILD),build)
ABS_B   := $(abspath $(B))

# The worked programs: the skeleton, then one per chapter, in book order.
PROGRAMS := skeleton net mount uts ipc pid user rootfs cgroup network privileges runtime
BINS     := $(PROGRAMS:%=$(B)/bin/%)

# A chapter program is found by its file name, in common/ or its chapter.
vpath %.c common $(sort $(wildcard chapters/[0-9]*))

.PHONY: all programs setup test help
.DEFAULT_GOAL := all

all: programs

help:
	@echo "make            set up, build the programs into $(B)/bin, render the book"
	@echo "make test       the workbook's own tests"
	@echo "make check      grade the exercises (CHAPTER=name, WORK=dir)"
	@echo "make watch      re-check on every save (CHAPTER=name)"
	@echo "make book       render the book into $(B)/book"
	@echo "make lab        open a shell in the lab container"
	@echo "make vm         open a shell in the test VM (CMD='...' runs a command)"
	@echo "make test-vm    the suites, in the test VM: cgroup v2, Linux 6.1"
	@echo "make doctor     say what this machine lacks, and how to fix it"
	@echo "make bench      print the workbook's speed figures"
	@echo "make test-podman  podman drives chapter 11's runtime (root)"
	@echo "make clean      remove $(B)/"

# Installs missing packages when root; otherwise says what to run.
setup: $(B)/setup.stamp
$(B)/setup.stamp: tools/packages.txt tools/setup.sh
	@mkdir -p $(@D)
	@tools/setup.sh
	@touch $@

programs: $(BINS)

# Dependency files go to $(B)/dep: $(B)/bin holds only the programs, as the
# book shows it.
$(B)/bin/%: %.c | $(B)/setup.stamp
	@mkdir -p $(@D) $(B)/dep
	$(CC) $(CFLAGS) $(DEPFLAGS) -MF $(B)/dep/$*.d -o $@ $< $(LDLIBS)

# Chapter 9 talks netlink through libmnl.
$(B)/bin/network: LDLIBS += -lmnl
# Chapter 10 drops capabilities through libcap and filters calls with libseccomp.
$(B)/bin/privileges: LDLIBS += -lcap -lseccomp

# Chapter 11's runtime is several files, in crun's rooms (STYLE.md): each
# compiled alone, then linked with jansson (config.json), libcap and
# libseccomp (chapter 10's powers).
RUNTIME_PARTS := runtime linux rootfs state config cgroup privileges errors
$(B)/obj/runtime/%.o: chapters/11-runtime/%.c | $(B)/setup.stamp
	@mkdir -p $(@D) $(B)/dep
	$(CC) $(CFLAGS) $(DEPFLAGS) -MF $(B)/dep/runtime-$*.d -c -o $@ $<
$(B)/bin/runtime: $(RUNTIME_PARTS:%=$(B)/obj/runtime/%.o)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ -ljansson -lcap -lseccomp

# Podman drives the runtime, as root, on the machine itself; the script
# installs podman, runc, conmon and tmux when they are missing.
test-podman: $(B)/bin/runtime $(B)/image/busybox.tar
	tests/podman/run.sh $(B)
.PHONY: test-podman

# The image that chapter 7's programs run their commands in.
include tools/image.mk

# Each part of the workbook adds its own checks to TEST_STEPS.
include tests/harness/harness.mk
include tests/chapters/chapters.mk
include tests/grader/grader.mk
include tests/safety/safety.mk
include tools/doctor.mk
include book/book.mk
include tools/lab.mk
include tools/vm.mk

# The steps run side by side, since most of their time is spent waiting on
# sandboxes; make prints each step's output whole when it ends.  -k: every
# step runs, even after one failed.  TEST_JOBS=1 runs them one by one.
TEST_JOBS ?= 4
test:
	@$(MAKE) --no-print-directory -k -j$(TEST_JOBS) --output-sync=target test-steps
test-steps: $(TEST_STEPS)
.PHONY: test-steps

# Speed goals live in benchmarks that print figures, one script per part.
bench:
	@for script in bench/*.sh; do echo "== $$script"; bash "$$script" || exit 1; done

clean:
	rm -rf $(B)
.PHONY: bench clean

-include $(wildcard $(B)/dep/*.d $(B)/tests/*.d)
