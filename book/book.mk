# The book: pandoc renders the chapters' README.md (and exercises.md) into
# build/book/, with listings, diffs, diagrams and transcripts (book/build.sh).
#
#   make book               render it
#   make transcripts        re-run every terminal session and write the output
#                           back into the pages
#   make test-transcripts   re-run them and fail where a page no longer matches
#                           (those made on another cgroup layout are skipped:
#                           make vm CMD='book/transcripts.py update FILE'
#                           re-runs chapter 8's v2 ones in the test VM)
#   make test-book          open every page in headless Chromium (skipped, with
#                           a message, when Chromium is not installed)
#   make book-shots         the same, and save screenshots of every page, wide,
#                           narrow and dark, in build/book/shots/

BOOK := $(B)/book
BOOK_SOURCES := book/index.md book/next.md book/appendix-article.md \
	$(wildcard chapters/*/README.md chapters/*/exercises.md) \
	$(wildcard book/filters/*.lua) book/template.html book/book.css \
	book/book.js book/build.sh
# The files the listings and diffs are read from.
BOOK_LISTED := $(wildcard common/*.c chapters/*/*.c) tests/harness/escape.c

.PHONY: book transcripts test-transcripts test-book
all: book
book: $(BOOK)/.built

$(BOOK)/.built: $(BOOK_SOURCES) $(BOOK_LISTED) | $(B)/setup.stamp
	@rm -f $@
	book/build.sh $(BOOK)
	@touch $@

transcripts: $(BINS) $(IMAGE) $(T)/escape $(T)/cgbox
	book/transcripts.py update

TEST_STEPS += test-transcripts test-book
test-transcripts: $(BINS) $(IMAGE) $(T)/escape $(IMAGE) $(T)/escape $(T)/cgbox
	book/transcripts.py check

test-book: $(BOOK)/.built
	book/browser-check.sh $(BOOK)

# Screenshots cost as much again as the checks: make test takes none.
book-shots: $(BOOK)/.built
	BOOK_SHOTS=1 book/browser-check.sh $(BOOK)
.PHONY: book-shots
