# The test VM (tools/vm.sh): Debian's Linux 6.1 under qemu, this machine's
# files shared read-only and the workbook read-write, cgroup v2 alone.
#   make vm                    a shell in the VM
#   make vm CMD='make test'    runs a command there instead, and exits with its status
#   make test-vm               the suites that must also pass there
# VM_TIMEOUT, VM_MEMORY, VM_CPUS and VM_ACCEL are read by tools/vm.sh.

VM_DIR := $(B)/vm
# What the guest builds goes here (tools/vm.sh tells the guest's make).
VM_B   := $(VM_DIR)/build

.PHONY: vm test-vm
vm:
	@VM_DIR='$(VM_DIR)' tools/vm.sh $(if $(CMD),bash -c '$(subst ','\'',$(CMD))')

# Each part adds the steps that make test-vm runs in the guest to
# VM_TEST_STEPS, and what those steps need built to VM_TEST_BUILD.  The host
# builds that first, into $(VM_B), natively: under emulation compiling
# takes several times longer, and the guest runs the host's /usr, so what
# the host builds runs there.  The guest then finds it all up to date and
# only runs the steps, writing what they write into $(VM_B) too.
VM_TEST_STEPS += test-chapters test-grader
VM_TEST_BUILD += test-programs grade-harness

test-vm:
	@$(MAKE) --no-print-directory B='$(abspath $(VM_B))' $(VM_TEST_BUILD)
	@VM_DIR='$(VM_DIR)' tools/vm.sh make --no-print-directory B='$(abspath $(VM_B))' $(VM_TEST_STEPS)
