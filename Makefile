# Thin wrapper over CMake so the usual commands work from the top directory.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all test demo clean asan

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

clean:
	rm -rf $(BUILD) build-asan
