#!/usr/bin/env bash
# A release dry run: goreleaser check, then a snapshot build of every archive into dist/ (nothing is
# published), and checks of what it made. GoReleaser is pinned in .ci/tools/goreleaser/go.mod (its own
# module, so the main go.mod never sees its dependencies) and built into .ci/tools/bin/.
# A real release is the same with a tag and `goreleaser release --clean` (docs/release.md).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$PWD/.ci/tools/bin
mkdir -p "$bin"
echo "== build goreleaser (.ci/tools/goreleaser)"
(cd .ci/tools/goreleaser && go build -o "$bin/goreleaser" github.com/goreleaser/goreleaser/v2)
goreleaser=$bin/goreleaser
"$goreleaser" --version | grep -q 'GitVersion: *v2.17.0' || { echo "release.sh: goreleaser is not v2.17.0"; exit 1; }

# GoReleaser asks git for the remote's address even for a snapshot, and without one it records the
# commit as "none". A clone without a remote gets one in the environment only (the repository's
# configuration is not touched); nothing is fetched from it.
if [ -z "$(git remote)" ]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/otpkit/otpkit.git
fi

# An SBOM per archive when syft is installed; none otherwise (the sboms pipe is then disabled).
if command -v syft >/dev/null; then export OTPKIT_SBOM=1; else unset OTPKIT_SBOM; echo "(syft not found: no SBOM)"; fi

echo "== goreleaser check"
"$goreleaser" check
echo "== goreleaser release --snapshot"
log=$(mktemp)
"$goreleaser" release --snapshot --clean --skip=publish >"$log" 2>&1 || { tail -40 "$log"; rm -f "$log"; exit 1; }
mv "$log" dist/goreleaser.log

fail() { echo "release.sh: $*"; exit 1; }
version=$(python3 -c 'import json; print(json.load(open("dist/metadata.json"))["version"])')
commit=$(git rev-parse HEAD)
echo "snapshot version $version"
case $version in *-snapshot-"${commit:0:7}") ;; *) fail "snapshot version $version does not name commit ${commit:0:7}";; esac

echo "== the archives"
archives=()
for os in linux darwin windows; do for arch in amd64 arm64; do
  ext=tar.gz; [ $os = windows ] && ext=zip
  a=dist/otpkit_${version}_${os}_${arch}.$ext
  [ -f "$a" ] || fail "missing $a"
  archives+=("$(basename "$a")")
done; done
n=$(ls dist/*.tar.gz dist/*.zip | wc -l)
[ "$n" -eq 6 ] || fail "want 6 archives in dist/, found $n"
sums=dist/otpkit_${version}_checksums.txt
[ -f "$sums" ] || fail "missing $sums"
for a in "${archives[@]}"; do grep -q "  $a\$" "$sums" || fail "$a is not in $(basename "$sums")"; done
(cd dist && sha256sum --quiet -c "$(basename "$sums")") || fail "checksums do not match"
if [ -n "${OTPKIT_SBOM:-}" ]; then
  for a in "${archives[@]}"; do [ -f "dist/$a.sbom.json" ] || fail "missing dist/$a.sbom.json"; done
fi

echo "== what a linux archive holds"
linux=dist/otpkit_${version}_linux_amd64.tar.gz
listing=$(tar tzf "$linux")
want="otp README.md LICENSE completions/otp.bash completions/_otp completions/otp.fish completions/otp.ps1"
for page in docs/man/*.1; do want="$want man/man1/$(basename "$page")"; done
for f in $want; do grep -qx "$f" <<<"$listing" || fail "$linux lacks $f"; done
x=$(mktemp -d); trap 'rm -rf "$x"' EXIT
tar xzf "$linux" -C "$x"
grep -q '^# bash completion' "$x/completions/otp.bash" || fail "completions/otp.bash is not a bash completion script"
cmp -s docs/man/otp.1 "$x/man/man1/otp.1" || fail "man/man1/otp.1 differs from docs/man/otp.1"
python3 -c '
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
missing = {"otp.exe", "README.md", "LICENSE", "man/man1/otp.1", "completions/otp.ps1"} - names
sys.exit("%s lacks %s" % (sys.argv[1], sorted(missing)) if missing else 0)' "dist/otpkit_${version}_windows_amd64.zip"

echo "== otp version --json from the linux/amd64 archive"
out=$("$x/otp" version --json)
echo "$out"
python3 -c '
import json, sys
v = json.loads(sys.argv[1])
want = {"version": sys.argv[2], "commit": sys.argv[3], "os": "linux", "arch": "amd64"}
bad = {k: v.get(k) for k in want if v.get(k) != want[k]}
if bad or not v.get("date", "").startswith("20"):
    sys.exit("otp version --json: got %s, want %s and a date" % (v, want))' "$out" "$version" "$commit"
echo "release dry run ok: 6 archives and checksums in dist/"
