# The workbook's safety tests (DEVELOPERS.md): the doctor's advice where
# namespaces are refused, bad input to every program, and hostile programs
# graded in the sandbox.

TEST_STEPS += test-doctor
.PHONY: test-doctor

# The doctor, on broken machines made for the test (tests/safety/test-doctor.sh).
test-doctor: $(T)/nsdeny grade-harness
	tests/safety/test-doctor.sh $(B)

$(T)/nsdeny: $(T)/nsdeny.o $(T)/die.o
	$(CC) -o $@ $^

# Bad input to every worked program (tests/safety/test-badinput.c), and mutants of
# them that its tests must catch (tests/safety/badinput.sh).  A mutant keeps its
# program's file name, which tells the suite the program's steps.
TEST_STEPS += test-badinput
.PHONY: test-badinput
BADINPUT_MUTANTS := net-silent/net mount-twice/mount pid-onward/pid \
	skeleton-127/skeleton rootfs-onward/rootfs rootfs-into-file/rootfs \
	rootfs-vague/rootfs rootfs-no-proc/rootfs rootfs-status/rootfs \
	network-onward/network cgroup-zero/cgroup cgroup-any-suffix/cgroup \
	cgroup-any-cpu/cgroup cgroup-no-controller/cgroup \
	privileges-any-cap/privileges
test-badinput: $(BINS) $(TEST_TOOLS) $(T)/test-badinput \
		$(BADINPUT_MUTANTS:%=$(T)/badinput/%)
	tests/safety/badinput.sh $(B) $(filter-out $(BADINPUT_ELSEWHERE),$(PROGRAMS))
# Not here: chapter 8's bad limits are checked in its own step (test-cgroup),
# and chapter 11's runtime takes OCI commands, not COMMAND [ARG...]: its bad
# input is checked by tests/chapters/runtime.sh.
BADINPUT_ELSEWHERE := cgroup runtime

# net-silent: says clone() was refused, then exits 0.
$(T)/badinput/net-silent/net.c: chapters/01-net/net.c
	@mkdir -p $(@D)
	sed '/make lab/,/return 1;/s/return 1;/return 0;/' $< > $@
# mount-twice: goes on after mkdir /mytmp failed, and fails again.
$(T)/badinput/mount-twice/mount.c: chapters/02-mount/mount.c
	@mkdir -p $(@D)
	sed '/mkdir \/mytmp: /,/return 1;/{/return 1;/d}' $< > $@
# pid-onward: runs the command although the fresh /proc was refused.
$(T)/badinput/pid-onward/pid.c: chapters/05-pid/pid.c
	@mkdir -p $(@D)
	sed '/mount proc on \/proc: /,/return 1;/{/return 1;/d}' $< > $@
# skeleton-127: calls every command that cannot run "not found".
$(T)/badinput/skeleton-127/skeleton.c: common/skeleton.c
	@mkdir -p $(@D)
	sed 's/err == ENOENT ? 127 : 126/127/' $< > $@

# rootfs-onward: goes on after the root could not be bound.
$(T)/badinput/rootfs-onward/rootfs.c: chapters/07-rootfs/rootfs.c
	@mkdir -p $(@D)
	sed 's/return fail("mount --rbind %s", root);/fail("mount --rbind %s", root);/' $< > $@
# rootfs-into-file: goes on when the root is no folder to go into.
$(T)/badinput/rootfs-into-file/rootfs.c: chapters/07-rootfs/rootfs.c
	@mkdir -p $(@D)
	sed 's/return fail("chdir %s", root);/fail("chdir %s", root);/' $< > $@
# rootfs-vague: does not say which root it could not enter.
$(T)/badinput/rootfs-vague/rootfs.c: chapters/07-rootfs/rootfs.c
	@mkdir -p $(@D)
	sed 's/return fail("chdir %s", root);/return fail("chdir");/' $< > $@
# rootfs-no-proc: runs the command in an image whose /proc was refused.
$(T)/badinput/rootfs-no-proc/rootfs.c: chapters/07-rootfs/rootfs.c
	@mkdir -p $(@D)
	sed 's|return fail("mount proc on /proc");|fail("mount proc on /proc");|' $< > $@
# rootfs-status: a command the image lacks makes it exit 1, not 127.
$(T)/badinput/rootfs-status/rootfs.c: chapters/07-rootfs/rootfs.c
	@mkdir -p $(@D)
	sed 's/err == ENOENT ? 127 : 126/1/' $< > $@
# network-onward: runs the command although the kernel refused the pair.
$(T)/badinput/network-onward/network.c: chapters/09-network/network.c
	@mkdir -p $(@D)
	sed 's/failed = wire(nl, netns, &made);/failed = wire(nl, netns, \&made) \&\& 0;/' $< > $@
$(T)/badinput/network-%: LDLIBS += -lmnl
# cgroup-zero: takes a limit of 0, which the kernel would hold it to.
$(T)/badinput/cgroup-zero/cgroup.c: chapters/08-cgroup/cgroup.c
	@mkdir -p $(@D)
	sed 's/if (n == 0) {/if (0) {/' $< > $@
# cgroup-any-suffix: reads "12X" as 12, and "1.5G" as 1.
$(T)/badinput/cgroup-any-suffix/cgroup.c: chapters/08-cgroup/cgroup.c
	@mkdir -p $(@D)
	sed 's/if (!isdigit((unsigned char)text\[0\]) || \*end != .\\0. || errno == ERANGE ||/if (!isdigit((unsigned char)text[0]) || errno == ERANGE ||/' $< > $@
# cgroup-any-cpu: asks for more CPU than the machine has.
$(T)/badinput/cgroup-any-cpu/cgroup.c: chapters/08-cgroup/cgroup.c
	@mkdir -p $(@D)
	sed 's/if (limit\[CPU\] > 100 \* cpus) {/if (0) {/' $< > $@
# cgroup-no-controller: goes on without the controller the machine lacks.
$(T)/badinput/cgroup-no-controller/cgroup.c: chapters/08-cgroup/cgroup.c
	@mkdir -p $(@D)
	sed '/this machine has no %s "/,/return 2;/s/return 2;/continue;/' $< > $@
# privileges-any-cap: runs the command although --keep named no capability.
$(T)/badinput/privileges-any-cap/privileges.c: chapters/10-privileges/privileges.c
	@mkdir -p $(@D)
	sed 's/if (keep_cap(name) == -1) {/if (keep_cap(name) == -1 \&\& 0) {/' $< > $@
$(T)/badinput/privileges-%: LDLIBS += -lcap -lseccomp

$(T)/badinput/%: $(T)/badinput/%.c
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

# Hostile and broken submissions, graded by tests/grader/grade.sh beside the
# reference solutions, inside an outer guard (tests/safety/hostile.sh).
TEST_STEPS += test-hostile
.PHONY: test-hostile
test-hostile: grade-harness
	tests/safety/hostile.sh $(B)
