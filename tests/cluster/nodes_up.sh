#!/usr/bin/env bash
# The 3-node cluster started by tools/cassandra-local: nodetool status lists three nodes Up/Normal.
set -euo pipefail
status=$("$1" nodetool status)
echo "$status"
up=$(grep -cE '^UN +127\.0\.0\.[123] ' <<<"$status" || true)
if [ "$up" -ne 3 ]; then
  echo "expected 3 nodes UN, found $up" >&2
  exit 1
fi
