#!/usr/bin/env bash
# Runs before `npm test` (the "pretest" script): makes sure Redis (127.0.0.1:6379) and RabbitMQ
# (127.0.0.1:5672) answer, starting them if they do not — with the binaries where installed, else with
# `docker compose` — so the README's one test command works on a fresh machine. When neither way
# works it says how to start them and lets the tests run: the Redis and RabbitMQ tests then FAIL
# (never skip) with the same advice. A server named by REDIS_URL / RABBITMQ_URL is yours to run.
set -uo pipefail
cd "$(dirname "$0")/.."

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
have() { command -v "$1" >/dev/null 2>&1; }
wait_for_port() { for _ in $(seq 1 50); do answers "$1" && return 0; sleep 0.2; done; return 1; }
compose_up() { have docker && docker compose version >/dev/null 2>&1 && docker compose up -d --wait "$1"; }

# A writable place for Redis: CI's /var/lib/redis when we may write there, else a temporary folder.
redis_dirs() {
  if mkdir -p /var/lib/redis /var/log/redis 2>/dev/null && [ -w /var/lib/redis ] && [ -w /var/log/redis ]; then
    REDIS_DIR=/var/lib/redis REDIS_LOG=/var/log/redis/ci.log
  else
    REDIS_DIR="${TMPDIR:-/tmp}/mindtrace-jobs-redis" && mkdir -p "$REDIS_DIR" && REDIS_LOG="$REDIS_DIR/redis.log"
  fi
}

ensure_redis() {
  [ -n "${REDIS_URL:-}" ] && return 0
  answers 6379 && return 0
  echo "Redis is not answering on 127.0.0.1:6379; starting it"
  if have redis-server; then
    redis_dirs
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir "$REDIS_DIR" --logfile "$REDIS_LOG" && wait_for_port 6379 && return 0
    echo "Redis did not start; see $REDIS_LOG" >&2
  elif compose_up redis; then
    return 0
  fi
  return 1
}

ensure_rabbitmq() {
  [ -n "${RABBITMQ_URL:-}" ] && return 0
  answers 5672 && return 0
  echo "RabbitMQ is not answering on 127.0.0.1:5672; starting it (this takes a few seconds)"
  if have rabbitmq-server; then
    rabbitmq-server -detached && rabbitmqctl await_startup --timeout 120 && wait_for_port 5672 && return 0
    echo "RabbitMQ did not start (rabbitmq-server -detached; rabbitmqctl await_startup)" >&2
  elif compose_up rabbitmq; then
    return 0
  fi
  return 1
}

missing=()
ensure_redis || missing+=("Redis")
ensure_rabbitmq || missing+=("RabbitMQ")
if [ ${#missing[@]} -gt 0 ]; then
  names="${missing[0]}"
  [ ${#missing[@]} -gt 1 ] && names="${missing[0]} and ${missing[1]}"
  cat >&2 <<MSG

*** ${names} could not be started, so the tests that need it will fail. Start them with
***   docker compose up -d --wait            (see docker-compose.yml)
*** or, where installed:
***   redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
***   rabbitmq-server -detached && rabbitmqctl await_startup
*** then run npm test again.

MSG
fi
exit 0
