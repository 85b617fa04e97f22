# socklock: build, run, test, bench, install. Everything but src/main.c goes into one static
# library that the binary, the test runners and the fuzzers link, so tests exercise the
# objects that ship. Variants build under build/<variant>/ and never mix.

PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
PKGS      = libmicrohttpd jansson yaml-0.1 libcrypto gnutls
TEST_PKGS = check libcurl
# Everything building and testing need on a bare Debian bookworm (which has only make):
# the compiler, the libraries, and the tools the tests drive.
DEB_PKGS  = gcc libc6-dev pkg-config libmicrohttpd-dev libjansson-dev libyaml-dev libssl-dev \
            libgnutls28-dev check libcurl4-openssl-dev python3 python3-yaml python3-jsonpatch \
            valgrind curl openssl ca-certificates golang-go golang-github-evanphx-json-patch-dev prometheus \
            slowhttptest testssl.sh graphviz
# The deploy/ tests render the kustomizations with `kubectl kustomize`: any kubectl will do,
# Debian's (1.20, kustomize v2.0.3) when there is none.
DEB_PKGS += $(if $(shell command -v kubectl 2>/dev/null),,kubernetes-client)

ifeq ($(SANITIZE),1)
VARIANT  ?= asan
else
VARIANT  ?= release
endif
BUILD    ?= build/$(VARIANT)
# Quiet rules by default; `make V=1` prints every command.
ifeq ($(V),1)
Q =
else
Q = @
endif

WARN = -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -Wshadow \
       -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations -Wold-style-definition \
       -Wformat=2 -Wcast-qual -Wwrite-strings -Wvla -Wundef -Wpointer-arith \
       -Wimplicit-fallthrough -Wconversion -Wno-sign-conversion
HARDEN  = -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
          -fstack-clash-protection -fcf-protection -fPIE
LDHARD  = -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

ifeq ($(VARIANT),asan)
OPT     = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -fPIE
LDOPT   = -fsanitize=address,undefined -pie
else ifeq ($(VARIANT),tsan)
OPT     = -O1 -g -fsanitize=thread -fno-omit-frame-pointer -fPIE
LDOPT   = -fsanitize=thread -pie
else ifeq ($(VARIANT),debug)
OPT     = -O0 -g3 -fPIE
LDOPT   = -pie
else
OPT     = -O2 -g $(HARDEN)
LDOPT   = $(LDHARD)
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TST_CFLAGS := $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TST_LIBS   := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

CFLAGS_ALL = $(WARN) $(OPT) -Iinclude $(PKG_CFLAGS) -MMD -MP $(EXTRA_CFLAGS)
LIBS       = $(PKG_LIBS) -lpthread

LIB_SRCS  = $(filter-out src/main.c,$(wildcard src/*.c src/*/*.c))
LIB_OBJS  = $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS = $(wildcard tests/check_*.c) tests/testutil.c
UNIT_OBJS = $(UNIT_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/tests/run_units.o
INT_SRCS  = $(wildcard tests/integration/*.c) tests/testutil.c
INT_OBJS  = $(INT_SRCS:%.c=$(BUILD)/%.o)

BIN       = $(BUILD)/socklock
UNITS     = $(BUILD)/tests/run_units
INTEG     = $(BUILD)/tests/run_integration

.PHONY: all run test deps install clean format format-check units integration bench valgrind fuzz \
        lint tsan replay rootfs deploy-certs FORCE
FORCE:
.DEFAULT_GOAL := all

all: socklock

# The binary is replaced by rename, never rewritten in place, so a server started from
# ./socklock (make run) keeps running while another terminal builds and tests.
socklock: $(BIN)
	$(Q)cp $(BIN) ./socklock.tmp && mv -f ./socklock.tmp ./socklock

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_ALL) $(TST_CFLAGS) -I$(BUILD)/tests -Itests -c $< -o $@

$(BUILD)/libsocklock.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(BUILD)/libsocklock.a
	$(CC) $(LDOPT) -o $@ $^ $(LIBS)

# The runner's suite list comes from the file names, never from their contents: every
# tests/check_<name>.c must define `Suite *suite_<name>(void)` (a missing or misnamed
# definition is an undefined reference when run_units links) and create its suite as
# suite_create("<name>"), so that CK_RUN_SUITE=<name> selects it (checked here, loudly).
UNIT_SUITES = $(patsubst tests/check_%.c,%,$(wildcard tests/check_*.c))
$(BUILD)/tests/suites.h: FORCE
	@mkdir -p $(dir $@)
	@for n in $(UNIT_SUITES); do \
	  grep -q "suite_create(\"$$n\")" tests/check_$$n.c || \
	    { echo "tests/check_$$n.c: no suite_create(\"$$n\")" >&2; exit 1; }; \
	done
	@printf 'X(suite_%s)\n' $(UNIT_SUITES) > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/tests/run_units.o: tests/run_units.c $(BUILD)/tests/suites.h

$(UNITS): $(UNIT_OBJS) $(BUILD)/libsocklock.a
	$(CC) $(LDOPT) -o $@ $^ $(TST_LIBS) $(LIBS)

$(INTEG): $(INT_OBJS) $(BUILD)/libsocklock.a
	$(CC) $(LDOPT) -o $@ $^ $(TST_LIBS) $(LIBS)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "deps: installing$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "deps: missing packages; run as root:"; \
	    echo "  apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# The image's root filesystem (Dockerfile): the binary without its debug symbols; exactly the
# shared libraries it loads as ldd resolves them, copied as files (no links), and the ELF
# interpreter, executable (the kernel refuses to load one that is not); the passwd and group
# entries of the user it runs as. No shell, no package manager, nothing else:
# tests/cli/rootfs_chroot.sh runs it as the image would. `make test` makes it from the release
# build whatever the variant, as the Dockerfile does.
ROOTFS = build/rootfs
rootfs: $(BIN)
	$(Q)rm -rf $(ROOTFS) && mkdir -p $(ROOTFS)/usr/local/bin $(ROOTFS)/etc
	$(Q)install -m 0755 -s $(BIN) $(ROOTFS)/usr/local/bin/socklock
	$(Q)ldd $(BIN) | awk '$$1 ~ /^\// { print "0755", $$1 } $$2 == "=>" && $$3 ~ /^\// { print "0644", $$3 }' \
	    > $(ROOTFS).list && [ -s $(ROOTFS).list ] || { echo "rootfs: ldd $(BIN) failed"; exit 1; }
	$(Q)while read -r mode lib; do install -D -m $$mode $$lib $(ROOTFS)$$lib || exit 1; done < $(ROOTFS).list
	$(Q)rm -f $(ROOTFS).list
	$(Q)echo 'socklock:x:10001:10001:socklock:/nonexistent:/nonexistent' > $(ROOTFS)/etc/passwd
	$(Q)echo 'socklock:x:10001:' > $(ROOTFS)/etc/group
	@echo "  ROOTFS  $(ROOTFS): $$(find $(ROOTFS) -type f | wc -l) files, $$(du -sh $(ROOTFS) | cut -f1)"

# The static overlays' certificate and caBundle (deploy/static/generate.sh), into folders git
# ignores. RENEW=1 makes new ones, trusting the old CA too until it is removed.
deploy-certs: $(BIN)
	SOCKLOCK_BIN=$(CURDIR)/$(BIN) sh deploy/static/generate.sh

# Dev certificates are made once, by socklock itself, into certs/ (ignored by git).
certs/tls.crt: | $(BIN)
	$(BIN) certs --out certs --days 30

run: deps
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory certs/tls.crt
	./socklock serve --listen 127.0.0.1:8443 --cert certs/tls.crt --key certs/tls.key

units: $(UNITS)
	$(UNITS)

integration: $(INTEG) $(BIN)
	SOCKLOCK_BIN=$(BIN) $(INTEG)

# The patches /mutate makes are applied in the tests by github.com/evanphx/json-patch, the
# library the API server applies them with (Debian's golang-github-evanphx-json-patch-dev),
# built in GOPATH mode from Debian's packages: no network.
JSONPATCH = build/tools/jsonpatch
$(JSONPATCH): tests/tools/jsonpatch/main.go
	@mkdir -p $(dir $@)
	@echo "  GO      $<"
	$(Q)GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$(CURDIR)/build/gocache \
	    go build -o $@ ./tests/tools/jsonpatch
# A preloadable shim for the `fix --write` test of a file replaced mid-run.
SHIM = build/tools/replace_on_fsync.so
$(SHIM): tests/tools/shim/replace_on_fsync.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared -fPIC -O1 -o $@ $< -ldl
TEST_ENV = SOCKLOCK_BIN=$(BIN) SOCKLOCK_JSONPATCH=$(CURDIR)/$(JSONPATCH)
CLI_ENV  = SOCKLOCK_BIN=$(BIN) SOCKLOCK_SHIM=$(CURDIR)/$(SHIM) SOCKLOCK_ROOTFS=$(CURDIR)/$(ROOTFS)

# Every fuzz target also builds as a plain program (tests/fuzz/replay.c) that replays its
# corpus: the fixtures, the vendored AdmissionReviews and what tests/fuzz/corpus keeps. make
# test runs them under each build (ASan and UBSan with SANITIZE=1).
FUZZ_TARGETS = $(notdir $(basename $(wildcard tests/fuzz/fuzz_*.c)))
REPLAYS      = $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/%_replay)
FUZZ_SEEDS   = tests/fixtures/reviews tests/conformance/admission-review/wrapped \
               tests/bench/payloads
FUZZ_SEEDS_TEXT = tests/fixtures/fix tests/fixtures/manifests tests/fixtures/policy \
                  tests/conformance/sock-shop/manifests
$(BUILD)/tests/fuzz/%_replay: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o \
                              $(BUILD)/libsocklock.a
	$(Q)$(CC) $(LDOPT) -o $@ $^ $(LIBS)
replay: $(REPLAYS)
	@for t in $(FUZZ_TARGETS); do \
	  $(BUILD)/tests/fuzz/$${t}_replay $$t $(FUZZ_SEEDS) $(FUZZ_SEEDS_TEXT) \
	      $$(test -d tests/fuzz/corpus/$$t && echo tests/fuzz/corpus/$$t) || exit 1; \
	done

test: deps
	$(MAKE) --no-print-directory $(BIN) $(UNITS) $(INTEG) $(JSONPATCH) $(SHIM) $(REPLAYS)
	$(MAKE) --no-print-directory VARIANT=release rootfs
	@if [ "$(VARIANT)" = release ]; then cp $(BIN) ./socklock.tmp && mv -f ./socklock.tmp ./socklock; fi
	$(TEST_ENV) $(UNITS)
	SOCKLOCK_BIN=$(BIN) $(INTEG)
	$(CLI_ENV) sh tests/run_cli.sh
	$(MAKE) --no-print-directory replay

$(BUILD)/tests/review_bench: $(BUILD)/tests/bench/review_bench.o $(BUILD)/libsocklock.a
	$(CC) $(LDOPT) -o $@ $^ $(LIBS)

$(BUILD)/tests/json_bench: $(BUILD)/tests/bench/json_bench.o $(BUILD)/libsocklock.a
	$(CC) $(LDOPT) -o $@ $^ $(LIBS)

$(BUILD)/tests/policyref_bench: $(BUILD)/tests/bench/policyref_bench.o $(BUILD)/libsocklock.a
	$(CC) $(LDOPT) -o $@ $^ $(LIBS)

# Figures for notes, never assertions: the in-process cost of one review of each payload.
# The payloads are synthetic reviews: a small pod, a Deployment and a pod of 50 containers.
BENCH_PAYLOADS ?= $(wildcard tests/bench/payloads/*.json) tests/fixtures/reviews/deployment-sockshop.json
# Coverage-guided fuzzing with clang's libFuzzer, ASan and UBSan, time-boxed per target
# (FUZZ_SECONDS each; .ci/run runs a short smoke of every target). Targets are the pure
# modules (no sockets, no files; manifest.c is linked for its parser, which works on bytes),
# and fuzz_http, which serves plain HTTP on loopback with the server's own handlers. Seeds:
# the reviews for the JSON targets, the manifests and policies for the YAML ones, each
# target's own corpus; the dictionary is the JSON, YAML or HTTP one.
# What a run finds stays in build/fuzz; a crash fails the run and its input is kept there
# as crash-*, to become a fixture and a regression test.
FUZZ_SECONDS ?= 60
FUZZ_SRCS = $(filter-out src/main.c src/server.c src/cli/%.c src/certgen.c src/certstore.c src/metrics.c \
              src/report.c src/log.c,$(LIB_SRCS))
# The HTTP target runs the server itself (without TLS, on loopback).
FUZZ_HTTP_SRCS = $(filter-out src/main.c src/cli/%.c,$(LIB_SRCS))
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=c11 \
             -D_POSIX_C_SOURCE=200809L -Iinclude $(PKG_CFLAGS)
FUZZ_YAML_TARGETS = fuzz_fix fuzz_yaml fuzz_policy fuzz_netpol
FUZZ_PKGS = clang libclang-rt-14-dev
fuzz: deps
	$(Q)$(MAKE) --no-print-directory deps DEB_PKGS="$(FUZZ_PKGS)"
	@mkdir -p build/fuzz
	@for t in $(FUZZ_TARGETS); do \
	  srcs="$(FUZZ_SRCS)"; [ $$t = fuzz_http ] && srcs="$(FUZZ_HTTP_SRCS)"; \
	  clang $(FUZZ_FLAGS) tests/fuzz/$$t.c $$srcs $(PKG_LIBS) -o build/fuzz/$$t || exit 1; \
	done
	@for t in $(FUZZ_TARGETS); do \
	  case " $(FUZZ_YAML_TARGETS) " in *" $$t "*) seeds="$(FUZZ_SEEDS_TEXT)"; dict=yaml;; \
	    *) seeds="$(FUZZ_SEEDS)"; dict=json;; esac; \
	  if [ $$t = fuzz_http ]; then seeds=; dict=http; fi; \
	  mkdir -p build/fuzz/corpus-$$t; \
	  echo "  FUZZ    $$t ($(FUZZ_SECONDS) s)"; \
	  build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=5 -rss_limit_mb=1024 \
	      -max_len=65536 -dict=tests/fuzz/$$dict.dict -artifact_prefix=build/fuzz/$$t- \
	      -print_final_stats=1 build/fuzz/corpus-$$t $$seeds \
	      $$(test -d tests/fuzz/corpus/$$t && echo tests/fuzz/corpus/$$t) \
	      2>build/fuzz/$$t.log || { tail -40 build/fuzz/$$t.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' build/fuzz/$$t.log | \
	      sed "s/^/  $$t: /"; \
	done

# The unit suites under valgrind, in one process (Check's fork mode hides children), and a
# short server run under valgrind.
VALGRIND = valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
           --error-exitcode=99
valgrind: deps
	$(MAKE) --no-print-directory $(UNITS) $(BIN) $(JSONPATCH)
	CK_FORK=no $(TEST_ENV) $(VALGRIND) $(UNITS)
	SOCKLOCK_BIN=$(BIN) sh tests/valgrind_server.sh

bench: $(BUILD)/tests/review_bench $(BUILD)/tests/json_bench $(BUILD)/tests/policyref_bench $(BIN)
	@for p in $(BENCH_PAYLOADS); do for e in validate mutate; do \
	    $(BUILD)/tests/review_bench $$p 20000 $$e; done; done
	@for p in $(BENCH_PAYLOADS); do $(BUILD)/tests/json_bench $$p; done
	@$(BUILD)/tests/policyref_bench
	@ls -l $(BIN) | awk '{print "binary: " $$5 " bytes (with debug info)"}'
	@strip -o $(BUILD)/socklock.stripped $(BIN) && ls -l $(BUILD)/socklock.stripped | awk '{print "binary: " $$5 " bytes stripped"}' 

# ThreadSanitizer on the server, which runs a thread pool: the integration tests (real
# requests over TLS, draining, shutdown) against a -fsanitize=thread build. A race aborts the
# server; its report is written to build/tsan/report.* and fails the target.
tsan: deps
	$(Q)$(MAKE) --no-print-directory VARIANT=tsan build/tsan/socklock
	$(Q)$(MAKE) --no-print-directory build/release/tests/run_integration
	$(Q)rm -f build/tsan/report.*
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 log_path=$(CURDIR)/build/tsan/report" \
	    SOCKLOCK_BIN=build/tsan/socklock build/release/tests/run_integration
	@if ls build/tsan/report.* >/dev/null 2>&1; then cat build/tsan/report.*; \
	    echo "tsan: data races reported"; exit 1; fi
	@echo "tsan: no data race reported"

# Static analysis of src/: banned functions, cppcheck and clang-tidy (.clang-tidy says which
# checks and why some families are off). Zero findings; a suppression is a comment on its
# line that gives the reason.
LINT_PKGS  = cppcheck clang-tidy
LINT_SRCS  = $(LIB_SRCS) src/main.c
LINT_FLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude $(PKG_CFLAGS)
BANNED     = strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|alloca
lint: deps
	$(Q)$(MAKE) --no-print-directory deps DEB_PKGS="$(LINT_PKGS)"
	@echo "  BANNED  src include"
	$(Q)if grep -nE '\b($(BANNED))[[:space:]]*\(' $(LINT_SRCS) src/*/*.h include/socklock/*.h; then \
	    echo "lint: banned function (use snprintf, strtol, sl_buf)"; exit 1; fi
	@echo "  CPPCHECK src"
	$(Q)cppcheck -q --std=c11 --enable=warning,style,performance,portability --inline-suppr \
	    --error-exitcode=1 --suppress=missingIncludeSystem -D_POSIX_C_SOURCE=200809L -Iinclude src
	@echo "  TIDY    src"
	@mkdir -p build
	$(Q){ printf '%s\n' $(LINT_SRCS) | xargs -P$$(nproc) -I{} clang-tidy -quiet {} -- $(LINT_FLAGS) \
	    2>&1; echo $$? > build/tidy.rc; } | grep -v '^[0-9]* warnings\? generated\.$$' || true
	$(Q)test "$$(cat build/tidy.rc)" = 0
	@echo "lint: clean"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 socklock $(DESTDIR)$(PREFIX)/bin/socklock

FORMAT_FILES = src/*.c src/*/*.c src/*/*.h include/socklock/*.h tests/*.c tests/*.h tests/integration/*.c tests/fuzz/*.c \
               tests/integration/*.h tests/bench/*.c
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build socklock socklock.tmp

-include $(shell find build -name '*.d' 2>/dev/null)
