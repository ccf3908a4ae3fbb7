# The chapters' suites (tests/chapters/): one Criterion suite per chapter
# (test-NAME.c), plus the contract that every program keeps
# (test-contract.c), run by tests/chapters/run.sh.

CHAPTER_SUITES := skeleton net mount uts ipc pid user rootfs cgroup network privileges
SUITE_BINS := $(CHAPTER_SUITES:%=$(T)/test-%) $(T)/test-contract

.PHONY: test-programs test-chapters
test-programs: $(BINS) $(TEST_TOOLS) $(SUITE_BINS)

# Chapter 8's suites are a step of their own, test-cgroup (below), which the
# test VM runs too, for cgroup v2.
TEST_STEPS += test-chapters
test-chapters: test-programs
	tests/chapters/run.sh $(B) $(filter-out cgroup,$(CHAPTER_SUITES)) runtime

# The article's defects, put back into the worked programs by sed: the suites
# must catch each one (tests/chapters/run.sh says which test must fail).  A sed that
# no longer matches leaves the program intact, and run.sh reports it.
MUTANTS := mount-shared pid-shared skeleton-status skeleton-errno \
	skeleton-127 pid-orphan rootfs-attached rootfs-chroot rootfs-shared \
	network-left-behind network-child-down network-wrong-end \
	cgroup-late-limits cgroup-no-rmdir cgroup-no-subtree-control \
	privileges-filter-first privileges-whole-bounding \
	privileges-allows-unshare privileges-clone3-eperm
MUTANT_BINS := $(MUTANTS:%=$(T)/mutant-%)
test-programs: $(MUTANT_BINS)

# Chapter 8: its suite, the contract, the skeleton and its mutants
# (tests/chapters/run.sh), then bad input to it (tests/safety/badinput.sh):
# on this machine's cgroup layout, and, in make test-vm, on cgroup v2.
TEST_STEPS += test-cgroup
VM_TEST_STEPS += test-cgroup
VM_TEST_BUILD += test-programs $(T)/test-badinput $(BADINPUT_MUTANTS:%=$(T)/badinput/%)
.PHONY: test-cgroup
test-cgroup: test-programs $(T)/test-badinput $(BADINPUT_MUTANTS:%=$(T)/badinput/%)
	tests/chapters/run.sh $(B) cgroup
	tests/safety/badinput.sh $(B) cgroup

$(T)/mutant-mount-shared.c: chapters/02-mount/mount.c
$(T)/mutant-pid-shared.c: chapters/05-pid/pid.c
$(T)/mutant-mount-shared.c $(T)/mutant-pid-shared.c:
	@mkdir -p $(@D)
	sed '/MS_REC | MS_PRIVATE, NULL/,/^\t}/d' $< > $@

# The article's parent ignored its child's status.
$(T)/mutant-skeleton-status.c: common/skeleton.c
	@mkdir -p $(@D)
	sed 's/return WEXITSTATUS(status);/return 0;/; s/return 128 + WTERMSIG(status);/return 0;/' $< > $@

# The article's child did not die with its parent; as PID 1 it ignores
# SIGTERM and SIGINT, so the command ran on.
$(T)/mutant-pid-orphan.c: chapters/05-pid/pid.c
	@mkdir -p $(@D)
	sed '/PR_SET_PDEATHSIG, SIGKILL/,/^\t}/d' $< > $@

# The article's child called every failed command "not found".
$(T)/mutant-skeleton-127.c: common/skeleton.c
	@mkdir -p $(@D)
	sed 's/err == ENOENT ? 127 : 126/127/' $< > $@

# The article's child read errno after fprintf(), which may change it.
$(T)/mutant-skeleton-errno.c: common/skeleton.c
	@mkdir -p $(@D)
	sed '/err = errno;/d; /^\tint err;$$/d; s/strerror(err)/strerror(errno)/; s/err == ENOENT/errno == ENOENT/' $< > $@

# Chapter 7's three ways to keep the machine in view: the old root left
# attached; chroot() for pivot_root() (and so nothing to detach); and no
# private tree, on which pivot_root() fails after the mounts have leaked.
$(T)/mutant-rootfs-attached.c: chapters/07-rootfs/rootfs.c
	@mkdir -p $(@D)
	sed '/umount2(".", MNT_DETACH)/,+1d' $< > $@
# The chroot() mutant is also the control of the exercise No way out
# (tests/exercises/ex-rootfs.c): the escape must get out of it.
TEST_TOOLS += $(T)/mutant-rootfs-chroot
$(T)/mutant-rootfs-chroot.c: chapters/07-rootfs/rootfs.c
	@mkdir -p $(@D)
	sed 's/syscall(SYS_pivot_root, ".", ".")/chroot(".")/; /umount2(".", MNT_DETACH)/,+1d' $< > $@
$(T)/mutant-rootfs-shared.c: chapters/07-rootfs/rootfs.c
	@mkdir -p $(@D)
	sed '/MS_REC | MS_PRIVATE, NULL/,+1d' $< > $@
# Chapter 9's three ways to leave a cable that does not work: the pair left
# behind once the child has ended; the child's end never brought up; and
# the child's address given to the host's end, and the host's to the child.
$(T)/mutant-network-left-behind.c: chapters/09-network/network.c
	@mkdir -p $(@D)
	sed 's/if (made && delete_pair(nl) != 0)/if (made \&\& 0 \&\& delete_pair(nl) != 0)/' $< > $@
$(T)/mutant-network-child-down.c: chapters/09-network/network.c
	@mkdir -p $(@D)
	sed 's/ || set_up(inside, child_end) != 0 ||/ ||/' $< > $@
$(T)/mutant-network-wrong-end.c: chapters/09-network/network.c
	@mkdir -p $(@D)
	sed 's/child_end, child_addr)/child_end, HOST)/; s/host_end, host_addr)/host_end, child_addr)/; s/HOST)/host_addr)/' $< > $@
$(T)/mutant-network-%: LDLIBS += -lmnl
# Chapter 8's three ways to a cgroup that does not hold: the limits
# written once the child has been let go; the folders left behind; and, on
# v2, the controllers never turned on in cgroup.subtree_control, so that
# the child's folder has no limit files.
$(T)/mutant-cgroup-late-limits.c: chapters/08-cgroup/cgroup.c
	@mkdir -p $(@D)
	sed 's/if (write_limits() != 0 || pipe(ready) == -1) {/if (pipe(ready) == -1) {/; /failed = fail("write to the child");/a\	write_limits();' $< > $@
$(T)/mutant-cgroup-no-rmdir.c: chapters/08-cgroup/cgroup.c
	@mkdir -p $(@D)
	sed 's/if (rmdir(h->dir) == -1) {/if (0) {/' $< > $@
$(T)/mutant-cgroup-no-subtree-control.c: chapters/08-cgroup/cgroup.c
	@mkdir -p $(@D)
	sed 's/if (put(dir, "cgroup.subtree_control", word) == -1)/if (0)/' $< > $@
# Chapter 10's four ways to leave root more than it should have: the filter
# loaded before no_new_privs, once CAP_SYS_ADMIN is gone; the bounding set
# left whole; unshare() let through; and clone3() refused with EPERM, which
# the C library does not fall back from.
$(T)/mutant-privileges-filter-first.c: chapters/10-privileges/privileges.c
	@mkdir -p $(@D)
	sed '/prctl(PR_SET_NO_NEW_PRIVS, 1/{N;h;d}; /if (load_filter() != 0)/{N;G}' $< > $@
$(T)/mutant-privileges-whole-bounding.c: chapters/10-privileges/privileges.c
	@mkdir -p $(@D)
	sed 's/!kept(cap) \&\& cap_drop_bound/kept(-1) \&\& cap_drop_bound/' $< > $@
$(T)/mutant-privileges-allows-unshare.c: chapters/10-privileges/privileges.c
	@mkdir -p $(@D)
	sed 's/"unshare", //' $< > $@
$(T)/mutant-privileges-clone3-eperm.c: chapters/10-privileges/privileges.c
	@mkdir -p $(@D)
	sed 's/SCMP_ACT_ERRNO(ENOSYS)/SCMP_ACT_ERRNO(EPERM)/' $< > $@
$(T)/mutant-privileges-%: LDLIBS += -lcap -lseccomp

# Chapter 11's four ways to break the runtime's lifecycle: the program run
# at create, without waiting on the exec fifo for start; a failed create
# that leaves its state; a pid taken for the container's without its start
# time, so that a reused pid looks running; a running container deleted
# without --force.  The runtime is several files: a mutant is one of them
# changed (PART), linked with the others.
RUNTIME_MUTANTS := no-wait no-undo pid-reuse delete-running
test-programs: $(RUNTIME_MUTANTS:%=$(T)/mutant-runtime-%)
PART_no-wait := linux
SED_no-wait := s/if (fifo != -1 \&\& (read(fifo/if (fifo != -1 \&\& 0 \&\& (read(fifo/
PART_no-undo := runtime
SED_no-undo := /^\tstate_remove(c);$$/d
PART_pid-reuse := state
SED_pid-reuse := s/ || process_start_time(c->pid) != c->start_time)/)/
PART_delete-running := runtime
SED_delete-running := s/if (s != STOPPED \&\& !force)$$/if (s != STOPPED \&\& !force \&\& 0)/
RUNTIME_OBJS := $(RUNTIME_PARTS:%=$(B)/obj/runtime/%.o)
$(foreach m,$(RUNTIME_MUTANTS),$(eval $(T)/mutant-runtime-$(m).c: chapters/11-runtime/$(PART_$(m)).c))
$(T)/mutant-runtime-%.c:
	@mkdir -p $(@D)
	sed '$(SED_$*)' $< > $@
$(T)/mutant-runtime-%: $(T)/mutant-runtime-%.c $(RUNTIME_OBJS)
	$(CC) $(CFLAGS) -Ichapters/11-runtime -o $@ $< \
		$(filter-out $(B)/obj/runtime/$(PART_$*).o,$(RUNTIME_OBJS)) -ljansson -lcap -lseccomp

$(T)/mutant-%: $(T)/mutant-%.c
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)
