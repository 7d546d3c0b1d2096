#!/usr/bin/env bash
# npm run test:interop: the studio's exports and imports against the real clients
# (transformers, tokenizers, TRL on torch CPU) in a venv under build/. Fails, with
# pip's error, when the venv cannot be made: never skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build/interop
PY=build/interop-venv/bin/python
export TFJS_BACKEND=${TFJS_BACKEND:-cpu} HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false

scripts/interop/venv.sh
rm -rf "$OUT"
npx tsx scripts/interop/studio.ts export public/models/tuned public/datasets/geo-tune.json "$OUT/export"
"$PY" scripts/interop/check.py export "$OUT/export"
npx tsx scripts/interop/studio.ts load "$OUT/export/interop/trl-messages" "$OUT/export/interop/trl-prompt-completion"
"$PY" scripts/interop/check.py variants "$OUT/variants" "$OUT/export"
npx tsx scripts/interop/studio.ts variants "$OUT/variants"
echo "interop: all checks passed"
