#!/usr/bin/env bash
# Idempotent set-up for building and testing qrnn-hw on Debian/Ubuntu.
# Installs a Debian package only when the command it provides is missing; says what it does.
set -euo pipefail

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }

have cc        || need_apt+=(gcc)
have make      || need_apt+=(make)
have git       || need_apt+=(git)
have python3   || need_apt+=(python3)
# simulation and synthesis checks of the generated hardware
have verilator || need_apt+=(verilator)
have iverilog  || need_apt+=(iverilog)
have yosys     || need_apt+=(yosys)
have nextpnr-ice40 || need_apt+=(nextpnr-ice40)
have icepack   || need_apt+=(fpga-icestorm)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] && ! have sudo; then
    echo "setup: missing ${need_apt[*]}; install them (apt-get install ${need_apt[*]}) and rerun" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "setup: installing ${need_apt[*]} (apt-get)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

if ! have cargo; then
  cat >&2 <<'MSG'
setup: no Rust toolchain (cargo) found.
  qrnn-hw needs Rust 1.80 or newer (rust-toolchain.toml pins the version CI uses).
  Install it with rustup (https://rustup.rs), or on Debian 13+ with: apt-get install cargo rustc
MSG
  exit 1
fi

ver=$(rustc --version | awk '{print $2}')
major=${ver%%.*}; rest=${ver#*.}; minor=${rest%%.*}
if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 80 ]; }; then
  echo "setup: rustc $ver is too old; qrnn-hw needs 1.80 or newer" >&2
  exit 1
fi
echo "setup: ok (rustc $ver, $(cargo --version | awk '{print $1, $2}'), $(verilator --version | awk '{print $1, $2}'), $(yosys -V | awk '{print $1, $2}'))"
