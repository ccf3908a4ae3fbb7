# make check: grade the exercises; make watch: re-check on every save.
#
# The exercises are listed in tests/exercises.tsv; each chapter's are tested
# by tests/exercises/ex-CHAPTER.c, one Criterion suite per exercise, and graded by
# tests/grader/grade.sh.  make test proves the grader with
# tests/grader/grade-test.sh.

EX_CHAPTERS := net mount uts ipc pid user rootfs cgroup network privileges runtime
EX_SUITES   := $(EX_CHAPTERS:%=$(T)/ex-%)

$(T)/ex-%: $(T)/ex-%.o $(T)/exercise.o $(SUITE_OBJS) | $(GIT_STANDIN)
	$(CC) -o $@ $^ $(SUITE_LIBS)

.PHONY: check check-all watch grade-harness test-grader gradescope test-gradescope
# The image too: chapter 7's exercises run in it, and check-all's key holds it.
grade-harness: $(TEST_TOOLS) $(EX_SUITES) $(T)/test-contract $(IMAGE)

WORK ?= chapters
CHAPTER ?=
GRADE_ENV = CC='$(CC)' CFLAGS='$(CFLAGS)' HINTS='$(HINTS)' VERBOSE='$(VERBOSE)'
HARNESS_FAILED = echo "check: cannot grade: the test harness did not build; \
the reason is above: a missing package (install it as said), or a fault of \
the workbook, not of the exercises (\`make test\` shows more)" >&2

# The grading is one plain command, tools/check.sh, with its own exit status
# (0 full marks, 1 some test failed, 2 could not grade); as a recipe it ends
# make with 0, or with make's own 2.  `make -n check` grades nothing.
check:
	@$(GRADE_ENV) tools/check.sh -B '$(B)' $(if $(OUT),-o '$(OUT)') '$(WORK)' '$(CHAPTER)'

# A class: every submission in SUBMISSIONS, JOBS at a time (tools/check-all.sh);
# FORCE=1 grades again those that have not changed.
check-all:
	@$(GRADE_ENV) tools/check-all.sh -B '$(B)' $(if $(OUT),-o '$(OUT)') \
	  $(if $(JOBS),-j '$(JOBS)') $(if $(filter-out 0,$(FORCE)),-f) '$(SUBMISSIONS)'

# entr(1) runs the check again each time one of the exercise files changes.
# The files are listed first, so that a wrong CHAPTER or WORK is refused
# before entr starts; each run begins with the time and how to stop.
watch:
	@files=$$(tests/grader/grade.sh --files '$(WORK)' '$(CHAPTER)') || exit 2; \
	  [ -n "$$files" ] || { echo "watch: no exercise files in $(WORK) to watch" >&2; exit 2; }; \
	  $(MAKE) --no-print-directory grade-harness >/dev/null || { $(HARNESS_FAILED); exit 2; }; \
	  printf '%s\n' "$$files" | entr -c sh -c 'date "+== %H:%M:%S: checking; Ctrl-C to stop"; \
	    $(MAKE) --no-print-directory check WORK='"'"'$(WORK)'"'"' CHAPTER='"'"'$(CHAPTER)'"'"'; :'

# make test: the grader grades the solutions, the stubs and a compile error
# as it should, its reports agree, and every exercise keeps the contract.
TEST_STEPS += test-grader
test-grader: grade-harness $(T)/test-contract
	tests/grader/grade-test.sh $(B)

# make test: make check-all on a small class of every kind of submission,
# good and bad (tests/grader/class-test.sh).
TEST_STEPS += test-class
.PHONY: test-class
test-class: grade-harness
	tests/grader/class-test.sh $(B)

# Gradescope: build/gradescope/autograder.zip (tools/gradescope.sh), and its
# test in a container started as Gradescope's are, which needs podman and
# root (tests/grader/gradescope-test.sh; .ci/run runs it).
gradescope:
	@tools/gradescope.sh -B '$(B)' $(if $(GRADESCOPE_MINUTES),-m '$(GRADESCOPE_MINUTES)')
test-gradescope: grade-harness
	tests/grader/gradescope-test.sh $(B)

# GitHub Classroom: the workflow for the assignment's template repository.
.PHONY: classroom
classroom:
	@mkdir -p .github/workflows
	@cp tools/classroom/classroom.yml .github/workflows/classroom.yml
	@echo "classroom: wrote .github/workflows/classroom.yml; commit it to the assignment's template repository"
