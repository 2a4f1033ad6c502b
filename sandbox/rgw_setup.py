#!/usr/bin/python3
"""Configure the sandbox's Ceph RGW for keyless federation with the Entra ID stand-in (TEST ONLY).

Called by ../sandbox.sh up with Debian's /usr/bin/python3 (python3-boto3) and these env vars:
  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY  the RGW admin user (caps roles, oidc-provider, users, buckets)
  SANDBOX_RGW       http://127.0.0.1:17080
  SANDBOX_INFO      JSON from the stand-in's GET /admin/info (issuer, thumbprint, identity ids)
  SANDBOX_AUDIENCE  client id registered with the OIDC provider (api://skybridge-sandbox)
  SANDBOX_ROLE, SANDBOX_PINNED_ROLE, SANDBOX_BUCKET
  SANDBOX_MSI, SANDBOX_IDENTITY_HEADER  managed identity endpoint, for the final self-check

What RGW (Ceph 16 "Pacific") does with the issuer, measured here:
  * the provider is stored under its URL minus the scheme; a token's `iss` (minus scheme) must name it
    exactly: a provider created WITHOUT the trailing slash refuses every v1 token (whatever the role says);
  * the federated principal must be arn:aws:iam:::oidc-provider/<iss minus scheme> WITH the slash
    (without it: refused), and so must the condition keys: "<iss minus scheme>:app_id" (matched against
    aud; "...:aud" works as well in 16.2.15) and "...:sub". A key without the slash never matches;
    an unknown condition key makes StringEquals fail (refused).
  * the provider thumbprint is not checked (any 40 hex digits work); RGW fetches the discovery document
    and the JWKS on every AssumeRoleWithWebIdentity (the stand-in collapses "<tid>//.well-known").
Policy documents must be compact JSON: RGW's form parser does not decode '+' as a space.
"""
import json
import os
import sys
import urllib.request

import boto3
from botocore import UNSIGNED
from botocore.config import Config


def compact(doc):
    return json.dumps(doc, separators=(",", ":"))


def main():
    ep = os.environ["SANDBOX_RGW"]
    info = json.loads(os.environ["SANDBOX_INFO"])
    aud = os.environ["SANDBOX_AUDIENCE"]
    role, pinned_role, bucket = os.environ["SANDBOX_ROLE"], os.environ["SANDBOX_PINNED_ROLE"], os.environ["SANDBOX_BUCKET"]
    issuer = info["federationIssuer"]                        # http://127.0.0.1:17090/<tid>/
    host_path = issuer.split("://", 1)[1]                    # 127.0.0.1:17090/<tid>/
    cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2})
    iam = boto3.client("iam", endpoint_url=ep, region_name="us-east-1", config=cfg)
    s3 = boto3.client("s3", endpoint_url=ep, region_name="us-east-1", config=cfg)

    provider = iam.create_open_id_connect_provider(
        Url=issuer, ClientIDList=[aud], ThumbprintList=[info["signingThumbprint"]])["OpenIDConnectProviderArn"]
    print("provider:", provider)
    principal_arn = "arn:aws:iam:::oidc-provider/" + host_path

    def trust(conditions):
        return compact({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": [principal_arn]},
            "Action": ["sts:AssumeRoleWithWebIdentity"],
            "Condition": {"StringEquals": conditions}}]})

    # Least privilege on the source bucket: read objects (incl. versions and tags) and list.
    read_policy = compact({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
         "Resource": ["arn:aws:s3:::" + bucket]},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"],
         "Resource": ["arn:aws:s3:::" + bucket + "/*"]}]})

    # Main role: trusts any identity with a token for the audience.
    r = iam.create_role(RoleName=role, Path="/", MaxSessionDuration=43200,
                        AssumeRolePolicyDocument=trust({host_path + ":app_id": aud}))
    print("role:", r["Role"]["Arn"])
    iam.put_role_policy(RoleName=role, PolicyName="skybridge-demo-read", PolicyDocument=read_policy)
    # Pinned role: additionally pins the caller (sub) to the stand-in's system-assigned identity.
    r = iam.create_role(RoleName=pinned_role, Path="/", MaxSessionDuration=43200,
                        AssumeRolePolicyDocument=trust({host_path + ":app_id": aud,
                                                        host_path + ":sub": info["systemAssignedPrincipalId"]}))
    print("role:", r["Role"]["Arn"])
    iam.put_role_policy(RoleName=pinned_role, PolicyName="skybridge-demo-read", PolicyDocument=read_policy)

    s3.create_bucket(Bucket=bucket)
    print("bucket:", bucket)

    # Self-check: the whole keyless chain, as a client would run it.
    req = urllib.request.Request(
        os.environ["SANDBOX_MSI"] + "?api-version=2019-08-01&resource=" + aud,
        headers={"X-IDENTITY-HEADER": os.environ["SANDBOX_IDENTITY_HEADER"]})
    token = json.load(urllib.request.urlopen(req, timeout=10))["access_token"]
    sts = boto3.client("sts", endpoint_url=ep, region_name="us-east-1", config=Config(signature_version=UNSIGNED))
    for rn in (role, pinned_role):
        c = sts.assume_role_with_web_identity(RoleArn="arn:aws:iam:::role/" + rn, RoleSessionName="sandbox-self-check",
                                              WebIdentityToken=token, DurationSeconds=900)["Credentials"]
        tmp = boto3.client("s3", endpoint_url=ep, region_name="us-east-1", config=cfg,
                           aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                           aws_session_token=c["SessionToken"])
        tmp.list_objects_v2(Bucket=bucket)
        print("self-check ok:", rn)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - print everything useful for sandbox.sh's log
        print("FAILED:", type(e).__name__, e, file=sys.stderr)
        sys.exit(1)
