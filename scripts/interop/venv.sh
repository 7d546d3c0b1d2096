#!/usr/bin/env bash
# Makes (or reuses) the Python venv that the real-client check runs in:
# torch (CPU), transformers, tokenizers, safetensors, trl, accelerate under build/.
# When pip cannot install, this exits non-zero with pip's own error: the check
# is then failed, never skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${INTEROP_VENV:-build/interop-venv}
PACKAGES=(torch transformers tokenizers safetensors trl accelerate)

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import torch, transformers, tokenizers, safetensors, trl, accelerate' 2>/dev/null; then
  exit 0
fi

python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "interop: $python not found; install Python 3.10+ with venv" >&2; exit 1; }
rm -rf "$VENV"
"$python" -m venv "$VENV"

# Where the machine's pip config lists its own package indexes as extras, the
# default index may be unreachable (pip then retries for minutes per package):
# put the first configured index first. Otherwise use PyPI, with PyTorch's CPU
# index so torch comes without CUDA.
args=()
extra=$("$VENV/bin/pip" config get global.extra-index-url 2>/dev/null || true)
if [ -n "$extra" ]; then
  read -r -a idx <<<"$extra"
  args+=(--index-url "${idx[0]}")
  for u in "${idx[@]:1}"; do args+=(--extra-index-url "$u"); done
else
  args+=(--extra-index-url https://download.pytorch.org/whl/cpu)
fi

log=$(mktemp)
if ! "$VENV/bin/pip" install --disable-pip-version-check "${args[@]}" "${PACKAGES[@]}" >"$log" 2>&1; then
  echo "interop: pip could not install ${PACKAGES[*]} into $VENV:" >&2
  grep -E 'ERROR|error' "$log" >&2 || tail -n 30 "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
"$VENV/bin/python" -c 'import torch, transformers, trl; print(f"interop: torch {torch.__version__}, transformers {transformers.__version__}, trl {trl.__version__}")'
