#!/usr/bin/python3
"""Seeds the sandbox's source bucket with a realistic mix, using the RGW admin key (seeding only:
Skybridge itself never sees an AWS key). Idempotent: objects already present are left alone.

Mix: nested prefixes, a 0-byte object, a directory marker, unicode keys, user metadata and
content headers, tags, a 20 MiB multipart object (ETag "-3"), and a 9 MiB single-part object
(several blocks at an 8 MiB block size... and many at --block-size 1MiB)."""
import hashlib, os, sys
import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

E = os.environ
s3 = boto3.client("s3", endpoint_url=E["SANDBOX_S3_ENDPOINT"], region_name="us-east-1",
                  aws_access_key_id=E["SANDBOX_ADMIN_ACCESS_KEY"], aws_secret_access_key=E["SANDBOX_ADMIN_SECRET_KEY"],
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
bucket = sys.argv[1] if len(sys.argv) > 1 else E["SANDBOX_BUCKET"]
existing = {o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in p.get("Contents", [])}


def data(name, size):
    """Deterministic pseudo-random bytes, so re-seeding produces identical objects."""
    out, block = bytearray(), hashlib.sha256(name.encode()).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:size])


def put(key, body, **extra):
    if key in existing:
        return
    s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)


put("readme.txt", b"Skybridge demo bucket\n", ContentType="text/plain; charset=utf-8",
    Metadata={"owner": "data-platform", "classification": "internal"})
put("reports/2026/q1/summary.csv", b"region,revenue\neu,100\nus,120\n", ContentType="text/csv",
    CacheControl="max-age=3600", Metadata={"source-system": "erp", "Mixed_Case.Key": "kept"})
put("reports/2026/q2/summary.csv", b"region,revenue\neu,130\nus,110\n", ContentType="text/csv", Tagging="team=finance&retention=7y")
put("reports/2026/q2/details.json.gz", data("details", 48 * 1024), ContentType="application/json", ContentEncoding="gzip",
    ContentDisposition='attachment; filename="details.json.gz"', ContentLanguage="en")
put("logs/empty.log", b"")
put("logs/", b"")  # directory marker, as the S3 console creates them
put("données/été/résumé.txt", "Unicode keys survive the trip: é, ü, 日本語\n".encode(), ContentType="text/plain; charset=utf-8")
put("日本語/ファイル.txt", "こんにちは\n".encode(), ContentType="text/plain; charset=utf-8")
for i in range(12):
    put(f"images/batch-{i // 4}/img-{i:03d}.bin", data(f"img{i}", 64 * 1024 + i), ContentType="application/octet-stream")
put("data/large-single.bin", data("large-single", 9 * 1024 * 1024), ContentType="application/octet-stream")
if "data/large-multipart.bin" not in existing:
    body = data("large-multipart", 20 * 1024 * 1024)
    s3.upload_fileobj(__import__("io").BytesIO(body), bucket, "data/large-multipart.bin",
                      ExtraArgs={"ContentType": "application/octet-stream", "Metadata": {"pipeline": "nightly"}},
                      Config=TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024))
count = sum(len(p.get("Contents", [])) for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket))
print(f"bucket {bucket}: {count} objects")
