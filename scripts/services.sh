#!/usr/bin/env bash
# Starts the local servers the service tests use (PostgreSQL, Mosquitto, NATS JetStream) when installed
# and not answering. Used by .ci/run; harmless when they already run.
set -uo pipefail

answering() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {
  for _ in $(seq 1 50); do answering "$2" && { echo "$1 is up on port $2"; return 0; }; sleep 0.2; done
  echo "$1 did not come up on port $2" >&2; return 1
}

if ! answering 5432 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  wait_for PostgreSQL 5432
fi
if ! answering 1883 && command -v mosquitto >/dev/null; then
  mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_for Mosquitto 1883
fi
if ! answering 4222 && [ -x /usr/sbin/nats-server ]; then
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_for NATS 4222
fi
exit 0
