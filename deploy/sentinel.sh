#!/bin/sh
# Profile `scale`: a Sentinel watching the primary `redis` under the name `fr` (quorum 2 of 3).
# Sentinel rewrites its config file, so it is written fresh into /tmp at each start.
set -eu
umask 077
pw="$(cat /run/secrets/redis_password)"
cat > /tmp/sentinel.conf <<CONF
port 26379
sentinel resolve-hostnames yes
sentinel monitor fr redis 6379 2
sentinel auth-pass fr "$pw"
sentinel down-after-milliseconds fr 5000
sentinel failover-timeout fr 60000
sentinel parallel-syncs fr 1
CONF
exec redis-server /tmp/sentinel.conf --sentinel
