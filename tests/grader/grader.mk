# make check: grade the exercises; make watch: re-check on every save.
#
# The exercises are listed in tests/exercises.tsv; each chapter's are tested
# by tests/exercises/ex-CHAPTER.c, one Criterion suite per exercise, and graded by
# tests/grader/grade.sh.  make test proves the grader with
# tests/grader/grade-test.sh.

EX_CHAPTERS := net mount uts ipc pid user rootfs cgroup network privileges runtime
EX_SUITES   := $(EX_CHAPTERS:%=$(T)/ex-%)

$(T)/ex-%: $(T)/ex-%.o $(T)/exercise.o $(T)/sandbox.o $(T)/cgbox.o
	$(CC) -o $@ $^ -lcriterion

.PHONY: check watch grade-harness test-grader
grade-harness: $(TEST_TOOLS) $(EX_SUITES) $(T)/test-contract

WORK ?= chapters
CHAPTER ?=
GRADE = CC='$(CC)' CFLAGS='$(CFLAGS)' HINTS='$(HINTS)' VERBOSE='$(VERBOSE)' \
	tests/grader/grade.sh '$(B)' '$(WORK)' '$(CHAPTER)'
HARNESS_FAILED = echo "check: cannot grade: the test harness did not build; \
the reason is above: a missing package (install it as said), or a fault of \
the workbook, not of the exercises (\`make test\` shows more)" >&2

# GNU make ends with status 2 whenever a recipe fails, and with 1 only in
# question mode (-q); make check must end with the grader's own status: 0
# full marks, 1 some test failed, 2 could not grade.  So when check is the
# only goal, the grading runs while this file is read, its table written
# straight to make's standard output, and its status decides how make ends:
# 0 as usual; 1 by turning on question mode, in which the phony check is
# "not up to date" and nothing runs; 2 by $(error).
ifeq ($(MAKECMDGOALS),check)
# make's standard output is reopened through /proc, tried first in a
# subshell: a failed redirection of exec ends sh (dash) at once, and a
# terminal or pipe of another user (su, sudo -u) or a socket cannot be
# reopened; the table then goes to standard error.
GRADE_STATUS := $(shell exec 3>&1; \
	if (exec >>/proc/$$PPID/fd/1) 2>/dev/null; \
	then exec >>/proc/$$PPID/fd/1; else exec >&2; fi; \
	if ! $(MAKE) --no-print-directory grade-harness >/dev/null; then \
		$(HARNESS_FAILED); echo 2 >&3; exit; fi; \
	$(GRADE) && echo 0 >&3 || echo $$? >&3)
ifeq ($(GRADE_STATUS),1)
MAKEFLAGS += -q
else ifneq ($(GRADE_STATUS),0)
$(error check: could not grade, as said above)
endif
check: ; @:
else
# Among other goals, check is an ordinary target, failing with make's 2.
check:
	@$(MAKE) --no-print-directory grade-harness >/dev/null || \
	  { $(HARNESS_FAILED); exit 2; }
	@$(GRADE)
endif

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
