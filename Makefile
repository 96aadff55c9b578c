# kvpe — plain GNU make.  `make` builds ./kvpe; `make test` installs what is
# missing (as root), then builds and runs every test twice: a normal build and
# an AddressSanitizer + UndefinedBehaviorSanitizer build with leak detection.
#
#   make [V=1] [SANITIZE=1]   build ./kvpe (SANITIZE=1: build/asan/kvpe)
#   make test                 unit + integration tests, normal and sanitized
#   make demo                 bring up the bundled lab and run a real check
#   make deps                 apt-get install the Debian packages (as root)
#   make analyze              GCC -fanalyzer (every C file) and the Clang static
#                             analyzer (scan-build; the shipped code, or every
#                             file with ANALYZE_ALL=1); fails on a finding
#   make bench | fuzz | clean
#   make install | uninstall  [PREFIX=/usr/local] [DESTDIR=]  (see below)
#   make deb                  build/kvpe_<version>-1_<arch>.deb (Debian bookworm)
#   make deb-test             builds the .deb and checks it (lintian, a scratch install)

CC      ?= cc
PKGS    := libcares libcurl libcjson openssl libmicrohttpd
VERSION := 0.1.0
REVISION = $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

ifeq ($(ANALYZE),gcc)
# Every analyzer warning is an error (-Werror): a finding fails the build.
VARIANT  := analyze-gcc
SANFLAGS := -fanalyzer
OPT      := -O1 -g
else ifeq ($(ANALYZE),clang)
# Built by scan-build, which sets CC to its ccc-analyzer wrapper.
VARIANT  := analyze-clang
SANFLAGS :=
OPT      := -O1 -g
else ifeq ($(SANITIZE),1)
VARIANT  := asan
SANFLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT      := -O1 -g
else
VARIANT  := release
SANFLAGS :=
OPT      := -O2 -g
endif

B := build/$(VARIANT)

# Lazy (=) so `make deps` runs before pkg-config is asked anything.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))

WARN := -Wall -Wextra -Werror -Wshadow -Wconversion -Wformat=2 -Wstrict-prototypes \
        -Wmissing-prototypes -Wvla -Wpointer-arith -Wno-sign-conversion
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SANFLAGS) -Iinclude $(PKG_CFLAGS) \
             -DKV_VERSION=\"$(VERSION)\" -DKV_REVISION=\"$(REVISION)\" -MMD -MP $(CFLAGS)
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)
LIBS_ALL    = $(PKG_LIBS) -lm -lpthread

# As curl splits lib/ from src/: the library (sources, expectations, probes,
# verdict, report: agent/*.c, agent/report/, probes/) is libkvpe.a; the tool
# (options and config, the commands, the agent loop: agent/tool/) is a second
# archive that only ./kvpe and the tests of the command line link.
LIB_SRC  := $(wildcard agent/*.c) $(wildcard agent/report/*.c) $(wildcard probes/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
TOOL_SRC := $(filter-out agent/tool/main.c,$(wildcard agent/tool/*.c))
TOOL_OBJ := $(TOOL_SRC:%.c=$(B)/%.o)
MAIN_OBJ := $(B)/agent/tool/main.o
LIB      := $(B)/libkvpe.a
TOOL     := $(B)/libkvpe-tool.a

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/tests/replay_%)
# The tests of argv and --config parsing link the tool too; every other test
# links the library alone, so a library module that reaches into the tool
# fails to link.
TOOL_TESTS := $(B)/tests/test_cli $(B)/tests/replay_fuzz_config

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all build deps test check-build test-release test-asan demo bench fuzz clean units analyze

all: kvpe

ifeq ($(VARIANT),release)
kvpe: $(B)/kvpe
	$(Q)cp $< $@
else
# The sanitized binary stays in build/asan/; ./kvpe is always the normal one.
.PHONY: kvpe
kvpe: $(B)/kvpe
endif

build: $(B)/kvpe $(UNIT_BIN) $(FUZZ_REPLAY)

$(B)/kvpe: $(MAIN_OBJ) $(TOOL) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(MAIN_OBJ) $(TOOL) $(LIB) $(LIBS_ALL)

$(LIB): $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(TOOL): $(TOOL_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(TOOL_TESTS): TOOL_LINK := $(TOOL)
$(TOOL_TESTS): $(TOOL)

$(B)/tests/test_%: tests/unit/test_%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes $(if $(ANALYZE),-include tests/unit/analyze.h) -o $@ $< $(TOOL_LINK) $(LIB) $(LIBS_ALL) -lcmocka

# Fuzz targets replayed over their corpora by a standalone driver under gcc.
$(B)/tests/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -o $@ $< tests/fuzz/replay.c $(TOOL_LINK) $(LIB) $(LIBS_ALL)

deps:
	@tests/deps.sh

# GCC's analyzer over everything `build` compiles (the library, the tool,
# the unit tests and the fuzz harnesses); Clang's over what ships (the
# library and the tool: ./kvpe) — it takes four times GCC's time, and the
# tests' own code would add a third to it in every `make test`
# (ANALYZE_ALL=1 takes the tests too).  Findings fail the target: GCC's
# through -Werror, Clang's through scan-build --status-bugs (its HTML report
# is kept in build/analyze-report/).  The Clang build starts from scratch
# each time: scan-build sees only what it compiles.
analyze:
	@command -v scan-build >/dev/null || { echo "analyze: scan-build not found (tests/deps.sh installs clang-tools)" >&2; exit 2; }
	@$(MAKE) --no-print-directory -j2 ANALYZE=gcc build
	@rm -rf build/analyze-clang build/analyze-report
	@scan-build --status-bugs --use-cc=clang -o build/analyze-report \
		$(MAKE) --no-print-directory -j2 ANALYZE=clang $(if $(ANALYZE_ALL),build,kvpe)

# `make test` = deps, then both variants and the static analyzers.  Each
# variant builds first so a compile error or an analyzer finding stops the
# run before any server starts.
test:
	@tests/deps.sh
	@$(MAKE) --no-print-directory -j2 build
	@$(MAKE) --no-print-directory -j2 SANITIZE=1 build
	@if command -v scan-build >/dev/null; then $(MAKE) --no-print-directory analyze; \
	else echo "analyze: skipped (scan-build not installed; tests/deps.sh installs clang-tools)"; fi
	@$(MAKE) --no-print-directory kvpe
	@tests/run.sh

units: build
	@tests/run.sh --unit-only $(B)

demo:
	@tests/deps.sh
	@$(MAKE) --no-print-directory kvpe
	@tests/lab/demo.sh ./kvpe

bench:
	@tests/deps.sh --bench
	@$(MAKE) --no-print-directory kvpe
	@tests/bench/run.sh ./kvpe

fuzz:
	@tests/deps.sh
	@tests/fuzz/run.sh

clean:
	rm -rf build kvpe

# ---- install, uninstall, deb (agent/dist/) ----
# `make install` puts the release binary, kvpe(1), the bash completion, the
# systemd units (ExecStart rewritten to $(BINDIR)/kvpe), the alert rules, the
# README and the example config under $(DESTDIR)$(PREFIX), and lists them in
# $(DATADIR)/installed-files, which `make uninstall` reads back: it removes
# exactly those (agent/dist/install.sh).  Nothing is written to /etc.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DATADIR     ?= $(PREFIX)/share/kvpe
DOCDIR      ?= $(PREFIX)/share/doc/kvpe
UNITDIR     ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL_ENV  = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" BINDIR="$(BINDIR)" MANDIR="$(MANDIR)" \
               DATADIR="$(DATADIR)" DOCDIR="$(DOCDIR)" UNITDIR="$(UNITDIR)" BASHCOMPDIR="$(BASHCOMPDIR)"

# The bash completion script, written by the binary from its option table.
COMPLETION := $(B)/kvpe.bash
build: $(COMPLETION)
$(COMPLETION): $(B)/kvpe
	@echo "  GEN     $@"
	$(Q)$< --completion bash >$@.tmp && mv $@.tmp $@

.PHONY: install uninstall deb deb-test
install: $(B)/kvpe $(COMPLETION)
	$(Q)$(INSTALL_ENV) KVPE_BIN=$(B)/kvpe COMPLETION=$(COMPLETION) agent/dist/install.sh install

uninstall:
	$(Q)$(INSTALL_ENV) agent/dist/install.sh uninstall

# The package is built from its own objects (build/deb/obj) with Debian's
# hardening flags, then installed with PREFIX=/usr into a staging root that
# agent/dist/deb.sh turns into build/kvpe_<version>-<revision>_<arch>.deb.
DEB_REVISION   ?= 1
DEB_MAINTAINER ?= kvpe authors <kvpe@users.noreply.github.com>
DEB_FLAGS       = DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get
deb:
	@command -v dpkg-buildflags >/dev/null || { echo "deb: dpkg-buildflags not found (tests/deps.sh installs dpkg-dev)" >&2; exit 2; }
	$(Q)$(MAKE) --no-print-directory -j2 B=build/deb/obj \
		CFLAGS="$$($(DEB_FLAGS) CFLAGS) $$($(DEB_FLAGS) CPPFLAGS)" LDFLAGS="$$($(DEB_FLAGS) LDFLAGS)" \
		build/deb/obj/kvpe build/deb/obj/kvpe.bash
	$(Q)DEB_VERSION=$(VERSION)-$(DEB_REVISION) DEB_MAINTAINER="$(DEB_MAINTAINER)" \
		agent/dist/deb.sh build/deb/obj/kvpe build/deb/obj/kvpe.bash build

# The package's own test (also part of `make test`, as root).
deb-test:
	@tests/deps.sh
	@tests/run.sh --one release tests/integration/package.sh

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)
