#!/usr/bin/env bash
# Starts a throwaway redis-server on 127.0.0.1:6379 for the store/redisstore tests.
#
# Run it from .ci/run (`bash .ci/redis.sh`): it installs redis-server if it is missing,
# starts it bound to loopback only, daemonized, with no persistence, and waits
# until it answers PING. It exports nothing: the tests use 127.0.0.1:6379
# unless OTP_TEST_REDIS_URL says otherwise. If a server already answers there,
# it is used as it is.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
	redis-server --bind 127.0.0.1 --port 6379 --protected-mode yes \
		--daemonize yes --save '' --appendonly no \
		--dir /tmp --logfile /tmp/otpkit-redis.log --pidfile /tmp/otpkit-redis.pid
fi

for _ in $(seq 1 100); do
	if [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; then
		echo "redis: $(redis-server --version | cut -d' ' -f1-3) answers on 127.0.0.1:6379"
		exit 0
	fi
	sleep 0.1
done
echo "redis: the server did not answer on 127.0.0.1:6379 within 10 s" >&2
tail -n 20 /tmp/otpkit-redis.log >&2 || true
exit 1
