#!/usr/bin/python3
"""Helpers for bench/run.sh (Debian's /usr/bin/python3 with python3-boto3).

  tools.py sas ACCOUNT KEY_BASE64            an account SAS (blob service, all permissions, 1 day)
  tools.py ceiling-config BUCKET BLOCK OUT   a curl -K config: every object of BUCKET cut into BLOCK-byte
                                             ranged GETs (presigned with the AWS_* credentials in the
                                             environment) to /dev/null; prints "objects bytes ranges"
  tools.py proc-cpu PID                      user+sys CPU seconds of a live process (and its threads)
  tools.py report RUNS_JSONL OUT_MD OUT_JSON medians, rates, ratios -> results.md / results.json
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import statistics
import sys
import urllib.parse


def sas(account, key):
    expiry = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {"sv": "2019-12-12", "ss": "b", "srt": "sco", "sp": "rwdlacup", "se": expiry, "spr": "https,http"}
    to_sign = "\n".join([account, fields["sp"], fields["ss"], fields["srt"], "", fields["se"], "", fields["spr"], fields["sv"], ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
    fields["sig"] = sig
    print(urllib.parse.urlencode(fields))


def ceiling_config(bucket, block, out):
    import boto3
    from botocore.config import Config
    block = int(block)
    s3 = boto3.client("s3", endpoint_url=os.environ["SKYBRIDGE_S3_ENDPOINT"], region_name="us-east-1",
                      config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    objects = [o for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in p.get("Contents", [])]
    ranges = 0
    with open(out, "w") as f:
        for o in objects:
            url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": o["Key"]}, ExpiresIn=3600)
            for start in range(0, o["Size"], block):
                end = min(start + block, o["Size"]) - 1
                f.write(f'url = "{url}"\nrange = "{start}-{end}"\noutput = "/dev/null"\n')
                ranges += 1
    print(len(objects), sum(o["Size"] for o in objects), ranges)


def proc_cpu(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        print(round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2))
    except OSError:
        print("null")


# ------------------------------------------------------------------ report

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=1):
    if x is None:
        return "–"
    if isinstance(x, int) or (isinstance(x, float) and abs(x) >= 1000):
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def report(runs_path, out_md, out_json):
    runs = [json.loads(l) for l in open(runs_path) if l.strip()]
    meta = next((r for r in runs if r.get("kind") == "meta"), {})
    rows = [r for r in runs if r.get("kind") == "run"]
    fills = [r for r in runs if r.get("kind") == "populate"]
    ceiling = [r for r in runs if r.get("kind") == "ceiling"]

    groups = {}
    for r in rows:
        groups.setdefault((r["scenario"], r["sink"], r["tool"]), []).append(r)

    summary = []
    for (scenario, sink, tool), rs in groups.items():
        ok = [r for r in rs if r["exit"] == 0 and r.get("verified", True)]
        wall = median([r["wall"] for r in ok])
        cpu = median([r["user"] + r["sys"] for r in ok])
        rss = max((r["rss_kb"] for r in ok), default=None)
        objects, nbytes = rs[0]["objects"], rs[0]["bytes"]
        moved = rs[0].get("moved_bytes", nbytes)
        summary.append({
            "scenario": scenario, "sink": sink, "tool": tool, "runs": len(rs), "ok_runs": len(ok),
            "objects": objects, "bytes": nbytes,
            "wall_s": wall, "walls": [r["wall"] for r in rs],
            "mb_per_s": (moved / 1e6 / wall) if wall and moved else None,
            "objects_per_s": (objects / wall) if wall else None,
            "cpu_s": cpu, "cpu_s_per_gb": (cpu / (moved / 1e9)) if cpu is not None and moved else None,
            "peak_rss_mb": rss / 1024 if rss else None,
            "sink_cpu_s": median([r.get("sink_cpu") for r in ok]),
            "rgw_cpu_s": median([r.get("rgw_cpu") for r in ok]),
            "failures": [r.get("note") for r in rs if r["exit"] != 0 or not r.get("verified", True)],
        })
    order = {"large": 0, "small": 1, "noop": 2, "onegib": 3}
    sinks = {"blackhole": 0, "blackhole-verify": 1, "azurite": 2}
    summary.sort(key=lambda s: (order.get(s["scenario"], 9), sinks.get(s["sink"], 9), s["tool"] != "skybridge"))

    def find(scenario, sink, tool):
        return next((s for s in summary if (s["scenario"], s["sink"], s["tool"]) == (scenario, sink, tool)), None)

    ratios = []
    for scenario in order:
        for sink in sinks:
            a, b = find(scenario, sink, "skybridge"), find(scenario, sink, "rclone")
            if a and b:
                ratios.append({"scenario": scenario, "sink": sink,
                               "throughput": ratio(a["mb_per_s"] if scenario != "noop" else a["objects_per_s"],
                                                   b["mb_per_s"] if scenario != "noop" else b["objects_per_s"]),
                               "objects_per_s": ratio(a["objects_per_s"], b["objects_per_s"]),
                               "wall": ratio(a["wall_s"], b["wall_s"]),
                               "cpu": ratio(a["cpu_s"], b["cpu_s"]),
                               "rss": ratio(a["peak_rss_mb"], b["peak_rss_mb"])})

    ceil_mbps = median([c["bytes"] / 1e6 / c["wall"] for c in ceiling if c["exit"] == 0])
    ceil = {"runs": len(ceiling), "mb_per_s": ceil_mbps, "walls": [c["wall"] for c in ceiling],
            "cpu_s": median([c["user"] + c["sys"] for c in ceiling]),
            "rgw_cpu_s": median([c.get("rgw_cpu") for c in ceiling]),
            "concurrency": ceiling[0]["concurrency"] if ceiling else None,
            "range_bytes": ceiling[0]["range_bytes"] if ceiling else None}

    # Targets
    def t(name, value, goal, passed):
        return {"target": name, "value": value, "goal": goal, "met": passed}
    targets = []
    sky_large = find("large", "blackhole", "skybridge")
    rc_large = find("large", "blackhole", "rclone")
    if sky_large and ceil_mbps and sky_large["mb_per_s"]:
        f = sky_large["mb_per_s"] / ceil_mbps
        targets.append(t("large, blackhole: Skybridge MB/s vs source ceiling", f"{f:.0%}", ">= 90%", f >= 0.9))
    # The blackhole's own checks off ("blackhole"): the service's hashing is Azure's work, not this host's.
    for scenario, what in (("large", "large"), ("onegib", "1 GiB single object")):
        a, b = find(scenario, "blackhole", "skybridge"), find(scenario, "blackhole", "rclone")
        if a and b and a["mb_per_s"] and b["mb_per_s"]:
            f = a["mb_per_s"] / b["mb_per_s"]
            targets.append(t(f"{what}, blackhole: Skybridge MB/s vs rclone", f"{f:.2f}x",
                             ">= 1.0x (aim 1.5x)" if scenario == "large" else ">= 1.0x", f >= 1.0))
    for sink in ("blackhole", "azurite"):
        a, b = find("small", sink, "skybridge"), find("small", sink, "rclone")
        if a and b and a["objects_per_s"] and b["objects_per_s"]:
            f = a["objects_per_s"] / b["objects_per_s"]
            targets.append(t(f"small, {sink}: Skybridge objects/s vs rclone", f"{f:.2f}x", ">= 1.0x (aim 1.5x)", f >= 1.0))
        a, b = find("noop", sink, "skybridge"), find("noop", sink, "rclone")
        if a and b and a["wall_s"] and b["wall_s"]:
            f = a["wall_s"] / b["wall_s"]
            targets.append(t(f"no-op, {sink}: Skybridge wall vs rclone", f"{f:.2f}x", "<= 1.0x", f <= 1.0))
        for scenario in ("large", "small"):
            a, b = find(scenario, sink, "skybridge"), find(scenario, sink, "rclone")
            if a and b and a["cpu_s_per_gb"] and b["cpu_s_per_gb"]:
                targets.append(t(f"{scenario}, {sink}: CPU s/GB Skybridge vs rclone",
                                 f"{a['cpu_s_per_gb']:.1f} vs {b['cpu_s_per_gb']:.1f}", "<= rclone",
                                 a["cpu_s_per_gb"] <= b["cpu_s_per_gb"]))
    sky_rss = [s for s in summary if s["tool"] == "skybridge" and s["peak_rss_mb"]]
    if sky_rss:
        worst = max(sky_rss, key=lambda s: s["peak_rss_mb"])
        targets.append(t("Skybridge peak RSS, every case", f"{worst['peak_rss_mb']:.0f} MB ({worst['scenario']}, {worst['sink']})",
                         "<= 300 MB", worst["peak_rss_mb"] <= 300))

    result = {"meta": meta, "ceiling": ceil, "summary": summary, "ratios": ratios, "targets": targets}
    with open(out_json, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    names = {"large": "large 8 x 256 MiB", "small": "small 5,000 x 16 KiB", "noop": "no-op 20,000 up to date",
             "onegib": "1 GiB single object"}

    def label(s):
        return f"large {s['objects']} x 256 MiB" if s["scenario"] == "large" else names.get(s["scenario"], s["scenario"])
    L = []
    L.append("# Skybridge vs rclone: S3 (Ceph RGW) -> Azure Blob benchmark")
    L.append("")
    L.append(f"Generated by `bench/run.sh` on {meta.get('date', '?')} (total run {fmt(meta.get('total_seconds'), 0)} s). "
             "Do not edit by hand: re-run the script.")
    L.append("")
    L.append("## Machine and setup")
    L.append("")
    for k in ("machine", "cpu", "memory", "os", "dotnet", "skybridge_commit", "skybridge_build", "rclone", "rgw", "azurite", "concurrency", "reps", "note"):
        if meta.get(k):
            L.append(f"- **{k}**: {meta[k]}")
    L.append("")
    L.append("## Results (median of the runs; CPU = user+sys of the tool's process; RSS = its peak)")
    L.append("")
    L.append("Sinks: `blackhole` discards the data with its checks off (the targets' figure: checking a transactional "
             "MD5 / CRC64 is the service's work, done on Azure's servers); `blackhole-verify` checks every transactional "
             "Content-MD5 / CRC64 as Azure does (its CPU is in \"sink CPU s\"; rclone sends none, so nothing of its copy "
             "is checked); `azurite` is Azurite in memory over https.")
    L.append("")
    L.append("| scenario | sink | tool | runs ok | wall s (median) | MB/s | objects/s | CPU s | CPU s/GB | peak RSS MB | sink CPU s | RGW CPU s |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in summary:
        mbps = s["mb_per_s"] if s["scenario"] != "noop" else None
        L.append(f"| {label(s)} | {s['sink']} | {s['tool']} | {s['ok_runs']}/{s['runs']} | "
                 f"{fmt(s['wall_s'], 2)} ({', '.join(fmt(w, 1) for w in s['walls'])}) | {fmt(mbps)} | {fmt(s['objects_per_s'])} | "
                 f"{fmt(s['cpu_s'], 1)} | {fmt(s['cpu_s_per_gb'], 2) if s['scenario'] != 'noop' else '–'} | "
                 f"{fmt(s['peak_rss_mb'], 0)} | {fmt(s['sink_cpu_s'], 1)} | {fmt(s['rgw_cpu_s'], 1)} |")
    L.append("")
    L.append("## Ratios Skybridge / rclone")
    L.append("")
    L.append("| scenario | sink | throughput (MB/s or objects/s) | wall time | CPU s | peak RSS |")
    L.append("|---|---|---|---|---|---|")
    for r in ratios:
        s0 = find(r["scenario"], r["sink"], "skybridge")
        L.append(f"| {label(s0)} | {r['sink']} | {fmt(r['throughput'], 2)} | {fmt(r['wall'], 2)} | "
                 f"{fmt(r['cpu'], 2)} | {fmt(r['rss'], 2)} |")
    L.append("")
    L.append("## Source ceiling")
    L.append("")
    if ceil_mbps:
        L.append(f"Parallel ranged GETs of the large set from RGW to /dev/null (curl --parallel, {ceil['concurrency']} at once, "
                 f"{(ceil['range_bytes'] or 0) // (1024 * 1024)} MiB ranges, presigned with the same temporary credentials): "
                 f"**{fmt(ceil_mbps)} MB/s** (median of {ceil['runs']}: {', '.join(fmt(w, 2) for w in ceil['walls'])} s; "
                 f"curl CPU {fmt(ceil['cpu_s'], 1)} s, RGW CPU {fmt(ceil['rgw_cpu_s'], 1)} s).")
        if sky_large and sky_large["mb_per_s"]:
            L.append("")
            L.append(f"Skybridge large objects on the blackhole: {fmt(sky_large['mb_per_s'])} MB/s = "
                     f"**{sky_large['mb_per_s'] / ceil_mbps:.0%} of the source ceiling**.")
    else:
        L.append("not measured")
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | goal | met |")
    L.append("|---|---|---|---|")
    for x in targets:
        L.append(f"| {x['target']} | {x['value']} | {x['goal']} | {'yes' if x['met'] else '**no**'} |")
    if fills:
        L.append("")
        L.append("Filling the no-op containers (20,000 x 4 KiB, both tools at the same time, so not a comparison): "
                 + "; ".join(f"{r['sink']}/{r['tool']} {fmt(r['wall'], 1)} s, CPU {fmt(r['user'] + r['sys'], 1)} s, "
                             f"RSS {fmt(r['rss_kb'] / 1024, 0)} MB" + ("" if r["exit"] == 0 and r.get("verified", True) else " (FAILED)")
                             for r in fills if r.get("wall") is not None) + ".")
    L.append("")
    L.append("## How the numbers were reached")
    L.append("")
    L.append(f"- **Builds**: Skybridge {meta.get('skybridge_commit', '?')} published by `bench/run.sh` as `{meta.get('skybridge_build', '?')}` "
             "(`aot`: one Native AOT executable; `composite`/`readytorun`: ReadyToRun under `dotnet`), from `git archive` of that "
             "commit; rclone as Debian packages it. Both take temporary AWS credentials from the same keyless chain "
             "(`skybridge auth aws-credentials`) and one account SAS for the sink.")
    L.append(f"- **Runs**: {meta.get('reps', '?')} per scenario, sink and tool, interleaved (odd reps Skybridge first, even reps "
             "rclone first), each into a fresh container, both streaming through this host with the same concurrency "
             f"({meta.get('concurrency', '?')}). rclone sends 8 MiB blocks and no checksum; Skybridge sends each object of up to "
             "1 GiB as one streamed Put Blob whose transactional Content-MD5 is the source's ETag (the destination's check is "
             "the proof: no hashing on this host) and larger ones in blocks, with no extra MD5 computed here "
             "(`--upload-checksum none`). Wall, CPU (user+sys) and peak RSS come from GNU `time` around the tool's "
             "process; sink and RGW CPU from their `/proc/PID/stat` before and after.")
    L.append("- **Checked**: after each run the destination's blob count and bytes (the blackhole's counters, or a listing of "
             "Azurite) must equal the source set's, else the run is listed below as failed and left out of the medians.")
    L.append("- **Figures**: medians of the runs that passed; MB/s = bytes of the set / median wall; CPU s/GB = median CPU / "
             "GB moved; ratios are Skybridge / rclone. The no-op scenario first fills each tool's own container (not "
             "measured), then times a re-run that must copy nothing.")
    for tool, cmd in (meta.get("commands") or {}).items():
        L.append(f"- **{tool}**: `{cmd}`")
    failures = [(s, f) for s in summary for f in s["failures"] if f]
    if failures:
        L.append("")
        L.append("## Failed or unverified runs (left out of the medians)")
        L.append("")
        for s, f in failures:
            L.append(f"- {s['scenario']} / {s['sink']} / {s['tool']}: {f}")
    L.append("")
    with open(out_md, "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"sas": sas, "ceiling-config": ceiling_config, "proc-cpu": proc_cpu, "report": report}[cmd](*args)
