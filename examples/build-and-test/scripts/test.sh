#!/bin/sh
# A tiny test runner: each line of test/cases.txt is "A B SUM"; src/add.sh must print SUM.
# Prints one JSON object: {"passed": n, "failed": n, "failures": ["A+B"...]}.
set -u
passed=0
failed=0
failures=""
while read -r a b want; do
  [ -z "$a" ] && continue
  got=$(sh src/add.sh "$a" "$b")
  if [ "$got" = "$want" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures="$failures${failures:+,}\"$a+$b\""
  fi
done < test/cases.txt
printf '{"passed": %d, "failed": %d, "failures": [%s]}\n' "$passed" "$failed" "$failures"
