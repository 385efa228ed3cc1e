# berth - build, test and run.
#
#   make            build/berth (optimised, with debug info)
#   make test       install deps, build with ASan+UBSan, run unit, fuzz and
#                   integration tests
#   make up         install deps, build, and run `berth up` in the foreground
#   make bench      benchmarks -> bench/results/latest.json, BENCHMARKS.md
#   make bench-quick  the quick figures -> bench/results/latest-quick.json
#   make lint       banned functions, clang-format drift, file/function
#                   sizes and include cycles (make format fixes the layout)
#
# Every .c under src/ except the two mains goes into a static library that
# the binary, the unit tests and the fuzz targets link.  berth-runtime-shim,
# beside berth, is the wrapper conmon runs crun through (agent/runtime/crunshim.c):
# static and libc only, so that exec is cheap.

CC       ?= cc
PKGS     := libmicrohttpd jansson sqlite3 libcurl libarchive libcrypto libmnl libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN     := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wformat=2 -Wno-format-truncation -Wno-format-nonliteral -Wvla
CFLAGS_BASE := -std=gnu11 -g $(WARN) -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -fno-strict-aliasing
LDLIBS   := $(PKG_LIBS) -lpthread -lm

# Every .c below src/, in any folder: no list to maintain.
SRC_ALL  := $(sort $(shell find src -name '*.c'))
SRC_MAIN := src/cli/main.c src/cli/shim_main.c
SHIM_SRC := src/cli/shim_main.c src/agent/runtime/crunshim.c
SRC_LIB  := $(filter-out $(SRC_MAIN),$(SRC_ALL))
# Each service's botocore model, and the web console's files, embedded by an
# assembler file beside them.
ASM_LIB  := $(sort $(shell find src -name '*.S'))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
MODELS   := $(sort $(shell find src -name 'model.json'))
# The web console's files, embedded by src/server/console/assets.S.
CONSOLE_FILES := $(sort $(shell find src/server/console/static -type f))
ASM_DEPS := $(MODELS) $(CONSOLE_FILES)

# Variant directories: build/ (release), build/asan/ (sanitizers).
REL_DIR  := build
ASAN_DIR := build/asan
FUZZ_DIR := build/fuzz

REL_CFLAGS  := $(CFLAGS_BASE) -O2
ASAN_CFLAGS := $(CFLAGS_BASE) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -Werror
FUZZ_CC     := clang
FUZZ_CFLAGS := $(CFLAGS_BASE) -Wno-unknown-warning-option -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined

objs = $(patsubst src/%.c,$(1)/obj/%.o,$(2))
asmobjs = $(patsubst src/%.S,$(1)/obj/%.o,$(ASM_LIB))

.PHONY: compat all test test-postgres unit integration fuzz-smoke fuzz up bench bench-quick clean deps checksrc asan lint format check-style check-layout integration-only integration-postgres
# Objects built through pattern rules are not throwaway intermediates.
.SECONDARY:
all: $(REL_DIR)/berth $(REL_DIR)/berth-runtime-shim

deps:
	@sh scripts/install-deps.sh

# --- release ---------------------------------------------------------------
$(REL_DIR)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -MMD -MP -c $< -o $@
$(REL_DIR)/obj/%.o: src/%.S $(ASM_DEPS)
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@
$(REL_DIR)/libberth.a: $(call objs,$(REL_DIR),$(SRC_LIB)) $(call asmobjs,$(REL_DIR))
	@rm -f $@
	ar rcs $@ $^
$(REL_DIR)/berth: $(REL_DIR)/obj/cli/main.o $(REL_DIR)/libberth.a
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LDLIBS)
$(REL_DIR)/berth-runtime-shim: $(call objs,$(REL_DIR),$(SHIM_SRC))
	$(CC) $(REL_CFLAGS) -static -o $@ $^

# --- sanitizers (used by make test) -----------------------------------------
$(ASAN_DIR)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -MMD -MP -c $< -o $@
$(ASAN_DIR)/obj/%.o: src/%.S $(ASM_DEPS)
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@
$(ASAN_DIR)/libberth.a: $(call objs,$(ASAN_DIR),$(SRC_LIB)) $(call asmobjs,$(ASAN_DIR))
	@rm -f $@
	ar rcs $@ $^
$(ASAN_DIR)/berth: $(ASAN_DIR)/obj/cli/main.o $(ASAN_DIR)/libberth.a $(ASAN_DIR)/berth-runtime-shim
	$(CC) $(ASAN_CFLAGS) -o $@ $(filter-out %/berth-runtime-shim,$^) $(LDLIBS)
$(ASAN_DIR)/berth-runtime-shim: $(call objs,$(ASAN_DIR),$(SHIM_SRC))
	$(CC) $(ASAN_CFLAGS) -o $@ $^
$(ASAN_DIR)/unit_tests: $(UNIT_SRC) $(ASAN_DIR)/libberth.a $(wildcard tests/unit/*.h)
	$(CC) $(ASAN_CFLAGS) -Itests/unit -o $@ $(UNIT_SRC) $(ASAN_DIR)/libberth.a $(LDLIBS)
asan: $(ASAN_DIR)/berth $(ASAN_DIR)/unit_tests

# --- fuzzing (clang libFuzzer) ----------------------------------------------
$(FUZZ_DIR)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
$(FUZZ_DIR)/obj/%.o: src/%.S $(ASM_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -c $< -o $@
FUZZ_TARGETS := fuzz_request fuzz_query fuzz_auth fuzz_form fuzz_metric_math fuzz_cbor fuzz_dns fuzz_tzif
$(FUZZ_DIR)/fuzz_%: bench/fuzz_%.c $(call objs,$(FUZZ_DIR),$(SRC_LIB)) $(call asmobjs,$(FUZZ_DIR))
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# --- entry points -------------------------------------------------------------
checksrc:
	@sh scripts/checksrc.sh

# Layout is .clang-format's: `make format` applies it, `make check-style`
# fails on any drift from it.
STYLE_SRC = $(shell find src tests/unit bench -name '*.[ch]' -not -path '*/fuzz_corpus/*')
format:
	@clang-format -i $(STYLE_SRC)
check-style:
	@clang-format --dry-run -Werror $(STYLE_SRC) && echo "check-style: ok"

# File and function sizes, include cycles between folders, layers.
check-layout:
	@/usr/bin/python3 scripts/check-layout.py

lint: checksrc check-style check-layout

# The README's Compatibility tables, from `berth compat` (the ECS action
# table and src/server/ecs/ecs_compat_notes.c); tests/integration/test_compat.py
# fails when they differ.
compat: $(REL_DIR)/berth
	@/usr/bin/python3 scripts/update-compat.py $(REL_DIR)/berth README.md

unit: $(ASAN_DIR)/unit_tests
	$(ASAN_DIR)/unit_tests

# A short run of each target; FUZZ_SECONDS each (default 15).  libFuzzer's
# progress goes to a log file, shown only when a target fails.
fuzz-smoke: $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/corpus_query $(FUZZ_DIR)/corpus_auth $(FUZZ_DIR)/corpus_form $(FUZZ_DIR)/corpus_math $(FUZZ_DIR)/corpus_cbor $(FUZZ_DIR)/corpus_dns $(FUZZ_DIR)/corpus_tzif
	@set -e; for t in $(FUZZ_TARGETS); do \
	    case $$t in fuzz_request) args="-max_len=16384 $(FUZZ_DIR)/corpus bench/fuzz_corpus";; \
	                fuzz_auth) args="-max_len=8192 $(FUZZ_DIR)/corpus_auth";; \
	                fuzz_form) args="-max_len=4096 $(FUZZ_DIR)/corpus_form bench/fuzz_corpus_form";; \
	                fuzz_metric_math) args="-max_len=1024 $(FUZZ_DIR)/corpus_math";; \
	                fuzz_cbor) args="-max_len=4096 $(FUZZ_DIR)/corpus_cbor";; \
	                fuzz_dns) args="-max_len=1024 $(FUZZ_DIR)/corpus_dns";; \
	                fuzz_tzif) args="-max_len=4096 $(FUZZ_DIR)/corpus_tzif";; \
	                *) args="-max_len=4096 $(FUZZ_DIR)/corpus_query";; esac; \
	    if $(FUZZ_DIR)/$$t -max_total_time=$${FUZZ_SECONDS:-15} $$args > $(FUZZ_DIR)/$$t.log 2>&1; then \
	        echo "fuzz: $$t: $$(grep -o 'Done [0-9]* runs' $(FUZZ_DIR)/$$t.log), no crash"; \
	    else tail -60 $(FUZZ_DIR)/$$t.log; echo "fuzz: $$t FAILED"; exit 1; fi; \
	done

fuzz: $(FUZZ_DIR)/fuzz_request
	@mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_DIR)/fuzz_request -max_len=65536 $(FUZZ_DIR)/corpus bench/fuzz_corpus

# pytest's temporary directories go to a fresh /tmp/berth-pytest-* that is
# removed afterwards (pytest would keep the last three runs' otherwise,
# hundreds of MB; Debian 12's pytest 7.2 has no retention setting).
# --one-file-system: never follow a mount a failed test left behind.
PYTEST = BERTH_BIN=$(CURDIR)/$(ASAN_DIR)/berth; export BERTH_BIN; \
	tmp=$$(mktemp -d /tmp/berth-pytest-XXXXXX) && \
	{ /usr/bin/python3 -m pytest -q -p no:cacheprovider --basetemp=$$tmp/t $(1); rc=$$?; \
	  rm -rf --one-file-system $$tmp; exit $$rc; }

# The files run on INTEGRATION_JOBS pytest-xdist workers, each file whole on
# one worker (tests/integration/conftest.py groups them); most of a test's
# time is spent waiting for containers and servers, so three workers keep
# two cores busy.  Tests marked host_exclusive run afterwards, alone.
#
# Beside that parallel part, on one worker more, the PostgreSQL variant
# (integration-postgres below) runs PG_INTEGRATION_CI on PostgreSQL; its
# output is shown once both are done.  INTEGRATION_PG=0 leaves it out.
INTEGRATION_JOBS ?= 3
INTEGRATION_PG ?= 1
integration: $(ASAN_DIR)/berth $(ASAN_DIR)/api_load
	@pg=; if [ "$(INTEGRATION_PG)" != 0 ]; then \
	    $(MAKE) --no-print-directory integration-postgres PG_JOBS=1 T="$(PG_INTEGRATION_CI)" \
	        > $(ASAN_DIR)/integration-postgres.log 2>&1 & pg=$$!; fi; \
	( $(call PYTEST,-n $(INTEGRATION_JOBS) --dist loadgroup --durations=15 -m "not host_exclusive" tests/integration $(PYTEST_ARGS)) ); rc=$$?; \
	pgrc=0; if [ -n "$$pg" ]; then wait $$pg; pgrc=$$?; \
	    echo "--- the PostgreSQL variant (make integration-postgres T=\"$(PG_INTEGRATION_CI)\"):"; \
	    tail -n 60 $(ASAN_DIR)/integration-postgres.log; fi; \
	[ $$rc = 0 ] && [ $$pgrc = 0 ]
	@$(call PYTEST,-m host_exclusive tests/integration $(PYTEST_ARGS))

# The integration files with every test server's state in PostgreSQL: each
# BerthServer on a database of its own on a throwaway PostgreSQL 15 per
# pytest worker (BERTH_TEST_STORE=postgres, tests/integration/berth_proc.py).
# T picks the files (default PG_INTEGRATION_CI, what make test runs; the
# whole suite: T=tests/integration, then the host_exclusive tests with
# T="-m host_exclusive tests/integration" PG_JOBS=0).
PG_INTEGRATION_CI := $(addprefix tests/integration/,test_ecs_api.py test_taskdefs.py test_services.py \
	test_tasks_e2e.py test_logs_api.py test_iam.py test_agent_identity.py test_elbv2.py)
PG_JOBS ?= 2
integration-postgres: $(ASAN_DIR)/berth $(ASAN_DIR)/api_load
	@BERTH_TEST_STORE=postgres; export BERTH_TEST_STORE; \
	$(call PYTEST,$(if $(filter-out 0,$(PG_JOBS)),-n $(PG_JOBS) --dist loadgroup -m "not host_exclusive") --durations=5 $(or $(T),$(PG_INTEGRATION_CI)))

# The whole suite on PostgreSQL, the CI variant (.ci/run-postgres): every
# file, then the host_exclusive tests (files that start servers of their
# own, berth up's and the test_store_* ones, keep the store they choose).
test-postgres: deps $(ASAN_DIR)/berth
	$(MAKE) --no-print-directory integration-postgres PG_JOBS=3 T=tests/integration
	$(MAKE) --no-print-directory integration-postgres PG_JOBS=0 T="-m host_exclusive tests/integration"

# A few integration files: make integration-only T="tests/integration/test_x.py"
integration-only: $(ASAN_DIR)/berth $(ASAN_DIR)/api_load
	@$(call PYTEST,$(T))

test: deps
	$(MAKE) lint
	$(MAKE) asan
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) integration

# Everything berth up uses: the shim too (crun starts are ~8 ms slower without it).
up: deps $(REL_DIR)/berth $(REL_DIR)/berth-runtime-shim
	$(REL_DIR)/berth up --seed-images $(CURDIR)/scripts/make-test-images.sh $(UP_ARGS)

# IAM policy evaluations per second (bench/bench_policy.c), a figure only.
$(REL_DIR)/bench_policy: bench/bench_policy.c $(REL_DIR)/libberth.a
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LDLIBS)

# ListClusters through the dispatcher with and without SigV4 verification
# (bench/bench_auth.c), a figure only.
$(REL_DIR)/bench_auth: bench/bench_auth.c $(REL_DIR)/libberth.a
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LDLIBS)

# JSON written and read, jsondump and jsonload against jansson's json_dumps
# and json_loads (bench/bench_json.c), a figure only.
$(REL_DIR)/bench_json: bench/bench_json.c $(REL_DIR)/libberth.a
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LDLIBS)

# The API mix's load generator (bench/api_load.c): keep-alive, pre-signed
# requests, so the server and not the client is measured.
$(REL_DIR)/api_load: bench/api_load.c $(REL_DIR)/libberth.a
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LDLIBS)
# Under ASan beside build/asan/berth, for the benchmark smoke test.
$(ASAN_DIR)/api_load: bench/api_load.c $(ASAN_DIR)/libberth.a
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LDLIBS)

bench: deps all $(REL_DIR)/bench_policy $(REL_DIR)/bench_auth $(REL_DIR)/bench_json $(REL_DIR)/api_load
	/usr/bin/python3 bench/run.py

# The figures to check on every change (< 2 minutes): task start vs bare crun,
# placement at 250 and 1,000 hollow instances, the API mix vs moto.  Results
# in bench/results/ (latest-quick.json and one file per run), plots in bench/plots/.
bench-quick: all $(REL_DIR)/api_load
	/usr/bin/python3 bench/run.py --quick

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
