#!/usr/bin/env bash
# The `otp serve` container image, built with ko and no Docker daemon or registry: .ci/tools/image
# makes a base with no shell (passwd with the nonroot user 65532, a CA bundle, /tmp, the store
# volume /var/lib/otpkit), serves it to ko from a loopback registry inside that program, runs
# `ko build --push=false --tarball` on ./cmd/otp and writes dist/image/otp-serve_linux_ARCH.tar
# (docker load), then checks each tarball's configuration and files, and runs the amd64 image's
# filesystem in a chroot as uid 65532 to see `otp serve` answer.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$PWD/.ci/tools/bin
mkdir -p "$bin" dist/image
echo "== build ko and the image tool (.ci/tools/image)"
(cd .ci/tools/image && go build -o "$bin/ko" github.com/google/ko && go build -o "$bin/otp-image" .)
if [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then
  apt-get install -y -qq ca-certificates >/dev/null
fi

version=${OTP_VERSION:-0.0.0-dev-$(git rev-parse --short HEAD)}
for arch in amd64 arm64; do
  out=dist/image/otp-serve_linux_$arch.tar
  echo "== ko build linux/$arch -> $out"
  "$bin/otp-image" build -ko "$bin/ko" -platform linux/$arch -version "$version" -out "$out"
  "$bin/otp-image" check "$out"
done
echo "== run the linux/amd64 image's files as uid 65532 (chroot): otp serve answers and verifies a code"
if [ "$(id -u)" = 0 ] && [ "$(uname -m)" = x86_64 ]; then
  "$bin/otp-image" smoke dist/image/otp-serve_linux_amd64.tar
else
  echo "(skipped: needs root on x86_64 for chroot and setuid)"
fi
