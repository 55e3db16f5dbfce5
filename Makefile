# SPDX-License-Identifier: GPL-2.0
# rsttrace: build, run and test. Run as root; nothing here calls sudo.

OUTPUT := .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
ARCH := $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/')
VERSION := 0.1.0

# Debian's static libbpf, libelf and zlib: nothing to install at run time.
LIBS_STATIC := -Wl,-Bstatic -lbpf -lelf -lz -Wl,-Bdynamic
WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
USER_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -I$(OUTPUT) -Iinclude -Iuser \
	-DRSTTRACE_VERSION='"$(VERSION)"'
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-function -Wno-unused-parameter \
	-Ivmlinux -Iinclude

USER_SRCS := $(wildcard user/*.c)
USER_LIB_SRCS := $(filter-out user/rsttrace.c,$(USER_SRCS))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(USER_SRCS))
BPF_HDRS := $(wildcard bpf/*.h) include/rsttrace.h
USER_HDRS := $(wildcard user/*.h user/*.def) include/rsttrace.h $(OUTPUT)/rsttrace.skel.h

.PHONY: all deps deps-test run test unit integration check-asan fuzz fuzz-long cppcheck format vmlinux \
	bench soak clean test-kernels

all: rsttrace

$(OUTPUT):
	mkdir -p $@

# One object per event source (bpf/*.bpf.c), statically linked into one:
# a single skeleton with one set of maps, see bpf/maps.bpf.h.
# maps.bpf.o first: it holds the one definition of what the others declare extern.
BPF_SRCS := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))

$(OUTPUT)/bpf:
	mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) vmlinux/vmlinux.h | $(OUTPUT)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/rsttrace.bpf.o: $(BPF_OBJS) Makefile
	$(BPFTOOL) gen object $@ $(BPF_OBJS)

$(OUTPUT)/rsttrace.skel.h: $(OUTPUT)/rsttrace.bpf.o
	$(BPFTOOL) gen skeleton $< name rsttrace_bpf > $@.tmp && mv $@.tmp $@

$(OUTPUT)/%.o: user/%.c $(USER_HDRS) | $(OUTPUT)
	$(CC) $(USER_CFLAGS) -c $< -o $@

rsttrace: $(USER_OBJS)
	$(CC) $(USER_CFLAGS) $^ $(LIBS_STATIC) -o $@

# Installs whatever is missing (Debian/Ubuntu, as root); a no-op otherwise.
# Build dependencies; the test targets add what the tests use.
deps:
	@sh scripts/deps.sh

deps-test:
	@sh scripts/deps.sh test

run: deps
	$(MAKE) rsttrace
	./rsttrace

# Unit tests, sanitizer build and integration tests; the last line is the summary.
test: deps-test
	$(MAKE) rsttrace tests/unit/test_unit
	sh tests/run_all.sh

# The integration suite inside Debian's 6.1 and 6.12 kernels under QEMU
# (docs/kernels.md); downloads the kernels once into /var/cache/rsttrace-kernels.
test-kernels: rsttrace
	@sh scripts/deps.sh kernels
	sh tests/kernels/run.sh

UNIT_SRCS := $(wildcard tests/unit/*.c)

# Every test file's run_<name>_tests(), collected so new files register themselves.
$(OUTPUT)/unit_registry.h: $(UNIT_SRCS) | $(OUTPUT)
	@{ sed -n 's/^void \(run_[a-z0-9_]*_tests\)(void)$$/void \1(void);/p' $(UNIT_SRCS) | sort; \
	  printf '#define UNIT_SUITES'; \
	  sed -n 's/^void \(run_[a-z0-9_]*_tests\)(void)$$/ \1,/p' $(UNIT_SRCS) | sort | tr -d '\n'; \
	  echo; } > $@.tmp && mv $@.tmp $@

tests/unit/test_unit: $(UNIT_SRCS) $(USER_LIB_SRCS) $(USER_HDRS) $(OUTPUT)/unit_registry.h
	$(CC) $(USER_CFLAGS) -Itests/unit $(UNIT_SRCS) $(USER_LIB_SRCS) \
		$(LIBS_STATIC) -o $@

unit: tests/unit/test_unit
	./tests/unit/test_unit

# The userspace test suite under AddressSanitizer and UBSan.
check-asan: $(OUTPUT)/rsttrace.skel.h $(OUTPUT)/unit_registry.h
	$(CC) $(filter-out -O2,$(USER_CFLAGS)) -O1 -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=all -Itests/unit \
		$(wildcard tests/unit/*.c) $(USER_LIB_SRCS) $(LIBS_STATIC) -o tests/unit/test_unit_asan
	./tests/unit/test_unit_asan

# libFuzzer harnesses for every parser of outside input: short, and long.
fuzz: $(OUTPUT)/rsttrace.skel.h
	sh tests/fuzz/run.sh 10

fuzz-long: $(OUTPUT)/rsttrace.skel.h
	sh tests/fuzz/run.sh $${FUZZ_SECONDS:-600}

integration: rsttrace
	python3 tests/integration/run.py

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr -Iinclude -Iuser user tests/unit bench/rstgen

FORMAT_SRCS = $(wildcard user/*.c user/*.h bpf/*.c bpf/*.h include/*.h tests/unit/*.c tests/unit/*.h \
	bench/rstgen/*.c bench/rstgen/*.h bench/experiments/*/*.c)

format:
	clang-format -i $(FORMAT_SRCS)

# Fails when a file differs from what clang-format would make of it.
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRCS)

# Regenerates the checked-in vmlinux.h from the running kernel.
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

bench: deps
	$(MAKE) rsttrace
	sh bench/run.sh

# A long mixed storm; SOAK_SECONDS sets its length (the test suite runs a short one).
soak: deps-test
	$(MAKE) rsttrace
	python3 tests/soak.py --seconds $${SOAK_SECONDS:-600}

clean:
	rm -rf $(OUTPUT) rsttrace tests/unit/test_unit tests/unit/test_unit_asan tests/fuzz/.build

# make install, make uninstall, make deb
include packaging/install.mk
