#!/bin/sh
# chromium.sh installs Chromium for the browser test of examples/webverify:
# the Debian packages chromium and chromium-driver, unless they are there.
# It is safe to run again. The test itself skips without Chromium, except
# when CI=true, where it fails so that a missing browser cannot pass unseen.
set -eu

if [ -x /usr/bin/chromium ] && command -v chromedriver >/dev/null 2>&1; then
	echo "chromium.sh: $(/usr/bin/chromium --version 2>/dev/null) is installed"
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
$sudo apt-get update
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
echo "chromium.sh: installed $(/usr/bin/chromium --version 2>/dev/null)"
