#!/usr/bin/python3
"""transcripts.py: the terminal sessions shown in the book, re-run for real.

    usage: book/transcripts.py check  [FILE.md...]
           book/transcripts.py update [FILE.md...]
           book/transcripts.py podman [update] [FILE.md...]

A transcript is a fenced block of class `transcript` in a page of the book:

    ```{.transcript}
    $ build/bin/uts hostname
    myhostname
    ```

Each block runs, command by command, in one fresh sandbox that stands in for
a lab machine (book/sandbox.sh: bubblewrap, never the real machine), from a
folder that holds the worked programs under build/bin; blocks run side by
side, as many as there are CPUs, podman's one at a time.  `check` compares
what the commands print now with what the page shows, after normalising what
legitimately differs from run to run (see normalise()), and prints a diff
for each block that no longer matches; `update` writes the fresh output back
into the page instead.

A block of classes `transcript` and `podman` shows podman driving chapter
11's runtime: it needs root and podman, so `check` and `update` leave it
out, and `podman` checks it (or, with `update`, rewrites it) by running its
commands on the machine itself, as tests/podman/run.sh does, with IMAGE
naming the image that script imported.

A block may name the cgroup layout it was made on, `layout="v2"` or
`layout="hybrid"` (as build/tests/cgbox --layout says it): it runs only
where the sandbox gets that layout, and is skipped elsewhere, saying so.
This machine is hybrid; `make vm CMD='book/transcripts.py update FILE'`
runs the v2 ones, in the test VM.

With no FILE, every page: book/*.md and chapters/*/README.md.
Prints "transcripts: N passed, M failed, K skipped" last; exit 0 only if M is 0, 2 on a
usage error or when the sandbox cannot start.
"""
import concurrent.futures
import difflib
import glob
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SANDBOX = os.path.join(TOP, "book", "sandbox.sh")
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*\{[^}]*\.transcript\b[^}]*\}\s*$")
PODMAN = re.compile(r"^\S+\s*\{[^}]*\.podman\b")
LAYOUT = re.compile(r'\blayout="([a-z0-9]+)"')
MARK = "\x1etranscript-command "
TIMEOUT = 30  # seconds for one block, sandbox included


class Block:
    """One transcript: where it is, its commands, the output it shows."""

    def __init__(self, path, start, end, lines, layout):
        self.path = path
        self.layout = layout  # the cgroup layout it needs, or None
        self.start = start  # index of the opening fence
        self.end = end  # index of the closing fence
        self.lines = lines  # the lines between, as shown
        self.commands = [l[2:] for l in lines if l.startswith("$ ")]
        self.podman = False  # run on the machine by `podman` (see above)

    def where(self):
        return "%s:%d" % (os.path.relpath(self.path, TOP), self.start + 1)


def blocks_of(path):
    """Returns the transcripts of a markdown file, in order."""
    with open(path, encoding="utf-8") as f:
        text = f.read().split("\n")
    found, i = [], 0
    while i < len(text):
        m = FENCE.match(text[i])
        if not m:
            i += 1
            continue
        fence = m.group("fence")
        j = i + 1
        while j < len(text) and not (text[j].startswith(fence) and
                                     text[j].strip() == fence[0] * len(text[j].strip())):
            j += 1
        if j == len(text):
            sys.exit("transcripts: %s:%d: a transcript block is never closed" % (path, i + 1))
        layout = LAYOUT.search(text[i])
        block = Block(path, i, j, text[i + 1:j], layout.group(1) if layout else None)
        block.podman = bool(PODMAN.match(text[i]))
        if not block.commands:
            sys.exit("transcripts: %s: a transcript with no \"$ command\" line" % block.where())
        if not block.lines[0].startswith("$ "):
            sys.exit("transcripts: %s: a transcript must start with a \"$ command\" line" % block.where())
        found.append(block)
        i = j + 1
    return found


def run(block):
    """Runs the block's commands in a fresh sandbox; returns its lines."""
    # bash reads the script on its standard input: the commands must not.
    # The marker before each command keeps $? as the last command left it.
    script = ["keep() { return \"$1\"; }"]
    for n, command in enumerate(block.commands):
        script.append("s=$?; printf '%s%d\\n'; keep \"$s\"" % (MARK, n))
        script.append("{ %s\n} </dev/null 2>&1" % command)
    # A podman block runs on the machine: podman is the client, the worked
    # runtime the one program it drives (tests/podman/run.sh).
    where = ["bash"] if block.podman else [SANDBOX]
    try:
        proc = subprocess.run(where, input="\n".join(script).encode() + b"\n",
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=4 * TIMEOUT if block.podman else TIMEOUT, cwd=TOP)
    except subprocess.TimeoutExpired:
        return ["(the commands did not finish in %d s)" % TIMEOUT]
    if proc.returncode == 125:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        sys.exit("transcripts: %s: the sandbox could not start (see above)" % block.where())
    out = proc.stdout.decode(errors="replace").split("\n")
    if out and out[-1] == "":
        out.pop()
    lines, seen = [], 0
    for line in out:
        if line.startswith(MARK):
            lines.append("$ " + block.commands[int(line[len(MARK):])])
            seen += 1
        else:
            lines.append(line.rstrip())
    if seen != len(block.commands):
        lines.append("(the sandbox stopped after %d of %d commands: %s)" % (
            seen, len(block.commands), proc.stderr.decode(errors="replace").strip()))
    return lines


# What varies from run to run, each with the name it is given.  Values of a
# kind are renamed in the order they first appear in a block (MAC1, MAC2...),
# so that "two different addresses" still differs from "the same one twice".
VARYING = [
    ("MAC", re.compile(r"\b(?!00:00:00:00:00:00\b)(?!ff:ff:ff:ff:ff:ff\b)"
                       r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b")),
    ("LINKLOCAL", re.compile(r"\bfe80::[0-9a-f:]+")),
    ("INODE", re.compile(r"(?<=:\[)\d+(?=\])")),
    ("KEY", re.compile(r"\b0x(?!0{8}\b)[0-9a-f]{8}\b")),
]
DATE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                  r" +\d{1,2} +(?:\d{1,2}:\d{2}|\d{4})\b")
TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")
# `ps -o pid,ppid,...`: the two numbers a line starts with.  Processes that
# start at the same time race for the next PID, so PIDs other than 0 and 1
# (which mean something) are renamed, the same PID to the same name.
PS_PIDS = re.compile(r"^ *(\d+) +(\d+) +\S")
# `ps aux`: %CPU %MEM VSZ RSS after USER PID.
PS_AUX = re.compile(r"^(\S+ +\d+) +\d+\.\d +\d+\.\d +\d+ +\d+ ")
# An IPv6 address still checking that it is unique (DAD) shows "tentative".
TENTATIVE = re.compile(r" tentative\b")
# A device node bound in from the lab: from its devtmpfs on a machine, from
# the tmpfs a container engine gives it in the lab container.
DEVNODE = re.compile(r"^(/dev/\S+) devtmpfs$")


def normalise(lines):
    """Returns lines with what legitimately varies made equal: MAC and
    link-local addresses, namespace inode numbers, IPC keys and the PIDs `ps`
    lists (renamed in order of appearance), dates and times, the figures of `ps aux` that measure
    use, "tentative" on new IPv6 addresses, the file system of a device
    node bound in from the lab (devtmpfs or tmpfs), and runs of spaces
    (columns widen)."""
    names = {kind: {} for kind, _ in VARYING}
    pids = {}

    def pid(number):
        if number in ("0", "1"):
            return number
        return pids.setdefault(number, "PID%d" % (len(pids) + 1))

    out = []
    for line in lines:
        m = PS_PIDS.match(line)
        if m:
            line = "%s %s %s" % (pid(m.group(1)), pid(m.group(2)), line[m.end() - 1:])
        if not line.startswith("$ "):
            for kind, pattern in VARYING:
                seen = names[kind]
                line = pattern.sub(
                    lambda m: seen.setdefault(m.group(0), "%s%d" % (kind, len(seen) + 1)),
                    line)
            line = TIME.sub("TIME", DATE.sub("DATE", line))
            line = TENTATIVE.sub("", PS_AUX.sub(r"\1 CPU MEM VSZ RSS ", line))
            line = DEVNODE.sub(r"\1 tmpfs", line)
        out.append(re.sub(r"[ \t]+", " ", line).rstrip())
    return out


def machine_layout():
    """Returns the cgroup layout the sandbox gets here, as cgbox says it:
    "v2", "hybrid", "v1", or "none"."""
    try:
        out = subprocess.run([os.path.join(TOP, "build", "tests", "cgbox"), "--layout"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return "none"
    lines = out.stdout.decode().split("\n")
    return lines[0] if out.returncode == 0 and lines[0] else "none"


def main(argv):
    if len(argv) < 2 or argv[1] not in ("check", "update", "podman"):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    mode, files, podman = argv[1], argv[2:], argv[1] == "podman"
    if podman:
        mode = "check"
        if files and files[0] == "update":
            mode, files = "update", files[1:]
        if os.geteuid() != 0 or "IMAGE" not in os.environ:
            sys.stderr.write("transcripts: podman: needs root and IMAGE "
                             "(tests/podman/run.sh sets both)\n")
            return 2
    if not files:
        files = sorted(glob.glob(os.path.join(TOP, "book", "*.md"))) + \
                sorted(glob.glob(os.path.join(TOP, "chapters", "*", "README.md")))
    for path in files:
        if not os.path.isfile(path):
            sys.exit("transcripts: no such page: %s" % path)
    passed = failed = skipped = 0
    here = machine_layout()
    pages = [(path, [b for b in blocks_of(path) if b.podman == podman]) for path in files]
    # Each block has a sandbox of its own, so they run side by side, as
    # many as there are CPUs; podman's run one at a time, on the machine.
    # The results are reported in the pages' order all the same.
    todo = [b for _, blocks in pages for b in blocks
            if b.layout is None or b.layout == here]
    with concurrent.futures.ThreadPoolExecutor(
            max_workers=1 if podman else os.cpu_count() or 1) as pool:
        ran = dict(zip(map(id, todo), pool.map(run, todo)))
    for path, blocks in pages:
        if not blocks:
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read().split("\n")
        changed = []
        for block in blocks:
            if block.layout is not None and block.layout != here:
                skipped += 1
                print("skipped %s: made on cgroup %s, and the sandbox's here is %s" % (
                    block.where(), block.layout, here))
                continue
            got = ran[id(block)]
            if mode == "update":
                # Always the fresh output: what the page shows was really printed.
                if got != block.lines:
                    changed.append((block, got))
                    print("updated %s" % block.where())
                passed += 1
                continue
            if normalise(got) == normalise(block.lines):
                passed += 1
                continue
            failed += 1
            print("FAIL: %s: the transcript no longer matches a real run "
                  "(`make transcripts` rewrites it from one):" % block.where())
            sys.stdout.writelines(line + "\n" for line in difflib.unified_diff(
                block.lines, got, "as the page shows it", "as it runs now", lineterm=""))
        if changed:
            # From the last block up, so that the earlier ones keep their place.
            for block, got in reversed(changed):
                text[block.start + 1:block.end] = got
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(text))
    print("transcripts: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
