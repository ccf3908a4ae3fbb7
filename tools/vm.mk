# The test VM (tools/vm.sh): Debian's Linux 6.1 under qemu, this machine's
# files shared read-only and the workbook read-write, cgroup v2 alone.
#   make vm                    a shell in the VM
#   make vm CMD='make test'    runs a command there instead (make names its status;
#                              tools/vm.sh CMD... exits with it)
#   make test-vm               the suites that must also pass there
# VM_TIMEOUT, VM_MEMORY, VM_CPUS and VM_ACCEL are read by tools/vm.sh.

VM_DIR ?= $(B)/vm
# What the guest builds goes here (tools/vm.sh tells the guest's make).
VM_B   := $(abspath $(VM_DIR)/build)

.PHONY: vm test-vm
vm:
	@VM_DIR='$(VM_DIR)' tools/vm.sh $(if $(CMD),bash -c '$(subst ','\'',$(CMD))')

# Each part adds the steps that make test-vm runs in the guest to
# VM_TEST_STEPS, and what those steps need built to VM_TEST_BUILD.  The host
# builds that first, into $(VM_B), natively: under emulation compiling
# takes many times longer, and the guest runs the host's /usr, so what the
# host builds runs there.  The guest then finds it all up to date and only
# runs the steps, writing what they write into $(VM_B) too.
VM_TEST_STEPS += test-chapters test-grade-solutions
VM_TEST_BUILD += test-programs grade-harness

# The grader, in the VM: the reference solutions of a handful of chapters
# graded, which runs their exercise suites on this kernel, and the grader
# itself (the compiler's sandbox, the contract, the reports): net (the
# first namespace), user (user namespaces and id maps), network (netlink),
# privileges (capabilities, seccomp) and cgroup (v2 here, v1 on the
# host: about 2 minutes under TCG), the chapters whose exercises lean most
# on what differs between kernels.  The rest of Part I and
# rootfs add about 2 minutes under TCG (VM_GRADE_CHAPTERS=all grades every
# chapter; it is passed to the guest).  The grader's whole self-test
# (test-grader: the stubs, the mutants, bad arguments) proves the grader
# rather than the kernel, takes about 11 minutes under TCG, and runs in
# make test.
VM_GRADE_CHAPTERS ?= net user cgroup network privileges
.PHONY: test-grade-solutions
test-grade-solutions: grade-harness
	tests/grader/grade-solutions.sh $(B) $(filter-out all,$(VM_GRADE_CHAPTERS))

# Each step boots a VM of its own, as many at once as there are CPUs: under
# TCG two VMs of one processor do more than one of two (tools/vm.sh).
# Beside them, on the host, the VM's own promises are checked
# (tests/safety/vm-bounds.sh: the kernel, the controllers, the status, and
# one line for qemu missing or a damaged or corrupt initramfs).  make holds
# each step's output until it ends, so that the steps' lines do not mix.  A
# step may take 15 minutes (VM_TIMEOUT, if given, instead), three times
# what the longest takes here.
VM_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
VM_STEP_TIMEOUT := $(or $(VM_TIMEOUT),900)
.PHONY: test-vm-bounds
test-vm:
	@$(MAKE) --no-print-directory B='$(VM_B)' $(VM_TEST_BUILD)
	@echo "test-vm: $(VM_TEST_STEPS), each in a VM of its own, $(VM_JOBS) at once, then test-vm-bounds; each one's output comes when it ends"
	@$(MAKE) --no-print-directory -k -j$(VM_JOBS) --output-sync=target $(VM_TEST_STEPS:%=vm-step-%) test-vm-bounds

vm-step-%:
	@VM_DIR='$(VM_DIR)' VM_NAME='$*' VM_TIMEOUT='$(VM_STEP_TIMEOUT)' tools/vm.sh make --no-print-directory B='$(VM_B)' VM_GRADE_CHAPTERS='$(VM_GRADE_CHAPTERS)' $*

test-vm-bounds:
	@VM_DIR='$(VM_DIR)' tests/safety/vm-bounds.sh
