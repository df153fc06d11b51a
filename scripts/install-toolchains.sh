#!/bin/sh
# Installs the Debian toolchains pocket-wit builds non-JS plugins with, when they are missing:
#   C:    clang-14, lld-14, wasi-libc, libclang-rt-14-dev-wasm32
#   Rust: rustc 1.63 with the wasm32 std (libstd-rust-dev-wasm32), cargo, Debian's serde_json
#   Go:   golang-1.23-go from bookworm-backports
#   Browser tests of the HTML reports (pocket-wit graph, flow --report): Debian's chromium
#   Batches over a queue (pocket-wit worker, flow --queue): Debian's redis-server, for the tests
# Needs root (or sudo) and Debian's apt. Safe to run again: installed packages are skipped.
# Starts no service: the tests start their own redis-server on a free port, so the package's
# own service is kept from starting during the install (a policy-rc.d answering "no").
set -eu

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need=""
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 rustc libstd-rust-dev-wasm32 cargo librust-serde-json-dev golang-1.23-go chromium redis-server; do
  have "$p" || need="$need $p"
done

if [ -z "$need" ]; then
  echo "toolchains: all installed"
  exit 0
fi

. /etc/os-release
if ! grep -rqs "${VERSION_CODENAME}-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "toolchains: adding ${VERSION_CODENAME}-backports to apt's sources (for golang-1.23-go)"
  echo "deb http://deb.debian.org/debian ${VERSION_CODENAME}-backports main" | $SUDO tee /etc/apt/sources.list.d/pocket-wit-backports.list >/dev/null
fi
echo "toolchains: installing$need"
$SUDO apt-get update -qq
# No package may start a service (redis-server's would listen on 6379): invoke-rc.d and
# deb-systemd-invoke ask /usr/sbin/policy-rc.d, and exit status 101 means "not allowed". One that
# is already there is left as it is; ours is removed afterwards.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  policy=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\n# pocket-wit install-toolchains.sh: start no service while installing\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
  trap 'exit 1' INT TERM
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
echo "toolchains: installed$need"
