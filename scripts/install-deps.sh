#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build, run and test the project.
# Installs only what is missing; uses sudo when not run as root.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config clang
  # wire and server
  libgrpc-dev protobuf-c-compiler libprotobuf-c-dev protobuf-compiler
  # default engine and audio
  espeak-ng libespeak-ng-dev flite1-dev libkakasi2-dev kakasi-dic libsndfile1-dev libsoxr-dev
  # neural engine
  libicu-dev libopenblas-dev libyaml-dev libpcre2-dev libjansson-dev libfftw3-dev libonnx-dev libzip-dev
  # service manager notification; install, man pages and the Debian package
  libsystemd-dev systemd help2man man-db dpkg-dev lintian
  # tests
  nginx libmicrohttpd-dev portaudio19-dev openssl python3-seccomp
  libcmocka-dev python3-grpcio python3-grpc-tools python3-pytest python3-numpy valgrind
  # benchmarks (independent measuring tools)
  sox aubio-tools pocketsphinx pocketsphinx-en-us
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
