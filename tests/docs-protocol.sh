#!/usr/bin/env bash
# docs-protocol.sh - the protocol's two documents, doc/protocol.md and
# jobq-protocol(7), checked against each other and against the code:
#   - every op of the code's table (lib/proto_req.c, PROTO_OP) has a request
#     in both documents, and neither documents an op the code lacks;
#   - each op's request names the same members in both (the "KEY": tokens
#     of its request, up to the reply arrow);
#   - every error code of the code (lib/proto.c, proto_errnames) appears in
#     both.
# Runs without a daemon; part of `make check`.
set -euo pipefail
SRC=${srcdir:-$(dirname "$0")/..}
SRC=$(cd "$SRC" && pwd)
python3 - "$SRC" <<'PY'
import re, sys
src = sys.argv[1]
code = open(src + "/lib/proto_req.c").read()
ops = [o for o in re.findall(r'PROTO_OP\([A-Z_]+, ([a-z_]+)\)', code) if o != "op"]
if len(ops) < 10: sys.exit("could not read the op table: %r" % ops)
errs = re.findall(r'^\t"([a-z_]+)",\s+/\* JOBQ_', open(src + "/lib/proto.c").read(), re.M)
if len(errs) < 10: sys.exit("could not read the error names: %r" % errs)
md = open(src + "/doc/protocol.md").read()
man = open(src + "/man/jobq-protocol.7.in").read()

def requests(text, strip):
    """op -> the member names of its documented request."""
    out = {}
    for m in re.finditer(r'\{"op":"([a-z_]+)"', text):
        op = m.group(1)
        if op in out: continue
        rest = text[m.start():]
        end = re.search(r'->|\\\(->', rest)
        req = strip(rest[:end.start() if end else 400])
        # top-level and nested member names alike: "key":
        out[op] = set(re.findall(r'"([a-z_]+)":', req)) - {"op"}
    return out

md_req = requests(md, lambda s: s)
man_req = requests(man, lambda s: re.sub(r'^\.B \\?\s?', '', s, flags=re.M))
bad = []
for name, doc in (("doc/protocol.md", md_req), ("jobq-protocol(7)", man_req)):
    for op in ops:
        if op not in doc: bad.append("%s does not document op %s" % (name, op))
    for op in doc:
        if op not in ops: bad.append("%s documents op %s, which the code lacks" % (name, op))
for op in ops:
    a, b = md_req.get(op), man_req.get(op)
    if a is not None and b is not None and a != b:
        bad.append("op %s: members differ: only in protocol.md %s, only in jobq-protocol(7) %s"
                   % (op, sorted(a - b), sorted(b - a)))
for e in errs:
    if e == "ok": continue
    if not re.search(r'`%s`' % e, md): bad.append("doc/protocol.md does not name error %s" % e)
    if not re.search(r'(\.B[IR]? |\b)%s\b' % re.escape(e).replace('_', r'(\\-|_)?'), man):
        bad.append("jobq-protocol(7) does not name error %s" % e)
if bad:
    print("\n".join(bad)); sys.exit(1)
print("docs-protocol: %d ops, %d error codes, both documents agree" % (len(ops), len(errs) - 1))
PY
