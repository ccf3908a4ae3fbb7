# The chapters' suites (tests/chapters/): one Criterion suite per chapter
# (test-NAME.c), plus the contract that every program keeps
# (test-contract.c), run by tests/chapters/run.sh.

CHAPTER_SUITES := skeleton net mount uts ipc pid user
SUITE_BINS := $(CHAPTER_SUITES:%=$(T)/test-%) $(T)/test-contract

.PHONY: test-programs test-chapters
test-programs: $(BINS) $(TEST_TOOLS) $(SUITE_BINS)

TEST_STEPS += test-chapters
test-chapters: test-programs
	tests/chapters/run.sh $(B)

# The article's defects, put back into the worked programs by sed: the suites
# must catch each one (tests/chapters/run.sh says which test must fail).  A sed that
# no longer matches leaves the program intact, and run.sh reports it.
MUTANTS := mount-shared pid-shared skeleton-status
MUTANT_BINS := $(MUTANTS:%=$(T)/mutant-%)
test-programs: $(MUTANT_BINS)

$(T)/mutant-mount-shared.c: chapters/02-mount/mount.c
$(T)/mutant-pid-shared.c: chapters/05-pid/pid.c
$(T)/mutant-mount-shared.c $(T)/mutant-pid-shared.c:
	@mkdir -p $(@D)
	sed '/MS_REC | MS_PRIVATE, NULL/,/^\t}/d' $< > $@

# The article's parent ignored its child's status.
$(T)/mutant-skeleton-status.c: common/skeleton.c
	@mkdir -p $(@D)
	sed 's/return WEXITSTATUS(status);/return 0;/; s/return 128 + WTERMSIG(status);/return 0;/' $< > $@

$(T)/mutant-%: $(T)/mutant-%.c
	$(CC) $(CFLAGS) -o $@ $<
