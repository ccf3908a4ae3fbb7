# The test harness (tests/harness/): the sandbox every test runs in, the
# observer and the probe, and what the exercise suites share.  Every suite
# and tool is built into one folder, $(T), whatever room its source is in.

T := $(B)/tests
TEST_TOOLS := $(T)/probe $(T)/observer $(T)/escape $(T)/oci

TEST_CFLAGS = $(CFLAGS) -Icommon -Itests/harness \
	-DTOOLS_DIR='"$(ABS_B)/tests"' -DBIN_DIR='"$(ABS_B)/bin"'

# One rule per room: make takes the first whose source exists.
TEST_ROOMS := harness chapters exercises safety
define test_object
$$(T)/%.o: tests/$(1)/%.c | $$(B)/setup.stamp
	@mkdir -p $$(@D)
	$$(CC) $$(TEST_CFLAGS) $$(DEPFLAGS) -c -o $$@ $$<
endef
$(foreach room,$(TEST_ROOMS),$(eval $(call test_object,$(room))))

$(T)/%.o: common/%.c | $(B)/setup.stamp
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(DEPFLAGS) -c -o $@ $<

# The probe and the escape run inside images, which hold no C library:
# linked statically (neither uses NSS, which static glibc cannot load).
$(T)/probe: $(T)/probe.o $(T)/report.o $(T)/talk.o $(T)/powers.o
	$(CC) -static -o $@ $^

$(T)/escape: $(T)/escape.o
	$(CC) -static -o $@ $^

$(T)/observer: $(T)/observer.o $(T)/report.o $(T)/watch.o $(T)/scene.o \
		$(T)/image.o $(T)/die.o $(T)/talk.o $(T)/links.o $(T)/cgview.o \
		$(T)/powers.o
	$(CC) -o $@ $^ -lseccomp -lmnl

# A Criterion suite: its own file and the sandbox (an exercise suite adds
# exercise.o, in its room's makefile), with libgit2 started only when
# Criterion needs it (lazy-git.c): the suite's three stand-ins exported.
SUITE_OBJS := $(T)/sandbox.o $(T)/cgbox.o $(T)/lazy-git.o
SUITE_LIBS := -Wl,--export-dynamic-symbol=git_libgit2_init \
	-Wl,--export-dynamic-symbol=git_libgit2_shutdown \
	-Wl,--export-dynamic-symbol=git_diff_buffers -lcriterion
$(T)/test-%: $(T)/test-%.o $(SUITE_OBJS)
	$(CC) -o $@ $^ $(SUITE_LIBS)

# The sandbox's cgroup for book/sandbox.sh, which starts bubblewrap itself:
# cgbox --layout says what it would get; cgbox [--uid UID] -- bwrap ...
# runs bubblewrap in it (tests/harness/cgbox-tool.c).
TEST_TOOLS += $(T)/cgbox
$(T)/cgbox: $(T)/cgbox-tool.o $(T)/cgbox.o
	$(CC) -o $@ $^

.SECONDARY:
