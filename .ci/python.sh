#!/bin/sh
# python.sh installs Debian's python3-twilio (Twilio's official Python SDK)
# for cmd/otp's TestClientsNodePython, which runs it against a real
# `otp serve`, unless it is there. It is safe to run again. The test skips
# without it, except when CI=true, where it fails so that a missing client
# cannot pass unseen.
set -eu

if /usr/bin/python3 -c 'import twilio' >/dev/null 2>&1; then
	echo "python.sh: python3-twilio $(/usr/bin/python3 -c 'import twilio; print(twilio.__version__)') is installed"
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
$sudo apt-get update
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-twilio
echo "python.sh: installed python3-twilio $(/usr/bin/python3 -c 'import twilio; print(twilio.__version__)')"
