# The test harness (tests/harness/): the sandbox every test runs in, the
# observer and the probe, and what the exercise suites share.  Every suite
# and tool is built into one folder, $(T), whatever room its source is in.

T := $(B)/tests
TEST_TOOLS := $(T)/probe $(T)/observer $(T)/escape $(T)/oci $(T)/contract

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
# exercise.o, in its room's makefile), with libgit2 loaded only when
# Criterion needs it: the suites find lazy-git.c's stand-in, built under
# libgit2's own name in $(T)/lib, before the real one (DT_RPATH, which
# Criterion's own libraries are found by too).
SUITE_OBJS := $(T)/sandbox.o $(T)/cgbox.o
SUITE_LIBS := -lcriterion -Wl,--disable-new-dtags -Wl,-rpath,$(ABS_B)/tests/lib
GIT_STANDIN := $(T)/lib/.built
TEST_TOOLS += $(GIT_STANDIN)
$(T)/test-%: $(T)/test-%.o $(SUITE_OBJS) | $(GIT_STANDIN)
	$(CC) -o $@ $^ $(SUITE_LIBS)
# The real libgit2's file and name are asked when it is built, not each
# time make reads this.
$(GIT_STANDIN): tests/harness/lazy-git.c | $(B)/setup.stamp
	@mkdir -p $(@D)
	real=$$(readlink -f "$$($(CC) -print-file-name=libgit2.so)") && \
	name=$$(objdump -p "$$real" | awk '$$1 == "SONAME" { print $$2 }') && \
	test -n "$$name" && \
	$(CC) $(CFLAGS) -shared -fPIC -Wl,-soname,"$$name" -DREAL_LIBGIT2="\"$$real\"" \
		-o "$(@D)/$$name" $< -ldl
	@touch $@

# The sandbox's cgroup for book/sandbox.sh, which starts bubblewrap itself:
# cgbox --layout says what it would get; cgbox [--uid UID] -- bwrap ...
# runs bubblewrap in it (tests/harness/cgbox-tool.c).
TEST_TOOLS += $(T)/cgbox
$(T)/cgbox: $(T)/cgbox-tool.o $(T)/cgbox.o
	$(CC) -o $@ $^

.SECONDARY:
