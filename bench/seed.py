#!/usr/bin/python3
"""Seeds the benchmark buckets in the sandbox's RGW with the admin key (seeding only: the tools
under test use temporary credentials from `skybridge auth aws-credentials`). Idempotent: a bucket
that already holds its full set is left alone, a partial one is completed.

  large   8 x 256 MiB, single-part PUTs (ETag = MD5)
  small   5,000 x 16 KiB
  noop    20,000 x 4 KiB (the no-op re-run set)
  onegib  1 x 1 GiB (the memory-bound check), single-part
  dist50k 50,000 x 4-16 KiB in 100 folders, 40 of them 8-64 MiB (every other one multipart): ~1.9 GiB
          (bench/distributed.sh: the issue's 50,000-object run with kills)
  scale2g 32 x 64 MiB, single-part (bench/distributed.sh: the bandwidth-capped 1 -> 2 -> 4 worker scaling run)
  noop200k 200,000 x 1 KiB in 2,000 folders (bench/distributed.sh: the 200,000-object no-op migration)

With BENCH_MULTIPART=1 the large sets go to buckets suffixed "-mp", uploaded multipart (8 MiB
parts, ETag "-32"/"-128") as big S3 objects usually are. Ceph RGW 16 (Pacific) ignores
?partNumber= on HEAD/GET (it answers with the whole object), which a copier that rebuilds
multipart ETags from part sizes must cope with; the default single-part sets avoid depending on it.

Each bucket gets a bucket policy that lets the sandbox role (SKYBRIDGE_ROLE_ARN) list and read it,
so the sandbox's role policy (scoped to the demo bucket) is left untouched.

Usage: seed.py [SET ...]          seed (default: all). One JSON line per set: bucket, objects, bytes, seconds.
       seed.py --delete SET ...   delete a set's objects (the sandbox's memstore OSD holds only 4 GiB,
                                  shared with every test: run.sh keeps the 1 GiB object only while it is used)
Environment: SANDBOX_S3_ENDPOINT, SANDBOX_ADMIN_ACCESS_KEY, SANDBOX_ADMIN_SECRET_KEY, SKYBRIDGE_ROLE_ARN,
BENCH_BUCKET_PREFIX (default skybridge-bench).
"""
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

E = os.environ
PREFIX = E.get("BENCH_BUCKET_PREFIX", "skybridge-bench")
MiB = 1024 * 1024
SETS = {
    # name: (object count, object size, key format, multipart)
    "large": (8, 256 * MiB, "large/obj-{:02d}.bin", True),
    "small": (5000, 16 * 1024, "small/{:03d}/obj-{:05d}.bin", False),
    "noop": (20000, 4 * 1024, "noop/{:03d}/obj-{:05d}.bin", False),
    "onegib": (1, 1024 * MiB, "onegib/obj.bin", True),
    # Sizes and multipart may vary per object (a function of its index).
    "dist50k": (50000, lambda i: dist50k_size(i), "dist/{:03d}/obj-{:05d}.bin", lambda i: dist50k_large(i) and (i // 1250) % 2 == 0),
    "scale2g": (32, 64 * MiB, "scale/obj-{:02d}.bin", False),
    "noop200k": (200000, 1024, "noop200k/{:04d}/obj-{:06d}.bin", False),
}
FOLDER = {"dist50k": 500}  # objects per folder (default 100)


def dist50k_large(i):
    return i % 1250 == 7


def dist50k_size(i):
    """Mostly small (4-16 KiB), one in 1,250 large (8-64 MiB, the first exactly 64 MiB)."""
    if dist50k_large(i):
        return 64 * MiB if i == 7 else (8 + (i * 7919) % 57) * MiB
    return 4096 + (i * 2654435761) % (12 * 1024)


def size_of(name, i):
    size = SETS[name][1]
    return size(i) if callable(size) else size


def multipart_of(name, i):
    mp = SETS[name][3]
    return bool(mp(i)) if callable(mp) else mp
MULTIPART = E.get("BENCH_MULTIPART", "0") == "1"


def client(pool=64):
    return boto3.client("s3", endpoint_url=E["SANDBOX_S3_ENDPOINT"], region_name="us-east-1",
                        aws_access_key_id=E["SANDBOX_ADMIN_ACCESS_KEY"], aws_secret_access_key=E["SANDBOX_ADMIN_SECRET_KEY"],
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                      max_pool_connections=pool, retries={"max_attempts": 5, "mode": "standard"}))


def bucket_of(name):
    return f"{PREFIX}-{name}" + ("-mp" if MULTIPART and SETS[name][3] is True else "")


def key_of(name, i):
    fmt = SETS[name][2]
    return fmt.format(i // FOLDER.get(name, 100), i) if fmt.count("{") == 2 else fmt.format(i)


def existing(s3, bucket):
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000}):
        for o in page.get("Contents", []):
            out[o["Key"]] = (o["Size"], "-" in o["ETag"])
    return out


def ensure_bucket(s3, bucket):
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=bucket)
    role = E.get("SKYBRIDGE_ROLE_ARN") or E.get("SANDBOX_ROLE_ARN")
    if role:
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": [role]}, "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
             "Resource": [f"arn:aws:s3:::{bucket}"]},
            {"Effect": "Allow", "Principal": {"AWS": [role]}, "Action": ["s3:GetObject", "s3:GetObjectVersion",
                                                                        "s3:GetObjectTagging", "s3:GetObjectVersionTagging"],
             "Resource": [f"arn:aws:s3:::{bucket}/*"]}]}
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy, separators=(",", ":")))


def put_small_chunk(args):
    """One worker process: PUTs its share of small objects with a thread pool."""
    bucket, keys = args  # [(key, size)]
    s3 = client(32)
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda ks: s3.put_object(Bucket=bucket, Key=ks[0], Body=os.urandom(ks[1])), keys))
    return len(keys)


def put_large(bucket, key, size, multipart=None):
    s3 = client(16)
    if not (MULTIPART if multipart is None else multipart):
        s3.put_object(Bucket=bucket, Key=key, Body=os.urandom(size))
        return
    cfg = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=8)

    class Random:  # streams pseudo-random bytes without holding the whole object
        def __init__(self):
            self.left = size
            self.block = os.urandom(4 * MiB)
            self.n = 0

        def read(self, amt=-1):
            amt = self.left if amt is None or amt < 0 else min(amt, self.left)
            out = bytearray()
            while len(out) < amt:
                self.n += 1
                # vary each 4 MiB so no two parts are equal
                chunk = self.n.to_bytes(8, "little") + self.block[8:]
                out += chunk[: amt - len(out)]
            self.left -= amt
            return bytes(out)

    s3.upload_fileobj(Random(), bucket, key, Config=cfg)


def seed(name):
    count, _, _, multipart = SETS[name]
    bucket = bucket_of(name)
    t0 = time.time()
    s3 = client()
    ensure_bucket(s3, bucket)
    have = existing(s3, bucket)
    varied = callable(multipart)
    # (size, multipart) wanted per key; a fixed set's multipart flag follows BENCH_MULTIPART.
    want = {key_of(name, i): (size_of(name, i), multipart_of(name, i) if varied else multipart and MULTIPART) for i in range(count)}
    missing = [k for k, w in want.items() if have.get(k) != w]
    if missing:
        large = [k for k in missing if want[k][0] >= MiB or multipart is True]
        small = [(k, want[k][0]) for k in missing if want[k][0] < MiB and multipart is not True]
        if large:
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda k: put_large(bucket, k, want[k][0], want[k][1] if varied else None), large))
        if small:
            procs = 4
            chunks = [(bucket, small[i::procs]) for i in range(procs) if small[i::procs]]
            with ProcessPoolExecutor(procs) as pool:
                list(pool.map(put_small_chunk, chunks))
        have = existing(s3, bucket)
        still = [k for k, w in want.items() if have.get(k) != w]
        if still:
            raise SystemExit(f"{bucket}: {len(still)} objects still missing after seeding")
    print(json.dumps({"set": name, "bucket": bucket, "objects": count, "bytes": sum(w[0] for w in want.values()),
                      "seeded": len(missing), "seconds": round(time.time() - t0, 1)}), flush=True)


def delete(name):
    s3 = client()
    bucket = bucket_of(name)
    try:
        keys = list(existing(s3, bucket))
    except s3.exceptions.NoSuchBucket:
        keys = []
    for i in range(0, len(keys), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})
    print(json.dumps({"set": name, "bucket": bucket, "deleted": len(keys)}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--delete"]:
        for n in sys.argv[2:]:
            delete(n)
        sys.exit(0)
    for n in sys.argv[1:] or list(SETS):
        if n not in SETS:
            raise SystemExit(f"unknown set {n}: one of {', '.join(SETS)}")
        seed(n)
