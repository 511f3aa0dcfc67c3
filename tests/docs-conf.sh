#!/usr/bin/env bash
# docs-conf.sh - jobqd.conf(5)'s DAEMON OPTIONS checked against the option
# table of daemon/options.c: every option but config, help and version is
# documented, nothing else is, and each entry's "Reload: yes|no." agrees
# with the table's OPTIONS_RELOAD / OPTIONS_RESTART.  Also every option
# appears in jobqd(8).  Runs without a daemon; part of `make check`.
set -euo pipefail
SRC=${srcdir:-$(dirname "$0")/..}
SRC=$(cd "$SRC" && pwd)
python3 - "$SRC" <<'PY'
import re, sys
src = sys.argv[1]
code = open(src + "/daemon/options.c").read()
tab = code[code.index("options_table[] = {"):]
tab = tab[:tab.index("\n};")]
opts = {}
for m in re.finditer(r'\t\{ "([a-z-]+)",.*?(OPTIONS_RELOAD|OPTIONS_RESTART) \},', tab, re.S):
    opts[m.group(1)] = m.group(2) == "OPTIONS_RELOAD"
for skip in ("config", "help", "version"):
    opts.pop(skip, None)
if len(opts) < 10: sys.exit("could not read the option table: %r" % opts)
man = open(src + "/man/jobqd.conf.5.in").read()
sec = re.search(r'^\.SH DAEMON OPTIONS\n(.*?)^\.SH ', man, re.S | re.M)
if not sec: sys.exit("jobqd.conf(5) has no DAEMON OPTIONS section")
doc = {}
for m in re.finditer(r'^\.TP\n\.BI? ([a-z\\-]+)[^\n]*\nReload: (yes|no)\.', sec.group(1), re.M):
    doc[m.group(1).replace("\\-", "-")] = m.group(2) == "yes"
bad = []
for o in opts:
    if o not in doc: bad.append("jobqd.conf(5) does not document option %s" % o)
    elif doc[o] != opts[o]:
        bad.append("option %s: jobqd.conf(5) says reload %s, options.c %s"
                   % (o, "yes" if doc[o] else "no", "yes" if opts[o] else "no"))
for o in doc:
    if o not in opts: bad.append("jobqd.conf(5) documents option %s, which options.c lacks" % o)
j8 = open(src + "/man/jobqd.8.in").read().replace("\\-", "-")
for o in opts:
    if "--" + o not in j8: bad.append("jobqd(8) does not mention --%s" % o)
if bad:
    print("\n".join(bad)); sys.exit(1)
print("docs-conf: %d options agree" % len(opts))
PY
