#!/usr/bin/python3
"""Helpers for bench/distributed.sh (Debian's /usr/bin/python3, standard library only: Azurite is
read over its REST API with an account SAS from tools.py; these are bench probes, not product code).

  distributed_tools.py inflight ACCOUNT_URL SAS CONTAINER ID        batches started and not finished, newest first:
                                                                    "BATCH WORKER" per line
  distributed_tools.py finished ACCOUNT_URL SAS CONTAINER BATCH     exit 0 when the batch's outcomes blob exists
  distributed_tools.py written ACCOUNT_URL SAS CONTAINER BATCH      when its outcomes blob was written (epoch seconds,
                                                                    the blob's Last-Modified: the server's clock, so a
                                                                    slow probe does not lengthen a measured recovery)
  distributed_tools.py snapshot ACCOUNT_URL SAS CONTAINER PREFIX OUT  every blob's name, ETag, last-modified -> OUT (JSON)
  distributed_tools.py rewritten BEFORE_JSON AFTER_JSON            blobs of BEFORE whose ETag or last-modified changed
  distributed_tools.py drop ACCOUNT_URL SAS CONTAINER               deletes a container (Azurite frees its blobs' RAM)
  distributed_tools.py report-check REPORT_JSONL EXPECTED           one line per key? prints lines, keys, reruns, outcomes
  distributed_tools.py section SCALE_MD NAME FRAGMENT_MD            replaces SCALE.md's text between
                                                                    <!-- bench:NAME --> and <!-- /bench:NAME -->
"""
import json
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

CTX = ssl.create_default_context()  # the sandbox's CA is trusted system-wide


def call(method, url):
    req = urllib.request.Request(url, method=method, headers={"x-ms-version": "2021-08-06"})
    with urllib.request.urlopen(req, context=CTX, timeout=60) as r:
        return r.read()


def blobs(account_url, sas, container, prefix):
    """(name, etag, last_modified, created) of every blob under prefix, following NextMarker."""
    marker = ""
    while True:
        q = {"restype": "container", "comp": "list", "prefix": prefix, "maxresults": "5000"}
        if marker:
            q["marker"] = marker
        try:
            body = call("GET", f"{account_url}/{container}?{urllib.parse.urlencode(q)}&{sas}")
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return
            raise
        root = ET.fromstring(body)
        for b in root.iter("Blob"):
            p = b.find("Properties")
            yield (b.findtext("Name"), p.findtext("Etag"), p.findtext("Last-Modified"), p.findtext("Creation-Time") or "")
        marker = root.findtext("NextMarker") or ""
        if not marker:
            return


def inflight(account_url, sas, container, mid):
    started, finished = {}, set()
    for name, _, _, created in blobs(account_url, sas, container, mid + "/"):
        if name.endswith(".started"):
            started[name[: -len(".started")]] = created
        elif name.endswith(".outcomes.jsonl"):
            finished.add(name[: -len(".outcomes.jsonl")])
    from email.utils import parsedate_to_datetime
    for batch in sorted((b for b in started if b not in finished), key=lambda b: parsedate_to_datetime(started[b]) if started[b] else 0, reverse=True):
        worker = call("GET", f"{account_url}/{container}/{urllib.parse.quote(batch)}.started?{sas}").decode()
        print(batch, worker)


def finished(account_url, sas, container, batch):
    try:
        call("HEAD", f"{account_url}/{container}/{urllib.parse.quote(batch)}.outcomes.jsonl?{sas}")
        return 0
    except urllib.error.HTTPError as e:
        return 1 if e.code == 404 else 2


def written(account_url, sas, container, batch):
    req = urllib.request.Request(f"{account_url}/{container}/{urllib.parse.quote(batch)}.outcomes.jsonl?{sas}", method="HEAD",
                                 headers={"x-ms-version": "2021-08-06"})
    with urllib.request.urlopen(req, context=CTX, timeout=60) as r:
        from email.utils import parsedate_to_datetime
        print(f'{parsedate_to_datetime(r.headers["Last-Modified"]).timestamp():.0f}')


def snapshot(account_url, sas, container, prefix, out):
    snap = {name: [etag, modified] for name, etag, modified, _ in blobs(account_url, sas, container, prefix)}
    with open(out, "w") as f:
        json.dump(snap, f)
    print(len(snap))


def rewritten(before, after):
    a, b = json.load(open(before)), json.load(open(after))
    changed = [n for n, v in a.items() if b.get(n) != v]
    print(len(changed))
    for n in changed[:20]:
        print(" ", repr(n), a[n], b.get(n), file=sys.stderr)


def drop(account_url, sas, container):
    try:
        call("DELETE", f"{account_url}/{container}?restype=container&{sas}")
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise


def report_check(path, expected):
    keys, reruns, outcomes, lines = {}, 0, {}, 0
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        lines += 1
        r = json.loads(line)
        keys[r["source_key"]] = keys.get(r["source_key"], 0) + 1
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
        if "executed again" in (r.get("reason") or ""):
            reruns += 1
    print(json.dumps({"lines": lines, "keys": len(keys), "keys_with_more_than_one_line": sum(1 for n in keys.values() if n > 1),
                      "expected": int(expected), "reruns": reruns, "outcomes": outcomes}))


def section(scale_md, name, fragment):
    text = open(scale_md, encoding="utf-8").read()
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    body = open(fragment, encoding="utf-8").read().strip("\n")
    if begin not in text or end not in text:
        raise SystemExit(f"{scale_md} has no {begin} ... {end} markers: add them where the section belongs")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(scale_md, "w", encoding="utf-8") as f:
        f.write(f"{head}{begin}\n{body}\n{end}{tail}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "inflight":
        inflight(*args)
    elif cmd == "finished":
        sys.exit(finished(*args))
    elif cmd == "written":
        written(*args)
    elif cmd == "snapshot":
        snapshot(*args)
    elif cmd == "rewritten":
        rewritten(*args)
    elif cmd == "drop":
        drop(*args)
    elif cmd == "report-check":
        report_check(*args)
    elif cmd == "section":
        section(*args)
    else:
        raise SystemExit(__doc__)
