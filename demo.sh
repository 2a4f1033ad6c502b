#!/usr/bin/env bash
# Skybridge end to end on the local sandbox, from nothing (Debian 12, root):
#   installs and starts the sandbox (Ceph RGW for S3 + STS, Azurite for Blob, an Entra ID stand-in),
#   seeds a bucket, then runs the keyless chain: managed-identity token -> STS -> S3, for Skybridge
#   and for the AWS CLI, and copies the bucket to Azure Blob Storage and verifies it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "1. Start the local sandbox (installs what is missing on first run)"
./sandbox.sh up
eval "$(./sandbox.sh env)"

step "2. Seed the source bucket s3://$SANDBOX_BUCKET (admin key: seeding only)"
/usr/bin/python3 demo/seed.py "$SANDBOX_BUCKET"

step "3. The managed identity's Entra ID token for the federation audience (claims only)"
show ./skybridge auth token

step "4. Keyless AWS credentials for any AWS tool: the AWS CLI via credential_process"
demo_tmp=$(mktemp -d); trap 'rm -rf "$demo_tmp"' EXIT
aws_config=$demo_tmp/aws-config
cat >"$aws_config" <<CFG
[profile skybridge]
credential_process = $PWD/skybridge auth aws-credentials
region = us-east-1
CFG
echo "(profile: credential_process = $PWD/skybridge auth aws-credentials)"
# A private credential cache: a session cached by an earlier sandbox would be refused by this one.
show env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_CONFIG_FILE="$aws_config" AWS_PROFILE=skybridge XDG_CACHE_HOME="$demo_tmp" \
  /usr/bin/aws --endpoint-url "$SANDBOX_S3_ENDPOINT" s3 ls "s3://$SANDBOX_BUCKET" --recursive --human-readable --summarize

# A new container per run, so the verify below compares exactly this copy.
dest="$SANDBOX_BLOB_ENDPOINT/demo-$(date +%Y%m%d-%H%M%S)"
step "5. Copy the bucket to Azure Blob Storage, keyless on both sides"
show ./skybridge copy "s3://$SANDBOX_BUCKET" "$dest"

step "6. Verify: every object present, same size, same MD5"
show ./skybridge verify "s3://$SANDBOX_BUCKET" "$dest"

step "Done. The same by hand:"
cat <<HINT
  eval "\$(./sandbox.sh env)"                 # endpoints, role, audience, managed identity
  ./skybridge auth token                      # Entra token claims
  ./skybridge auth aws-credentials --format env   # temporary AWS credentials (secret: do not log)
  ./skybridge plan   s3://\$SANDBOX_BUCKET \$SANDBOX_DEST_URL
  ./skybridge copy   s3://\$SANDBOX_BUCKET \$SANDBOX_DEST_URL
  ./skybridge verify s3://\$SANDBOX_BUCKET \$SANDBOX_DEST_URL
  ./skybridge doctor s3://\$SANDBOX_BUCKET \$SANDBOX_DEST_URL
  ./sandbox.sh down                           # stop everything the sandbox started
HINT
