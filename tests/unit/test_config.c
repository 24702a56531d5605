/* test_config.c - the option layer: argv, environment, config file. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

static char tmpdir[256];
static char errbuf[4096];
static struct shadow_config cfg;

static const char *env_names[] = {
	"SHADOW_ENDPOINT", "SHADOW_PORT", "SHADOW_CA", "SHADOW_CERT",
	"SHADOW_KEY", "SHADOW_CERTS", "SHADOW_USERNAME", "SHADOW_PASSWORD",
	"SHADOW_CLIENT_ID", "SHADOW_PROFILE", "SHADOW_CONFIG", "SHADOW_THING",
	"SHADOW_NAME", "XDG_STATE_HOME",
};

static void
env_clean(void)
{
	size_t i;

	for (i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
}

/* Runs config_load with stderr captured in errbuf; argv ends with NULL. */
static enum config_status
load(enum prog prog, ...)
{
	char *argv[64], path[512];
	enum config_status st;
	struct check_capture cap;
	va_list ap;
	int argc = 0;

	argv[argc++] = "prog";
	va_start(ap, prog);
	while (argc < 63 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	snprintf(path, sizeof(path), "%s/stderr", tmpdir);
	check_capture_begin(&cap, path);
	st = config_load(&cfg, prog, argc, argv);
	check_capture_end(&cap, errbuf, sizeof(errbuf));
	return st;
}

static void
unload(void)
{
	config_free(&cfg);
}

static bool
err_has(const char *s)
{
	if (strstr(errbuf, s) != NULL)
		return true;
	printf("#   stderr was: %s", errbuf[0] ? errbuf : "(empty)\n");
	printf("#   expected to contain: %s\n", s);
	return false;
}

static const char *
write_file(const char *name, const char *text)
{
	static char path[8][512];
	static int next;
	char *p = path[next++ % 8];
	FILE *fp;

	snprintf(p, 512, "%s/%s", tmpdir, name);
	if ((fp = fopen(p, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) != 0) {
		perror(p);
		exit(99);
	}
	return p;
}

static void
test_defaults(void)
{
	CHECK(load(PROG_SHADOWCTL, NULL) == CONFIG_OK, "no options loads");
	CHECK_STR(cfg.endpoint, "localhost", "endpoint defaults to localhost");
	CHECK(cfg.port == 1883, "port defaults to 1883 without TLS");
	CHECK(cfg.tls == 0, "TLS is off without CA, cert or key");
	CHECK(cfg.alpn == NULL, "no ALPN without TLS");
	CHECK(cfg.keepalive == 30, "keepalive defaults to 30");
	CHECK(cfg.mqtt_version == CONFIG_MQTT_311, "MQTT 3.1.1 by default");
	CHECK(cfg.timeout == 10 && !cfg.timeout_set, "timeout defaults to 10");
	CHECK_STR(cfg.profile, "default", "profile defaults to 'default'");
	CHECK(cfg.config_file == NULL, "no config file read when none exists");
	CHECK(cfg.verbosity == 0 && cfg.nargs == 0, "quiet defaults, no args");
	CHECK(errbuf[0] == '\0', "nothing printed on stderr");
	unload();

	CHECK(load(PROG_SHADOWDEV, NULL) == CONFIG_OK, "shadowdev loads");
	CHECK(cfg.interval == 5, "interval defaults to 5");
	CHECK_STR(cfg.telemetry_prefix, "data", "telemetry prefix 'data'");
	CHECK(cfg.connect_rate == 200, "connect rate defaults to 200");
	CHECK(cfg.nstate == 0, "no --state: shadowdev picks MOTOR=OFF itself");
	unload();

	setenv("XDG_STATE_HOME", "/var/tmp/st", 1);
	CHECK(load(PROG_SHADOWD, NULL) == CONFIG_OK, "shadowd loads");
	CHECK(cfg.max_doc_size == 8192, "max doc size defaults to 8192");
	CHECK_STR(cfg.data_dir, "/var/tmp/st/shadowd",
	    "data dir follows XDG_STATE_HOME");
	unload();
	unsetenv("XDG_STATE_HOME");
	CHECK(load(PROG_SHADOWD, NULL) == CONFIG_OK, "shadowd loads");
	CHECK(strstr(cfg.data_dir, "/.local/state/shadowd") != NULL,
	    "data dir falls back to ~/.local/state/shadowd");
	unload();
}

static void
test_argv_forms(void)
{
	CHECK(load(PROG_SHADOWCTL, "get", "-p1884", "--endpoint=h1", "-t",
	    "lamp", "state.x", "--timeout", "2.5", "-vv", NULL) == CONFIG_OK,
	    "mixed option forms load");
	CHECK(cfg.port == 1884, "-p1884 sets the port");
	CHECK_STR(cfg.endpoint, "h1", "--endpoint=h1 sets the endpoint");
	CHECK_STR(cfg.thing, "lamp", "-t lamp sets the thing");
	CHECK(cfg.timeout == 2.5 && cfg.timeout_set, "--timeout 2.5 is kept");
	CHECK(cfg.verbosity == 2, "-vv gives verbosity 2");
	CHECK(cfg.nargs == 2 && strcmp(cfg.args[0], "get") == 0 &&
	    strcmp(cfg.args[1], "state.x") == 0,
	    "options may stand between and after positional arguments");
	unload();

	CHECK(load(PROG_SHADOWCTL, "-cr", "get", NULL) == CONFIG_OK &&
	    cfg.compact && cfg.raw, "bundled -cr sets compact and raw");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-vp", "1999", NULL) == CONFIG_OK &&
	    cfg.verbosity == 1 && cfg.port == 1999,
	    "a bundle may end with an option taking the next argument");
	unload();
	CHECK(load(PROG_SHADOWCTL, "set", "--", "-x=1", "--port", NULL) ==
	    CONFIG_OK && cfg.nargs == 3 && strcmp(cfg.args[1], "-x=1") == 0 &&
	    strcmp(cfg.args[2], "--port") == 0 && cfg.port == 1883,
	    "-- ends options");
	unload();
	CHECK(load(PROG_SHADOWCTL, "update", "-", NULL) == CONFIG_OK &&
	    cfg.nargs == 2 && strcmp(cfg.args[1], "-") == 0,
	    "a lone - is a positional argument");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-v", "-q", NULL) == CONFIG_OK &&
	    cfg.verbosity == -1, "-q after -v makes it quiet");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--ca", "x", "--no-tls", NULL) ==
	    CONFIG_OK && cfg.tls == 0 && cfg.port == 1883,
	    "--no-tls turns TLS off even with a CA");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--tls", NULL) == CONFIG_OK &&
	    cfg.tls == 1 && cfg.port == 8883, "--tls forces TLS on port 8883");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--insecure", "--no-insecure", NULL) ==
	    CONFIG_OK && !cfg.insecure, "--no-X undoes a flag");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--mqtt", "5", "--expect-version", "7",
	    "-f", "doc.json", "--count", "3", NULL) == CONFIG_OK &&
	    cfg.mqtt_version == CONFIG_MQTT_5 && cfg.has_expect_version &&
	    cfg.expect_version == 7 && strcmp(cfg.file, "doc.json") == 0 &&
	    cfg.count == 3, "shadowctl command options are parsed");
	unload();
	CHECK(load(PROG_SHADOWDEV, "--state", "MOTOR=ON", "--state",
	    "speed:=3", "--interval", "0.5", "--json", "--duration", "0",
	    "run", NULL) == CONFIG_OK && cfg.nstate == 2 &&
	    strcmp(cfg.state[1], "speed:=3") == 0 && cfg.interval == 0.5 &&
	    cfg.json, "--state repeats; --interval takes fractions");
	unload();
	CHECK(load(PROG_SHADOWD, "--rate-limit", "0", "--max-doc-size", "100",
	    "--forget-deleted", "60", "--data-dir", "/d", NULL) == CONFIG_OK &&
	    cfg.max_doc_size == 100 && cfg.forget_deleted == 60 &&
	    strcmp(cfg.data_dir, "/d") == 0, "shadowd options are parsed");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-h", "--bogus", NULL) == CONFIG_HELP,
	    "-h asks for help");
	unload();
	CHECK(load(PROG_SHADOWD, "--version", NULL) == CONFIG_VERSION,
	    "--version asks for the version");
	unload();
}

static void
test_argv_errors(void)
{
	CHECK(load(PROG_SHADOWCTL, "--prot", "1", NULL) == CONFIG_USAGE &&
	    err_has("shadowctl: unknown option '--prot' (did you mean "
	    "'--port'?)"), "a mistyped option suggests the right one");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-x", NULL) == CONFIG_USAGE &&
	    err_has("unknown option '-x'"), "an unknown short option fails");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-p", "abc", NULL) == CONFIG_USAGE &&
	    err_has("shadowctl: --port: 'abc' is not a port number "
	    "(1-65535)"), "a bad port is named");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--port=70000", NULL) == CONFIG_USAGE &&
	    err_has("'70000' is not a port number"), "port above 65535 fails");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--timeout", "0", NULL) == CONFIG_USAGE &&
	    err_has("--timeout: '0' is not a number of seconds > 0"),
	    "a zero timeout fails");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--expect-version", "-1", NULL) ==
	    CONFIG_USAGE && err_has("--expect-version: '-1'"),
	    "a negative expected version fails");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-k", "2", NULL) == CONFIG_USAGE &&
	    err_has("--keepalive: '2'"), "keepalive under 5 fails");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--mqtt", "3", NULL) == CONFIG_USAGE &&
	    err_has("'3' is not an MQTT version (3.1.1 or 5)"),
	    "an unknown MQTT version fails");
	unload();
	CHECK(load(PROG_SHADOWDEV, "--interval", "fast", NULL) ==
	    CONFIG_USAGE && err_has("shadowdev: --interval: 'fast'"),
	    "a non-number interval fails");
	unload();
	CHECK(load(PROG_SHADOWDEV, "--count", "0", NULL) == CONFIG_USAGE &&
	    err_has("--count: '0'"), "a fleet of 0 devices fails");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--port", NULL) == CONFIG_USAGE &&
	    err_has("--port needs a value"), "a missing value is named");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--tls=yes", NULL) == CONFIG_USAGE &&
	    err_has("--tls takes no value"), "a flag with =value fails");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--no-port", NULL) == CONFIG_USAGE,
	    "--no-X only exists for flags");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--data-dir", "/x", NULL) == CONFIG_USAGE &&
	    err_has("unknown option '--data-dir'"),
	    "an option of another program is unknown");
	unload();
	CHECK(load(PROG_SHADOWD, "-t", "lamp", NULL) == CONFIG_USAGE,
	    "shadowd takes no thing");
	unload();
	CHECK(load(PROG_SHADOWD, "--interval", "1", NULL) == CONFIG_USAGE &&
	    err_has("shadowd: unknown option"), "the message names shadowd");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-t", "my lamp", NULL) == CONFIG_USAGE &&
	    err_has("--thing: 'my lamp' is not a valid thing name (1-128 "
	    "bytes of A-Z a-z 0-9 : _ -)"), "a thing name with a space fails");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-n", "a/b", NULL) == CONFIG_USAGE &&
	    err_has("--shadow: 'a/b' is not a valid shadow name"),
	    "a shadow name with a slash fails");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-t", "a:b_c-D9", "-n", "$package", NULL) ==
	    CONFIG_OK, "thing and shadow names with : _ - $ are fine");
	unload();
}

static void
test_env(void)
{
	setenv("SHADOW_PORT", "2000", 1);
	setenv("SHADOW_ENDPOINT", "envhost", 1);
	setenv("SHADOW_THING", "envthing", 1);
	setenv("SHADOW_NAME", "envshadow", 1);
	setenv("SHADOW_PASSWORD", "envpw", 1);
	setenv("SHADOW_USERNAME", "envuser", 1);
	CHECK(load(PROG_SHADOWCTL, "-p", "3000", NULL) == CONFIG_OK,
	    "environment loads");
	CHECK(cfg.port == 3000, "the command line beats the environment");
	CHECK_STR(cfg.endpoint, "envhost", "SHADOW_ENDPOINT sets the endpoint");
	CHECK_STR(cfg.thing, "envthing", "SHADOW_THING sets the thing");
	CHECK_STR(cfg.shadow, "envshadow", "SHADOW_NAME sets the shadow");
	CHECK_STR(cfg.password, "envpw", "SHADOW_PASSWORD sets the password");
	unload();
	setenv("SHADOW_PORT", "x", 1);
	CHECK(load(PROG_SHADOWCTL, NULL) == CONFIG_USAGE &&
	    err_has("SHADOW_PORT: 'x' is not a port number"),
	    "a bad environment value names the variable");
	unload();
	setenv("SHADOW_THING", "bad thing", 1);
	CHECK(load(PROG_SHADOWCTL, "-p", "1", "-t", "good", NULL) ==
	    CONFIG_OK, "a bad environment value hidden by a flag is ignored");
	unload();
	env_clean();
}

static void
test_file(void)
{
	const char *path, *global;
	char xdg[512];

	path = write_file("cfg1",
	    "# comment\n"
	    "endpoint = global.example   # trailing comment\n"
	    "port = 1111\n"
	    "\n"
	    "[default]\n"
	    "thing = defthing\n"
	    "[prod]\n"
	    "  endpoint = \"prod.example\"\n"
	    "username = 'op # not a comment'\n"
	    "insecure = yes\n"
	    "state = A=1\n"
	    "data-dir = /ignored/for/shadowctl\n"
	    "[other]\n"
	    "port = 2222\n");
	CHECK(load(PROG_SHADOWCTL, "--config", path, NULL) == CONFIG_OK,
	    "a config file loads");
	CHECK_STR(cfg.endpoint, "global.example",
	    "lines before any section apply to every profile");
	CHECK(cfg.port == 1111, "a global port applies");
	CHECK_STR(cfg.thing, "defthing", "[default] is used without --profile");
	CHECK_STR(cfg.config_file, path, "config_file names the file read");
	unload();

	CHECK(load(PROG_SHADOWCTL, "--config", path, "--profile", "prod",
	    NULL) == CONFIG_OK, "--profile prod loads");
	CHECK_STR(cfg.endpoint, "prod.example",
	    "the profile overrides the global lines; quotes are stripped");
	CHECK_STR(cfg.username, "op # not a comment",
	    "a # inside quotes is part of the value");
	CHECK(cfg.insecure, "boolean keys take yes");
	CHECK(cfg.thing == NULL, "other sections are not applied");
	unload();

	setenv("SHADOW_CONFIG", path, 1);
	setenv("SHADOW_PROFILE", "prod", 1);
	setenv("SHADOW_ENDPOINT", "envhost", 1);
	CHECK(load(PROG_SHADOWCTL, NULL) == CONFIG_OK &&
	    strcmp(cfg.endpoint, "envhost") == 0 && cfg.insecure,
	    "SHADOW_CONFIG and SHADOW_PROFILE pick the file and profile; "
	    "the environment beats the file");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-e", "cli", "--profile", "other", NULL) ==
	    CONFIG_OK && strcmp(cfg.endpoint, "cli") == 0 && cfg.port == 2222 &&
	    !cfg.insecure, "flags beat environment; --profile beats "
	    "SHADOW_PROFILE");
	unload();
	env_clean();

	snprintf(xdg, sizeof(xdg), "%s/xdg", tmpdir);
	mkdir(xdg, 0700);
	snprintf(xdg, sizeof(xdg), "%s/xdg/shadow", tmpdir);
	mkdir(xdg, 0700);
	global = write_file("xdg/shadow/config", "port = 4444\n");
	snprintf(xdg, sizeof(xdg), "%s/xdg", tmpdir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	CHECK(load(PROG_SHADOWCTL, NULL) == CONFIG_OK && cfg.port == 4444 &&
	    cfg.config_file != NULL && strcmp(cfg.config_file, global) == 0,
	    "$XDG_CONFIG_HOME/shadow/config is read by default");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--profile", "nope", NULL) == CONFIG_USAGE &&
	    err_has(global) && err_has("nope"),
	    "a missing profile names the file and the profile");
	unload();
	snprintf(xdg, sizeof(xdg), "%s/empty-xdg", tmpdir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	CHECK(load(PROG_SHADOWCTL, NULL) == CONFIG_OK && cfg.port == 1883,
	    "a missing default config file is fine");
	unload();

	path = write_file("cfg3", "timeout = 3\ncompact = true\n");
	CHECK(load(PROG_SHADOWCTL, "--config", path, NULL) == CONFIG_OK &&
	    cfg.timeout == 3 && !cfg.timeout_set && cfg.compact,
	    "a timeout in the file sets request timeouts, not a watch length");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--config", path, "--timeout", "4", NULL) ==
	    CONFIG_OK && cfg.timeout == 4 && cfg.timeout_set,
	    "--timeout on the command line counts as given");
	unload();

	path = write_file("cfg2", "[lab]\nstate = A=1\nstate = B=2\n"
	    "interval = 0.25\njson = on\nverbose = true\n");
	CHECK(load(PROG_SHADOWDEV, "--config", path, "--profile", "lab",
	    NULL) == CONFIG_OK && cfg.nstate == 2 && cfg.interval == 0.25 &&
	    cfg.json && cfg.verbosity == 1,
	    "list keys repeat in a file; booleans take on/true");
	unload();
	CHECK(load(PROG_SHADOWDEV, "--config", path, "--profile", "lab",
	    "--state", "C=3", NULL) == CONFIG_OK && cfg.nstate == 1 &&
	    strcmp(cfg.state[0], "C=3") == 0,
	    "--state on the command line replaces the file's list");
	unload();
}

static void
test_file_errors(void)
{
	const char *path;

	CHECK(load(PROG_SHADOWCTL, "--config", "/nonexistent/shadow.conf",
	    NULL) == CONFIG_USAGE && err_has("/nonexistent/shadow.conf") &&
	    err_has("No such file"), "a missing --config file is an error");
	unload();
	setenv("SHADOW_CONFIG", "/nonexistent/env.conf", 1);
	CHECK(load(PROG_SHADOWCTL, NULL) == CONFIG_USAGE &&
	    err_has("/nonexistent/env.conf"),
	    "a missing SHADOW_CONFIG file is an error");
	unload();
	unsetenv("SHADOW_CONFIG");

	path = write_file("bad1", "# c\n\n[default]\nport = 1\n\n\nprot = 2\n");
	CHECK(load(PROG_SHADOWCTL, "--config", path, NULL) == CONFIG_USAGE &&
	    err_has(":7: unknown key 'prot' (did you mean 'port'?)") &&
	    err_has("shadowctl: ") && err_has(path),
	    "an unknown key names file and line and suggests a key");
	unload();
	path = write_file("bad2", "port = 1\nport = abc\n");
	CHECK(load(PROG_SHADOWCTL, "--config", path, NULL) == CONFIG_USAGE &&
	    err_has(":2: port: 'abc' is not a port number"),
	    "a bad value names file and line");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--config", path, "-p", "5", NULL) ==
	    CONFIG_USAGE, "a bad value is an error even when a flag wins");
	unload();
	path = write_file("bad3", "[x]\nprofile = y\n");
	CHECK(load(PROG_SHADOWCTL, "--config", path, NULL) == CONFIG_USAGE &&
	    err_has(":2: key 'profile' is not allowed in a config file"),
	    "profile is not a config file key");
	unload();
	path = write_file("bad3b", "[x]\nexpect-version = 3\n");
	CHECK(load(PROG_SHADOWCTL, "--config", path, NULL) == CONFIG_USAGE &&
	    err_has(":2: key 'expect-version' is not allowed in a config file"),
	    "a per-request option is not a config file key");
	unload();
	path = write_file("bad4", "insecure = maybe\n");
	CHECK(load(PROG_SHADOWCTL, "--config", path, NULL) == CONFIG_USAGE &&
	    err_has(":1: insecure: 'maybe' is not a boolean"),
	    "a bad boolean names file and line");
	unload();
	path = write_file("bad5", "just words\n");
	CHECK(load(PROG_SHADOWCTL, "--config", path, NULL) == CONFIG_USAGE &&
	    err_has(":1: expected 'key = value'"), "a line without = fails");
	unload();
	path = write_file("bad6", "[open\n");
	CHECK(load(PROG_SHADOWCTL, "--config", path, NULL) == CONFIG_USAGE &&
	    err_has(":1: bad section header"), "an unclosed section fails");
	unload();
	path = write_file("bad7", "thing = \"bad thing\"\n");
	CHECK(load(PROG_SHADOWCTL, "--config", path, NULL) == CONFIG_USAGE &&
	    err_has(":1: thing: 'bad thing' is not a valid thing name"),
	    "a bad thing name in a file names file and line");
	unload();
	path = write_file("bad8", "[default]\nport = 1\n");
	CHECK(load(PROG_SHADOWCTL, "--config", path, "--profile", "staging",
	    NULL) == CONFIG_USAGE && err_has(path) && err_has("staging"),
	    "an explicit profile missing from the file is an error");
	unload();
}

static void
test_derived(void)
{
	const char *pw;

	CHECK(load(PROG_SHADOWCTL, "--certs", "/c/", "--cert", "/x/mine.pem",
	    NULL) == CONFIG_OK, "--certs loads");
	CHECK_STR(cfg.ca, "/c/AmazonRootCA1.pem", "--certs fills the CA");
	CHECK_STR(cfg.cert, "/x/mine.pem", "an explicit --cert wins");
	CHECK_STR(cfg.key, "/c/privateKey.pem", "--certs fills the key");
	CHECK(cfg.tls == 1 && cfg.port == 8883,
	    "TLS goes on with certificates, on port 8883");
	CHECK(cfg.alpn == NULL, "no ALPN on 8883");
	unload();
	setenv("SHADOW_CERTS", "/envc", 1);
	CHECK(load(PROG_SHADOWDEV, NULL) == CONFIG_OK &&
	    strcmp(cfg.cert, "/envc/certificate.pem") == 0,
	    "SHADOW_CERTS names the folder");
	unload();
	unsetenv("SHADOW_CERTS");
	CHECK(load(PROG_SHADOWCTL, "--cert", "c", "--key", "k", "-p", "443",
	    NULL) == CONFIG_OK, "port 443 with a certificate loads");
	CHECK_STR(cfg.alpn, "x-amzn-mqtt-ca",
	    "ALPN on 443 with a certificate is x-amzn-mqtt-ca");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--tls", "-u", "me", "-p", "443", NULL) ==
	    CONFIG_OK, "port 443 with a username loads");
	CHECK_STR(cfg.alpn, "mqtt", "ALPN on 443 with a username is mqtt");
	unload();
	CHECK(load(PROG_SHADOWCTL, "--ca", "c", "-p", "443", "--alpn", "x",
	    NULL) == CONFIG_OK, "explicit ALPN loads");
	CHECK_STR(cfg.alpn, "x", "an explicit --alpn wins");
	unload();

	pw = write_file("pw", "s3cret\nsecond line\n");
	CHECK(load(PROG_SHADOWCTL, "-u", "me", "--password-file", pw, NULL) ==
	    CONFIG_OK, "--password-file loads");
	CHECK_STR(cfg.password, "s3cret",
	    "the password is the file's first line without the newline");
	unload();
	setenv("SHADOW_PASSWORD", "fromenv", 1);
	CHECK(load(PROG_SHADOWCTL, "-u", "me", "--password-file", pw, NULL) ==
	    CONFIG_OK && strcmp(cfg.password, "s3cret") == 0,
	    "--password-file beats SHADOW_PASSWORD");
	unload();
	unsetenv("SHADOW_PASSWORD");
	CHECK(load(PROG_SHADOWCTL, "--password-file", "/nonexistent/pw",
	    NULL) == CONFIG_USAGE && err_has("/nonexistent/pw"),
	    "a missing password file is named");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-P", "x", NULL) == CONFIG_USAGE &&
	    err_has("needs a user name"),
	    "a password without a user name is a usage error that says so");
	unload();
	CHECK(load(PROG_SHADOWCTL, "-u", "me", "--password-file", "/dev/zero",
	    NULL) == CONFIG_USAGE && err_has("longer than 65535"),
	    "an endless password file is refused, not read until memory runs out");
	unload();
}

int
main(void)
{
	char home[512];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	env_clean();
	snprintf(home, sizeof(home), "%s/home", tmpdir);
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");

	test_defaults();
	test_argv_forms();
	test_argv_errors();
	test_env();
	test_file();
	test_file_errors();
	test_derived();

	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	}
	CHECK_DONE();
}
