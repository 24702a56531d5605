# shadow-tools: one Makefile for build, check, bench, install and demo.
#   make                 build the three programs into $(BUILD)/bin
#   make check           install missing packages, lint the bats files, build,
#                        run all tests
#   make mutate          plant each bug of tests/mutants/ and check the
#                        suites catch it
#   make bench           benchmarks (tests/bench)
#   make soak            the whole system under load and faults,
#                        SOAK_MINUTES=10 (tests/soak)
#   make install         PREFIX=/usr/local DESTDIR= (make uninstall undoes it)
#   make deb             Debian packages into build/deb (debian/)
#   make SANITIZE=1 ...  AddressSanitizer + UndefinedBehaviorSanitizer
#   make WERROR=0        warnings stay warnings (packagers)
#   CC=clang make        any compiler from the environment or command line

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d
DATADIR = $(PREFIX)/share/shadow-tools
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DIRS_MANIFEST ?= $(DATADIR)/installed-dirs
INSTALL_DIRS = $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man5 $(MANDIR)/man8 \
	$(BASHCOMPDIR) $(ZSHCOMPDIR) $(FISHCOMPDIR) $(DATADIR)/bats $(SYSTEMDUNITDIR)
UNITS = shadowd.service shadowdev@.service
BATS_LIB = contrib/bats/shadow.bash contrib/bats/example.bats

# CC from the environment or the command line wins; make's own default
# ("cc") gives way to gcc.
ifeq ($(origin CC),default)
CC = gcc
endif

# Libraries every program links, found by pkg-config once per make run.
PKGS = libmosquitto json-c openssl sqlite3 inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# Libraries of one program only: <prog>_PKGS names pkg-config modules,
# <prog>_LIBS other linker flags. They are added to that program's link
# (and their -I flags to every compile). Fill them in when the code that
# needs them lands (shadowd: libmicrohttpd for the HTTP face).
# libcurl is never linked: common/httpc dlopen()s it, hence -ldl in LDLIBS
# for whatever links httpc (shadowctl, its unit test). Unit tests that
# link a program's objects (UNIT_LINK_* below) get that program's
# libraries too.
shadowctl_PKGS =
shadowctl_LIBS =
shadowdev_PKGS =
shadowdev_LIBS =
# shadowd alone tells systemd when it is ready (sd_notify, Type=notify).
# Its HTTP face is libmicrohttpd.
shadowd_PKGS = libsystemd libmicrohttpd
shadowd_LIBS =

ifeq ($(SANITIZE),1)
BUILD ?= build/san
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT ?= -O1 -g
else
BUILD ?= build
SAN_FLAGS =
OPT ?= -O2 -g
endif

# WERROR=0 builds without -Werror (for packagers on newer compilers).
WERROR ?= 1
ifeq ($(WERROR),1)
WERROR_FLAG = -Werror
else
WERROR_FLAG =
endif

PROGS = shadowctl shadowdev shadowd
$(foreach p,$(PROGS),$(eval $(p)_PKG_CFLAGS := $(if $($(p)_PKGS),$(shell \
	pkg-config --cflags $($(p)_PKGS) 2>/dev/null))))
$(foreach p,$(PROGS),$(eval $(p)_PKG_LIBS := $(if $($(p)_PKGS),$(shell \
	pkg-config --libs $($(p)_PKGS) 2>/dev/null))))

CFLAGS ?=
CFLAGS += -std=gnu11 $(OPT) -Wall -Wextra $(WERROR_FLAG) -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla \
	-D_GNU_SOURCE -Icommon $(PKG_CFLAGS) \
	$(foreach p,$(PROGS),$($(p)_PKG_CFLAGS)) $(SAN_FLAGS) -MMD -MP
LDFLAGS += $(SAN_FLAGS)
LDLIBS += $(PKG_LIBS) -lm -ldl

COMMON_SRC = $(wildcard common/*.c)
COMMON_OBJ = $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIBCOMMON = $(BUILD)/libcommon.a
BINS = $(PROGS:%=$(BUILD)/bin/%)
PROG_OBJ = $(foreach p,$(PROGS),$(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/$(p)/*.c)))
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC = $(wildcard tests/bench/*.c)
BENCH_BINS = $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
ALL_OBJ = $(COMMON_OBJ) $(PROG_OBJ) $(UNIT_SRC:%.c=$(BUILD)/%.o) \
	$(BENCH_SRC:%.c=$(BUILD)/%.o)
MANPAGES = $(wildcard man/*.[1-8])

# Unit tests of program units, which are not in libcommon: set
# UNIT_LINK_<test> to the objects tests/unit/<test>.c links (without
# main.o), e.g.
#   UNIT_LINK_test_store = $(BUILD)/cmd/shadowd/store.o
# and UNIT_PROG_<test> to the program whose libraries it needs. Unit tests
# see every cmd/<prog>/ directory, so header names are unique across them.
UNIT_LINK_test_rate = $(BUILD)/cmd/shadowd/rate.o
UNIT_PROG_test_rate = shadowd
UNIT_LINK_test_seen = $(BUILD)/cmd/shadowd/seen.o
UNIT_PROG_test_seen = shadowd
UNIT_LINK_test_owned = $(BUILD)/cmd/shadowdev/owned.o
UNIT_PROG_test_owned = shadowdev
UNIT_LINK_test_statefile = $(BUILD)/cmd/shadowdev/statefile.o
UNIT_PROG_test_statefile = shadowdev
UNIT_LINK_test_route = $(BUILD)/cmd/shadowd/route.o
UNIT_LINK_test_fuzz_regressions = $(BUILD)/cmd/shadowdev/statefile.o \
	$(BUILD)/cmd/shadowd/route.o
UNIT_PROG_test_fuzz_regressions = shadowdev

all: $(BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

define PROG_RULE
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/$(1)/*.c)) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$($(1)_PKG_LIBS) $$($(1)_LIBS) $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call PROG_RULE,$(p))))

$(BUILD)/tests/unit/%.o: CFLAGS += $(PROGS:%=-Icmd/%)

.SECONDEXPANSION:
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $$(UNIT_LINK_$$*) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $($(UNIT_PROG_$*)_PKG_LIBS) \
	    $($(UNIT_PROG_$*)_LIBS) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Two sets of Debian packages (tests/deps.sh): what building and running
# needs, and what the tests need on top.
deps: deps-test
deps-run:
	@tests/deps.sh run
deps-test:
	@tests/deps.sh test

# The fault injector of faults-sql.bats (tests/helpers/sqlfault.c): a
# library shadowd runs with under LD_PRELOAD. Built without sanitizers, so
# it preloads alike into the plain, the SANITIZE=1 and the valgrind runs.
SQLFAULT = $(BUILD)/tests/sqlfault.so
$(SQLFAULT): tests/helpers/sqlfault.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra $(WERROR_FLAG) -Wshadow \
	    -Wstrict-prototypes -Wmissing-prototypes -D_GNU_SOURCE \
	    $(shell pkg-config --cflags sqlite3 2>/dev/null) -fPIC -shared \
	    -o $@ $< -ldl

units: $(UNIT_BINS) $(SQLFAULT)

check: deps-test lint-bats
	$(MAKE) all units bench-bins
	BUILD=$(BUILD) tests/run

# lint-bats: rejects a bare "! cmd" line in the bats suites and helpers (and
# a "jq -e" that would pass on empty input: jqe instead). Bats
# (set -e) ignores the status of a negated command, so such a line can never
# fail its test; write "run ! cmd" (bats_require_minimum_version 1.5.0, in
# tests/helpers/common.bash) or an assertion instead.
lint-bats:
	@if grep -nE '^[[:space:]]*![[:space:]]' tests/bats/*.bats tests/helpers/*.bash; then \
		echo "lint-bats: bare '!' lines above never fail a test: use 'run ! cmd' or an assertion" >&2; \
		exit 1; \
	fi
	@if grep -nE '(^|[^[:alnum:]_-])jq -e[[:space:]]' tests/bats/*.bats tests/helpers/*.bash | \
	    grep -v 'tests/helpers/common.bash'; then \
		echo "lint-bats: 'jq -e' above passes on empty input (jq 1.6): use jqe (tests/helpers/common.bash) or jq -es" >&2; \
		exit 1; \
	fi

# mutate: the catalogue of bugs in tests/mutants/*.mutant, each planted in a
# scratch copy of the tree, built, and run against the suites that must
# catch it; fails when one survives or no longer applies (tests/mutants/run).
mutate: deps-test
	$(MAKE) all
	BUILD=$(BUILD) tests/mutants/run

check-valgrind: deps-test
	$(MAKE) all units
	BUILD=$(BUILD) VALGRIND=1 tests/run

bench-bins: $(BENCH_BINS)

bench: deps-test
	$(MAKE) all bench-bins
	BUILD=$(BUILD) tests/bench/run

demo: deps-run
	$(MAKE) all
	BUILD=$(BUILD) tests/demo/run

SOAK_MINUTES ?= 10
soak: deps-test
	$(MAKE) all bench-bins
	BUILD=$(BUILD) SOAK_MINUTES=$(SOAK_MINUTES) tests/soak/run

FUZZ_SECONDS ?= 30
fuzz: deps-test
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run

lint-man:
	mandoc -Tlint -Wwarning $(MANPAGES)

# Every directory install creates (and only those) is listed in
# $(DIRS_MANIFEST), so uninstall leaves the tree as it found it.
# DIRS_MANIFEST= (empty) skips the list, for packaging.
install: all
	@set -e; list=; for d in $(INSTALL_DIRS); do \
		p=$(DESTDIR)$$d; new=; \
		while [ -n "$$p" ] && [ ! -d "$$p" ]; do new="$$p $$new"; p=$${p%/*}; done; \
		list="$$list $$new"; \
	done; \
	install -d $(addprefix $(DESTDIR),$(INSTALL_DIRS)); \
	if [ -n "$(DIRS_MANIFEST)" ]; then \
		{ [ ! -f $(DESTDIR)$(DIRS_MANIFEST) ] || cat $(DESTDIR)$(DIRS_MANIFEST); \
		  for p in $$list; do echo "$${p#$(DESTDIR)}"; done; } | sort -u >$(DESTDIR)$(DIRS_MANIFEST).new; \
		mv $(DESTDIR)$(DIRS_MANIFEST).new $(DESTDIR)$(DIRS_MANIFEST); \
	fi
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	for m in $(MANPAGES); do \
		s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done
	for p in $(PROGS); do \
		install -m 644 completions/shadow-tools.bash $(DESTDIR)$(BASHCOMPDIR)/$$p || exit 1; \
		install -m 644 completions/_$$p $(DESTDIR)$(ZSHCOMPDIR)/_$$p || exit 1; \
		install -m 644 completions/shadow-tools.fish $(DESTDIR)$(FISHCOMPDIR)/$$p.fish || exit 1; \
	done
	install -m 644 $(BATS_LIB) $(DESTDIR)$(DATADIR)/bats/
	for u in $(UNITS); do \
		sed 's|@BINDIR@|$(BINDIR)|g' contrib/systemd/$$u.in >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
		chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done

uninstall:
	for p in $(PROGS); do \
		rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(BASHCOMPDIR)/$$p \
			$(DESTDIR)$(ZSHCOMPDIR)/_$$p $(DESTDIR)$(FISHCOMPDIR)/$$p.fish; \
	done
	for m in $(MANPAGES); do \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; \
	done
	for f in $(notdir $(BATS_LIB)); do rm -f $(DESTDIR)$(DATADIR)/bats/$$f; done
	for u in $(UNITS); do rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; done
	@if [ -n "$(DIRS_MANIFEST)" ] && [ -f $(DESTDIR)$(DIRS_MANIFEST) ]; then \
		dirs=$$(sort -r $(DESTDIR)$(DIRS_MANIFEST)); \
		rm -f $(DESTDIR)$(DIRS_MANIFEST); \
		for d in $$dirs; do rmdir --ignore-fail-on-non-empty $(DESTDIR)$$d || exit 1; done; \
	fi

# The Debian packages shadow-tools and shadowd, in build/deb (see debian/).
# DEB_BUILD_OPTIONS=nocheck skips the unit tests of the package build.
DEB_VERSION = $(shell dpkg-parsechangelog -S Version 2>/dev/null)
DEB_FILES = shadow-tools_$(DEB_VERSION)_*.deb shadowd_$(DEB_VERSION)_*.deb \
	shadow-tools-dbgsym_$(DEB_VERSION)_*.deb shadowd-dbgsym_$(DEB_VERSION)_*.deb \
	shadow-tools_$(DEB_VERSION)_*.buildinfo shadow-tools_$(DEB_VERSION)_*.changes
deb:
	dpkg-buildpackage -us -uc -b -j2
	debian/rules clean
	rm -rf build/deb
	mkdir -p build/deb
	cd .. && for f in $(DEB_FILES); do [ ! -f "$$f" ] || mv "$$f" $(CURDIR)/build/deb/ || exit 1; done

clean:
	rm -rf build

.PHONY: soak fuzz all deps deps-run deps-test deb units check lint-bats mutate check-valgrind bench-bins bench demo lint-man install uninstall clean

# Objects are kept though only a chain of rules names some of them.
.SECONDARY: $(ALL_OBJ)

-include $(ALL_OBJ:.o=.d)
