# The lab: a Debian 12 machine with everything the workbook needs, in which
# every chapter works whatever the machine underneath is.  `make lab` builds
# it and runs it privileged, with the workbook mounted at /workbook: the
# workbook itself is never copied in, so a student's work stays on their disk.
FROM debian:bookworm

# WORKBOOK_LAB tells tools/lab.sh that it is already running in the lab.
ENV LANG=C.UTF-8 WORKBOOK_LAB=1
ARG DEBIAN_FRONTEND=noninteractive

# Slim base images tell dpkg to skip the man pages, and groff's files that
# render them; the lab wants both.
RUN find /etc/dpkg/dpkg.cfg.d -type f \
        -exec sed -i '\#^path-exclude=\{0,1\} */usr/share/\(man\|groff\)/#d' {} +

# The workbook's packages: the list `make` installs on a host, installed by
# the same script, so that the lab and a host cannot drift apart.
COPY tools/packages.txt tools/setup.sh /usr/local/share/workbook/
RUN apt-get update \
 && /usr/local/share/workbook/setup.sh \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

# What only the lab needs: a pager, two editors (vim-tiny answers to vim
# too), and the man pages of the system calls (section 2, manpages-dev) and
# of namespaces (section 7).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        less man-db manpages manpages-dev nano vim-tiny \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && update-alternatives --install /usr/bin/vim vim /usr/bin/vim.tiny 10 \
 && man 2 clone | grep -q CLONE_NEWNET \
 && man 7 namespaces | grep -q CLONE_NEWUTS

# Greets the student, runs the shell or the command, and gives the files
# root made in /workbook back to the workbook's owner (see the script).
COPY tools/lab-entry.sh /usr/local/bin/lab-entry
WORKDIR /workbook
ENTRYPOINT ["/usr/local/bin/lab-entry"]
