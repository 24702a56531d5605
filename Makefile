# shadow-tools: one Makefile for build, check, bench, install and demo.
#   make                 build the three programs into $(BUILD)/bin
#   make check           install missing packages, build, run all tests
#   make bench           benchmarks (tests/bench)
#   make soak            the whole system under load and faults, SOAK_MINUTES=10 (tests/soak)
#   make install         PREFIX=/usr/local DESTDIR=
#   make SANITIZE=1 ...  AddressSanitizer + UndefinedBehaviorSanitizer

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d

CC = gcc
PKGS = libmosquitto json-c openssl sqlite3 inih
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Libraries of one program only: <program>_CFLAGS and <program>_LIBS.
shadowd_CFLAGS := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
shadowd_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null)

ifeq ($(SANITIZE),1)
BUILD ?= build/san
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT ?= -O1 -g
else
BUILD ?= build
SAN_FLAGS =
OPT ?= -O2 -g
endif

CFLAGS ?=
CFLAGS += -std=gnu11 $(OPT) -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -D_GNU_SOURCE -Icommon $(PKG_CFLAGS) $(SAN_FLAGS) -MMD -MP
LDFLAGS += $(SAN_FLAGS)
LDLIBS += $(PKG_LIBS) -lm -ldl

PROGS = shadowctl shadowdev shadowd
COMMON_SRC = $(wildcard common/*.c)
COMMON_OBJ = $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIBCOMMON = $(BUILD)/libcommon.a
BINS = $(PROGS:%=$(BUILD)/bin/%)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC = $(wildcard tests/bench/*.c)
BENCH_BINS = $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
MANPAGES = $(wildcard man/*.[1-8])

all: $(BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

define PROG_RULE
$(BUILD)/cmd/$(1)/%.o: CFLAGS += $$($(1)_CFLAGS)
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/$(1)/*.c)) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) $$($(1)_LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call PROG_RULE,$(p))))

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@tests/deps.sh

units: $(UNIT_BINS)

check: deps
	$(MAKE) all units bench-bins
	BUILD=$(BUILD) tests/run

check-valgrind: deps
	$(MAKE) all units
	BUILD=$(BUILD) VALGRIND=1 tests/run

bench-bins: $(BENCH_BINS)

bench: deps
	$(MAKE) all bench-bins
	BUILD=$(BUILD) tests/bench/run

demo: deps
	$(MAKE) all
	BUILD=$(BUILD) tests/demo/run

SOAK_MINUTES ?= 10
soak: deps
	$(MAKE) all bench-bins
	BUILD=$(BUILD) SOAK_MINUTES=$(SOAK_MINUTES) tests/soak/run

FUZZ_SECONDS ?= 30
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run

lint-man:
	mandoc -Tlint -Wwarning $(MANPAGES)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
		$(DESTDIR)$(FISHCOMPDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	for m in $(MANPAGES); do \
		s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done
	for p in $(PROGS); do \
		install -m 644 completions/shadow-tools.bash $(DESTDIR)$(BASHCOMPDIR)/$$p || exit 1; \
		install -m 644 completions/_$$p $(DESTDIR)$(ZSHCOMPDIR)/_$$p || exit 1; \
		install -m 644 completions/shadow-tools.fish $(DESTDIR)$(FISHCOMPDIR)/$$p.fish || exit 1; \
	done

uninstall:
	for p in $(PROGS); do \
		rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(BASHCOMPDIR)/$$p \
			$(DESTDIR)$(ZSHCOMPDIR)/_$$p $(DESTDIR)$(FISHCOMPDIR)/$$p.fish; \
	done
	for m in $(MANPAGES); do \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; \
	done

clean:
	rm -rf build

.PHONY: soak fuzz all deps units check check-valgrind bench-bins bench demo lint-man install uninstall clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
