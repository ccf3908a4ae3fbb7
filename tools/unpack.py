#!/usr/bin/python3
"""unpack.py: find, unpack and checksum students' submissions, for the grader.

    usage: tools/unpack.py scan LIST SUBMISSIONS
           tools/unpack.py zip|tar ARCHIVE|- DEST
           tools/unpack.py find LIST DIR

LIST is tests/exercises.tsv.  A submission is a folder laid out like
chapters/ (or holding chapters/, or holding one folder that does), a .zip or
a .tar.gz (.tgz) of one, or a git repository.

scan: one line per entry of SUBMISSIONS, tab-separated: the student's id
(the entry's name without its extension), its kind (folder, zip, tar, git,
refused or skipped), a checksum of what the grader would read, and the
folder to grade (a folder), the entry (an archive, a repository) or the
reason (refused, skipped).  Hidden entries are left out.

zip, tar: unpack ARCHIVE (or standard input: a file, or for tar a stream) into the empty
folder DEST, within limits: at most MAX_FILES entries and MAX_BYTES in all,
counted as the bytes come out, whatever the archive's headers claim (a zip
bomb is stopped at the limit).  A name that is absolute or climbs out with
"..", or a link that points out of the archive, refuses it whole; links
that stay inside are not made (the grader reads regular files only), and no
file gets more than rw-r--r--.

find: the folder under DIR to grade, by the rules above.

Exit status: 0 done; 1 the submission is refused, with one line saying why
on stderr; 2 usage.
"""

import gzip
import hashlib
import lzma
import os
import stat
import sys
import tarfile
import zipfile
import zlib

MAX_FILES = 5000
MAX_BYTES = 64 << 20
IGNORED = {"__MACOSX"}  # what macOS's Archive Utility adds to a zip


class Refused(Exception):
    """A submission the grader will not take, and why."""


def exercises(list_path):
    """The (chapter folder, exercise name) pairs of the list."""
    pairs = []
    with open(list_path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if not line.startswith("#") and len(fields) >= 7:
                pairs.append((fields[0], fields[1]))
    return pairs


def holds_exercises(folder, pairs):
    """True if FOLDER holds at least one exercise's file."""
    return any(os.path.isfile(os.path.join(folder, d, n + ".c")) for d, n in pairs)


def visible(folder):
    """The entries of FOLDER a person put there: no hidden ones, no __MACOSX."""
    return sorted(e for e in os.listdir(folder)
                  if not e.startswith(".") and e not in IGNORED)


def find_work(folder, pairs, depth=0):
    """The folder under FOLDER to grade; raises Refused if there is none."""
    if holds_exercises(folder, pairs):
        return folder
    chapters = os.path.join(folder, "chapters")
    if os.path.isdir(chapters):
        if holds_exercises(chapters, pairs):
            return chapters
        raise Refused("its chapters/ folder holds none of the exercise files")
    entries = visible(folder)
    if not entries:
        raise Refused("the folder is empty" if depth == 0 else "its folder is empty")
    if depth == 0 and len(entries) == 1 and os.path.isdir(os.path.join(folder, entries[0])):
        return find_work(os.path.join(folder, entries[0]), pairs, depth + 1)
    first = "%s/%s.c" % pairs[0] if pairs else "the exercise files"
    raise Refused("it holds no chapters/ folder and none of the exercise files (%s and the others)" % first)


def work_sum(work, pairs):
    """A checksum of what the grader reads in WORK: each exercise folder's
    regular .c and .h files under 1 MiB, by name and contents, and the names
    of any other .c or .h entries (a link, say) it only looks at."""
    h = hashlib.sha256()
    for chapter in sorted({d for d, _ in pairs}):
        folder = os.path.join(work, chapter)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if not name.endswith((".c", ".h")):
                continue
            st = os.lstat(path)
            h.update(("%s/%s %o\n" % (chapter, name, stat.S_IFMT(st.st_mode))).encode())
            if stat.S_ISREG(st.st_mode) and st.st_size < 1 << 20:
                with open(path, "rb") as f:
                    h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def file_sum(path):
    """The SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_head(repo):
    """What a repository's HEAD names, read from its files (no git command
    runs on a student's configuration here): the commit, or the ref when it
    is packed, with the packed refs' checksum."""
    gitdir = os.path.join(repo, ".git")
    if os.path.isfile(gitdir):
        raise Refused("its .git names a repository elsewhere (a worktree, a submodule): hand in the repository itself")
    if not os.path.isdir(gitdir):
        gitdir = repo  # a bare repository
    with open(os.path.join(gitdir, "HEAD"), encoding="utf-8", errors="replace") as f:
        head = f.read(4096).strip()
    if not head.startswith("ref: "):
        return head
    ref = head[5:]
    path = os.path.join(gitdir, ref)
    if os.path.isfile(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(4096).strip()
    packed = os.path.join(gitdir, "packed-refs")
    if os.path.isfile(packed):
        return ref + " " + file_sum(packed)
    raise Refused("the repository has no commit")


def kind_of(path, name):
    """The kind of entry NAME: folder, zip, tar, git, or None."""
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, ".git")) or all(
                os.path.exists(os.path.join(path, p)) for p in ("HEAD", "objects", "refs")):
            return "git"
        return "folder"
    if os.path.isfile(path):
        if name.endswith(".zip"):
            return "zip"
        if name.endswith((".tar.gz", ".tgz")):
            return "tar"
    return None


def student_id(name, kind):
    """The student's id: the entry's name without its archive extension."""
    for ext in (".tar.gz", ".tgz", ".zip", ".git"):
        if kind in ("zip", "tar", "git") and name.endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)]
    return name


def scan(list_path, submissions):
    """Prints a line per entry of SUBMISSIONS (see the top)."""
    pairs = exercises(list_path)
    rows = []
    for name in sorted(os.listdir(submissions)):
        if name.startswith("."):
            continue
        path = os.path.join(submissions, name)
        kind = kind_of(path, name)
        ident = student_id(name, kind)
        if kind is None or any(c in ident for c in "\t\n\r\\"):
            rows.append([ident, "skipped", "-", "not a submission (a folder, a .zip, a .tar.gz or a git repository)"])
            continue
        try:
            if kind == "folder":
                work = find_work(path, pairs)
                rows.append([ident, kind, work_sum(work, pairs), work])
            elif kind == "git":
                rows.append([ident, kind, hashlib.sha256(git_head(path).encode()).hexdigest(), path])
            else:
                rows.append([ident, kind, file_sum(path), path])
        except Refused as why:
            rows.append([ident, "refused", "-", "%s: %s" % (name, why)])
        except OSError as why:
            rows.append([ident, "refused", "-", "%s: cannot be read: %s" % (name, why.strerror or why)])
    seen = {}
    for row in rows:
        seen.setdefault(row[0], []).append(row)
    for ident, same in seen.items():
        if len(same) > 1 and any(r[1] != "skipped" for r in same):
            for row in same:
                row[1:] = ["refused", "-", "two submissions for %s: keep one" % ident]
    for row in rows:
        print("\t".join(row))


def safe_name(name):
    """NAME as a relative path inside the archive, or Refused if it escapes."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise Refused("it names an absolute path: %s" % name[:200])
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise Refused("a path climbs out of it: %s" % name[:200])
    return "/".join(parts)


def check_link(name, target):
    """Refused if the link NAME -> TARGET points out of the archive."""
    if target.startswith("/"):
        raise Refused("a link points out of it: %s -> %s" % (name[:200], target[:200]))
    depth = len(name.split("/")) - 1
    for part in target.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                raise Refused("a link points out of it: %s -> %s" % (name[:200], target[:200]))
        elif part not in ("", "."):
            depth += 1


class Budget:
    """Counts entries and bytes against the limits."""

    def __init__(self):
        self.files = 0
        self.bytes = 0

    def entry(self):
        self.files += 1
        if self.files > MAX_FILES:
            raise Refused("it holds more than %d files" % MAX_FILES)

    def copy(self, src, dest):
        """Copies the stream SRC into the new file DEST, within the budget."""
        with open(dest, "xb") as out:
            while True:
                block = src.read(1 << 16)
                if not block:
                    return
                self.bytes += len(block)
                if self.bytes > MAX_BYTES:
                    raise Refused("it unpacks to more than %d MiB (a zip bomb?)" % (MAX_BYTES >> 20))
                out.write(block)


def place(dest, name):
    """The path of NAME under DEST, its folders made."""
    path = os.path.join(dest, name)
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    return path


def unzip(archive, dest):
    """Unpacks a zip (see the top)."""
    budget = Budget()
    if archive == "-":
        archive = os.fdopen(0, "rb")  # a file: a zip is read from its end
    try:
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                budget.entry()
                name = safe_name(info.filename)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    with z.open(info) as f:
                        check_link(name, f.read(4096).decode("utf-8", "replace"))
                    continue
                if info.flag_bits & 0x1:
                    raise Refused("it is encrypted")
                if info.is_dir() or not name:
                    os.makedirs(os.path.join(dest, name), mode=0o755, exist_ok=True)
                    continue
                with z.open(info) as f:
                    budget.copy(f, place(dest, name))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
            NotImplementedError, RuntimeError) as why:
        raise Refused("it is not a zip archive that can be read: %s" % why)


def untar(archive, dest):
    """Unpacks a tar, compressed or not (see the top)."""
    budget = Budget()
    try:
        if archive == "-" and not os.path.isfile("/proc/self/fd/0"):
            tar = tarfile.open(fileobj=sys.stdin.buffer, mode="r|*")
        elif archive == "-":
            tar = tarfile.open(fileobj=os.fdopen(0, "rb"), mode="r:*")
        else:
            tar = tarfile.open(archive, mode="r:*")
        with tar:
            for member in tar:
                budget.entry()
                name = safe_name(member.name)
                if member.islnk():  # named from the archive's top
                    try:
                        safe_name(member.linkname)
                    except Refused:
                        raise Refused("a link points out of it: %s -> %s" % (name[:200], member.linkname[:200]))
                elif member.issym():
                    check_link(name, member.linkname)
                elif member.isdir() or not name:
                    os.makedirs(os.path.join(dest, name), mode=0o755, exist_ok=True)
                elif member.isreg():
                    budget.copy(tar.extractfile(member), place(dest, name))
                # devices and FIFOs are not made
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile,
            lzma.LZMAError, ValueError) as why:
        raise Refused("it is not a tar archive that can be read: %s" % why)


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == "scan":
            scan(argv[2], argv[3])
        elif len(argv) == 4 and argv[1] in ("zip", "tar"):
            os.umask(0o022)
            if os.listdir(argv[3]):
                print("unpack: %s is not empty" % argv[3], file=sys.stderr)
                return 2
            (unzip if argv[1] == "zip" else untar)(argv[2], argv[3])
            if not any(os.scandir(argv[3])):
                raise Refused("the archive is empty")
        elif len(argv) == 4 and argv[1] == "find":
            print(find_work(argv[3], exercises(argv[2])))
        else:
            print(__doc__.split("\n\n")[1], file=sys.stderr)
            return 2
    except Refused as why:
        print(why, file=sys.stderr)
        return 1
    except OSError as why:
        print("it cannot be unpacked: %s" % why, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
