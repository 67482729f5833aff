#!/usr/bin/env bash
# First run as root from a folder only root may enter (issue 12, point 1).
#
# Copies the project as `git clone` would (plus the working tree's uncommitted
# changes, so that it tests the code CI tests) into <mktemp -d>/root/payamak,
# both folders 0700 as /root is, with node_modules inside it as `npm ci` leaves
# it (copied with modes and owners, then the project's postinstall), so that
# neither the cluster nor the PostgreSQL binaries are reachable by the
# `postgres` user. Then, as root:
#   1. `npm start` until /readyz answers 200; register a user; stop (SIGTERM);
#   2. `npm start` again until /readyz answers; log in as that user (data kept);
#   3. `npm test` on the embedded server (vitest's global setup) for the root tests.
# Removes everything it made, including the cluster in /var/lib/payamak.
# Prints one line "root-start: PASS …" or "root-start: FAIL …"; exits 1 on failure.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
started=$SECONDS

if [ "$(id -u)" -ne 0 ]; then
  echo "root-start: SKIP (needs root: it checks a first run as root)"
  exit 0
fi

work=$(mktemp -d)
chmod 700 "$work"
mkdir -m 700 "$work/root"
app="$work/root/payamak"
log="$work/log"
state_dir=/var/lib/payamak
pgid=
copy_existed=$(ls -d "$state_dir"/pg-* 2>/dev/null || true)

fail() {
  echo "root-start: FAIL after $((SECONDS - started)) s: $*"
  [ -f "$log" ] && { echo "---- last output of npm start:"; tail -n 40 "$log"; }
  exit 1
}

stop_group() { # SIGKILL whatever is left of the npm start we launched (its own process group)
  if [ -n "$pgid" ] && kill -0 -- "-$pgid" 2>/dev/null; then kill -KILL -- "-$pgid" 2>/dev/null; fi
  pgid=
}

cleanup() {
  stop_group
  if [ -f "$app/.data/postgres.location" ]; then
    cluster=$(head -n 1 "$app/.data/postgres.location")
    case "$cluster" in "$state_dir"/*/postgres) rm -rf "$(dirname "$cluster")" ;; esac
  fi
  if [ -f "$app/.test-data/postgres.location" ]; then
    cluster=$(head -n 1 "$app/.test-data/postgres.location")
    case "$cluster" in "$state_dir"/*/postgres) rm -rf "$(dirname "$cluster")" ;; esac
  fi
  # The binaries' copy is a cache shared by every checkout: removed only if this run made it.
  for copy in "$state_dir"/pg-*; do
    [ -e "$copy" ] || continue
    grep -qxF "$copy" <<<"$copy_existed" || rm -rf "$copy"
  done
  rm -rf "$work"
  echo "root-start: cleaned up ($((SECONDS - started)) s in all)"
}
trap cleanup EXIT

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# --- the fresh clone in a 0700 folder ----------------------------------------
git clone -q "$repo" "$app" || fail "git clone"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$app" || fail "copying the working tree"
(cd "$repo" && git ls-files -z --deleted) | (cd "$app" && xargs -0 -r rm -f)
cp -a "$repo/node_modules" "$app/" || fail "copying node_modules"
(cd "$app" && npm run --silent postinstall >/dev/null 2>&1) || fail "npm run postinstall"
echo "root-start: clone in $app ready after $((SECONDS - started)) s ($(stat -c %a "$work") $(stat -c %a "$work/root"))"

port=$(free_port)
metrics_port=$(free_port)
base="http://127.0.0.1:$port"

start_server() { # $1: label
  : >"$log"
  (cd "$app" && exec setsid env -u DATABASE_URL PORT="$port" METRICS_PORT="$metrics_port" HOST=127.0.0.1 LOG_LEVEL=info npm start >>"$log" 2>&1) &
  local pid=$!
  # setsid makes the group's leader the started process itself (a background subshell leads no group).
  sleep 0.2
  pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
  [ "$pgid" = "$pid" ] || fail "$1: npm start did not get a process group of its own"
  for _ in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || fail "$1: npm start exited before /readyz answered"
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ]; then
      echo "root-start: $1: /readyz answered after $((SECONDS - started)) s"
      return 0
    fi
    sleep 0.5
  done
  fail "$1: /readyz did not answer within 120 s"
}

stop_server() { # SIGTERM to the server (node) only, as an operator would; it stops PostgreSQL itself
  local node_pid
  node_pid=$(pgrep -g "$pgid" -x node | head -n 1)
  [ -n "$node_pid" ] || fail "no node process in the npm start group"
  kill -TERM "$node_pid"
  for _ in $(seq 1 120); do
    kill -0 -- "-$pgid" 2>/dev/null || { pgid=; return 0; }
    sleep 0.25
  done
  fail "npm start did not stop within 30 s of SIGTERM"
}

graphql() { # $1: JSON body
  curl -sS -H 'content-type: application/json' --data "$1" "$base/graphql"
}

# --- first start: fails today with "spawn …/initdb EACCES" ---------------------
start_server "first start"
grep -q "embedded PostgreSQL cluster is in $state_dir/" "$log" || fail "no log line saying where the cluster is"
node -e '
  for (const line of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
    try { const { msg } = JSON.parse(line); if (/cluster is in|runs from|copied the PostgreSQL/.test(msg)) console.log(`root-start:   log: ${msg}`); } catch {}
  }' "$log"
answer=$(graphql '{"query":"mutation($input: RegisterInput!) { register(input: $input) { user { id } } }","variables":{"input":{"username":"rootstart","password":"kept across restarts","displayName":"Root Start"}}}')
user_id=$(node -e 'const r = JSON.parse(process.argv[1]); if (r.errors) process.exit(1); console.log(r.data.register.user.id)' "$answer") || fail "register: $answer"
stop_server

# --- second start: same cluster, same data -----------------------------------
start_server "second start"
answer=$(graphql '{"query":"mutation($input: LoginInput!) { login(input: $input) { user { id } } }","variables":{"input":{"username":"rootstart","password":"kept across restarts"}}}')
login_id=$(node -e 'const r = JSON.parse(process.argv[1]); if (r.errors) process.exit(1); console.log(r.data.login.user.id)' "$answer") || fail "login after restart: $answer"
[ "$login_id" = "$user_id" ] || fail "login after restart gave user $login_id, registered $user_id"
stop_server
[ "$(stat -c %a "$work") $(stat -c %a "$work/root")" = "700 700" ] || fail "the folders above the checkout changed mode"

# --- npm test from the same checkout: vitest's global setup starts embedded PostgreSQL in .test-data/ ---
(cd "$app" && env -u TEST_DATABASE_URL -u TEST_REDIS_URL npm test -- src/db/embedded-postgres-as-root.test.ts >"$log" 2>&1) || fail "npm test as root from the 0700 checkout"
sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *Tests ' | sed 's/^ */root-start: npm test: /'

echo "root-start: PASS in $((SECONDS - started)) s (npm start as root from a 0700 clone: ready twice, user kept; npm test there passes)"
