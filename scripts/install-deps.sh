#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build, run and test the project.
# Installs only what is missing; uses sudo when not run as root.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config clang
  # wire and server
  libgrpc-dev protobuf-c-compiler libprotobuf-c-dev protobuf-compiler libssl-dev
  # default engine and audio
  espeak-ng libespeak-ng-dev flite1-dev libkakasi2-dev kakasi-dic libsndfile1-dev libsoxr-dev
  # neural engine (libopenblas-dev: the float64 GEMM of CosyVoice3's f0 predictor)
  libicu-dev libdnnl-dev libopenblas-dev libyaml-dev libpcre2-dev libjansson-dev libfftw3-dev libonnx-dev libzip-dev
  # service manager notification; install, man pages and the Debian package
  libsystemd-dev systemd help2man man-db dpkg-dev lintian
  # HTTP door (libmicrohttpd serves it; GnuTLS checks client certificates)
  libgnutls28-dev
  # tests
  nginx libmicrohttpd-dev portaudio19-dev openssl curl python3-seccomp
  python3-requests python3-soundfile chromium fonts-wqy-microhei
  libcmocka-dev python3-grpcio python3-grpc-tools python3-pytest python3-numpy valgrind
  # benchmarks (independent measuring tools; the GEMM libraries compared
  # with oneDNN by cosyvoice-bench-gemm)
  sox aubio-tools pocketsphinx pocketsphinx-en-us libopenblas0-pthread libblis4-openmp
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm run the JavaScript test clients; a machine that has them
# from elsewhere keeps its own.
command -v node > /dev/null || missing+=(nodejs)
command -v npm > /dev/null || missing+=(npm)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The JavaScript test clients (the official openai SDK, playwright-core for
# Debian's chromium), exactly as tests/js/package-lock.json pins them;
# skipped when node_modules already matches the lock file.
JS_DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/js"
STAMP="$JS_DIR/node_modules/.installed-from-lock"
if ! cmp -s "$JS_DIR/package-lock.json" "$STAMP" 2>/dev/null; then
  echo "install-deps: npm ci in tests/js"
  (cd "$JS_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$JS_DIR/package-lock.json" "$STAMP"
fi
