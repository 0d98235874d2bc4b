#!/usr/bin/env bash
# Fails when a C or C++ source differs from clang-format (Google style).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.h' '*.cc' '*.c' | grep -v '^tests/fuzz/corpus/' || true)
bad=0
for f in $files; do
  if ! clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "needs clang-format: $f" >&2
    bad=1
  fi
done
exit $bad
