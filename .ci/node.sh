#!/usr/bin/env bash
# npm packages the Go tests use, installed into .ci/node (not global):
# standardwebhooks, for delivery/webhook's TestStandardNode;
# twilio (Twilio's official Node SDK), for cmd/otp's TestClientsNodePython.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p node
cd node
[ -f package.json ] || echo '{"private":true}' > package.json
npm install --no-audit --no-fund --silent standardwebhooks@1.1.1 twilio@6.3.1
