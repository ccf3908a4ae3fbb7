# chapter.mk: the workbook's targets, run from a chapter's folder.
#
# chapters/NN-name/Makefile includes this file.  There, `make` or `make
# check` grades that chapter's exercises, `make watch` re-checks them on
# every save, and any other target is the workbook's own (`make test`,
# `make book`), run from the top as if typed there.

top := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
chapter := $(patsubst [0-9][0-9]-%,%,$(notdir $(CURDIR)))

.DEFAULT_GOAL := check
.PHONY: check watch
check watch:
	@$(MAKE) --no-print-directory -C '$(top)' $@ CHAPTER='$(chapter)'

# The makefiles themselves are not remade; every other goal is the top's.
$(MAKEFILE_LIST): ;
%:
	@$(MAKE) --no-print-directory -C '$(top)' $@
