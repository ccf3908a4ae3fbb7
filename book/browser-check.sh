#!/usr/bin/env bash
# browser-check.sh: the book as a browser shows it (book/browser-check.py),
# or a clear message and success when no Chromium is installed.
#
#     usage: book/browser-check.sh BOOK_DIR
set -euo pipefail

book=${1:?usage: book/browser-check.sh BOOK_DIR}
chromium=
for name in chromium chromium-browser google-chrome; do
	if command -v "$name" >/dev/null; then
		chromium=$(command -v "$name")
		break
	fi
done
if [ -z "$chromium" ]; then
	echo "browser: SKIPPED: no Chromium here (apt-get install chromium); the pages were not opened"
	exit 0
fi
exec "$(dirname "$0")/browser-check.py" "$chromium" "$book"
