#!/bin/sh
# Fails (exit 1) when a source file contains a tab or a leftover debug print.
set -u
problems=$(grep -n -e "$(printf '\t')" -e 'DEBUG' src/* 2>/dev/null)
if [ -n "$problems" ]; then
  echo "$problems"
  exit 1
fi
echo "lint: $(ls src | wc -l | tr -d ' ') files clean"
