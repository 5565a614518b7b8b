# Thin wrapper over CMake so the usual commands work from the top directory.
BUILD ?= build
JOBS  ?= $(shell nproc)

PREFIX ?= /usr/local

.PHONY: all test demo clean asan install uninstall deb

all: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

# Builds everything and runs every test (unit, end-to-end, fuzz smoke runs).
test: all
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# Starts the server with the default engine, synthesizes one sentence
# through the client into demo.wav, and stops the server.
demo: all
	scripts/demo.sh $(BUILD)

# Same build with AddressSanitizer + UBSan, in build-asan/.
asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCV_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)

# Installs the programs, data, protos, docs, man pages and the systemd unit
# under PREFIX (default /usr/local), inside DESTDIR if given (staging).
install: all
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# Removes what install put there (same PREFIX and DESTDIR).
uninstall:
	DESTDIR="$(DESTDIR)" scripts/uninstall.sh $(BUILD) "$(PREFIX)"

# Debian package $(BUILD)/cosyvoice-c_VERSION_ARCH.deb (CPack; prefix /usr).
deb: all
	cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD) build-asan
