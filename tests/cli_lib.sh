# The one harness of the churnkit end-to-end shell tests (tests/*.sh).
# Source it after setting `tmp` (a scratch directory) and, for run, `ck`
# (the churnkit binary). Every check counts in `checks`; a failed
# one prints what it expected, the command's output, and counts in
# `failures`.

failures=0
checks=0
out=$tmp/stdout
err=$tmp/stderr
code=0

# run ARGS...: runs churnkit, keeping stdout, stderr and the exit code.
run() {
  last_command="churnkit $*"
  "$ck" "$@" >"$out" 2>"$err"
  code=$?
}

fail() {
  failures=$((failures + 1))
  echo "FAIL: $last_command: $*"
  echo "  --- stdout:"; sed 's/^/  | /' "$out" | head -40
  echo "  --- stderr:"; sed 's/^/  | /' "$err" | head -20
}

expect_code() {
  checks=$((checks + 1))
  [[ $code -eq $1 ]] || fail "exit code $code, expected $1"
}

# expect_line FILE TEXT...: some line of FILE contains every TEXT.
expect_line() {
  local file=$1
  shift
  checks=$((checks + 1))
  local matches
  matches=$(grep -F -- "$1" "$file")
  local text
  for text in "${@:2}"; do
    matches=$(grep -F -- "$text" <<<"$matches")
  done
  [[ -n $matches ]] || fail "no line in $(basename "$file") with: $*"
}

# expect_regex FILE REGEX: some line of FILE matches the extended REGEX.
expect_regex() {
  checks=$((checks + 1))
  grep -Eq -- "$2" "$1" || fail "no line in $(basename "$1") matching /$2/"
}

expect_no_line() {
  checks=$((checks + 1))
  if grep -Fq -- "$2" "$1"; then
    fail "unexpected line in $(basename "$1") with: $2"
  fi
}

expect_count() {  # expect_count FILE REGEX N
  checks=$((checks + 1))
  local n
  n=$(grep -Ec -- "$2" "$1")
  [[ $n -eq $3 ]] || fail "$n lines match /$2/, expected $3"
}

# check NAME COMMAND...: a check that is not one churnkit run; the command
# must succeed.
check() {
  checks=$((checks + 1))
  if "${@:2}"; then
    echo "ok: $1"
  else
    echo "FAILED: $1"
    failures=$((failures + 1))
  fi
}
