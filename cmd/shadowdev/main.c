/*
 * shadowdev - a simulated device that keeps its own state, obeys the deltas
 * of its shadow, reports back and publishes telemetry (shadowdev(1)).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "config.h"
#include "conn.h"
#include "device.h"
#include "events.h"
#include "fleet.h"
#include "log.h"
#include "tls.h"
#include "topic.h"

#define EXIT_USAGE 2
#define CONNECT_TIMEOUT_MS 5000
#define LOOP_SLICE_MS 200

static volatile sig_atomic_t stop_signal;

static void
usage(FILE *out)
{
	fputs(
"usage: shadowdev [OPTIONS] run\n"
"\n"
"A simulated device: owns the keys given with --state, applies the deltas\n"
"of its shadow, reports back, and publishes telemetry.\n"
"\n"
"Device options:\n"
"  -t, --thing NAME            thing name (required; also SHADOW_THING)\n"
"  -n, --shadow NAME           named shadow (default: the classic shadow)\n"
"      --state KEY=VALUE       an owned key and its initial value; KEY:=JSON\n"
"                              for any JSON; dots nest (default MOTOR=OFF)\n"
"      --interval SEC          telemetry period (default 5, fractions ok)\n"
"      --telemetry-prefix P    telemetry topics P/temperature, P/vibration\n"
"                              (default data)\n"
"      --max-desired-age SEC   do not apply desired values older than SEC;\n"
"                              remove them from desired instead\n"
"      --duration SEC          stop after SEC (default: run until signalled)\n"
"      --json                  log events as JSON Lines\n"
"\n"
"Driving hardware (see shadowdev(1), \"Driving real hardware\"):\n"
"      --exec CMD              apply each delta by running CMD (sh -c); the\n"
"                              keys to change come as JSON on its stdin\n"
"      --exec-timeout SEC      stop a command after SEC (default 30)\n"
"      --telemetry-exec CMD    telemetry: publish each member of the JSON\n"
"                              object CMD prints on PREFIX/<member>\n"
"      --state-dir DIR         keep the device's state in DIR/<thing>.json\n"
"      --exec-jobs N           fleet: commands running at once (default 4)\n"
"\n"
"Fleet options (many devices, one process, one connection each):\n"
"      --count N               N devices, things NAME-1 ... NAME-N (-t NAME)\n"
"      --things-from FILE      one thing name a line (# comments)\n"
"      --connect-rate PER_SEC  connects per second (default 200)\n"
"                              the log shows a fleet summary every 5 s;\n"
"                              -v adds every device's own lines\n"
"\n"
"Connection options:\n"
"  -e, --endpoint HOST         broker host (default localhost)\n"
"  -p, --port N                broker port (8883 with TLS, else 1883)\n"
"      --ca FILE, --cert FILE, --key FILE, --certs DIR\n"
"                              TLS files (--certs: AWS download folder)\n"
"      --tls, --no-tls         force TLS on or off\n"
"      --alpn PROTO            TLS ALPN protocol\n"
"      --insecure              do not check the broker's host name\n"
"  -u, --username U            user name\n"
"  -P, --password P            password\n"
"      --password-file FILE    read the password from FILE\n"
"  -i, --client-id ID          MQTT client id (default: the thing name)\n"
"  -k, --keepalive SEC         MQTT keep-alive (default 30)\n"
"      --mqtt 3.1.1|5          MQTT protocol version (default 3.1.1)\n"
"      --profile NAME          config file section (default default)\n"
"      --config FILE           config file\n"
"  -v, --verbose / -q, --quiet more / less on stderr\n"
"  -h, --help                  this help\n"
"      --version               print the version\n", out);
}

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static int
signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0) {
		log_error("can't install signal handlers: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static bool
seconds_valid(double v, bool zero_ok)
{
	return isfinite(v) && (v > 0 || (zero_ok && v == 0));
}

static int
check_command(const struct shadow_config *cfg)
{
	if (cfg->nargs == 0) {
		log_error("missing command: run (see shadowdev --help)");
		return -1;
	}
	if (strcmp(cfg->args[0], "run") != 0) {
		log_error("unknown command '%s': the command is run",
		    cfg->args[0]);
		return -1;
	}
	if (cfg->nargs > 1) {
		log_error("run: unexpected argument '%s'", cfg->args[1]);
		return -1;
	}
	return 0;
}

static bool
is_fleet(const struct shadow_config *cfg)
{
	return cfg->count > 0 || cfg->things_from != NULL;
}

static int
check_fleet(const struct shadow_config *cfg)
{
	if (!is_fleet(cfg))
		return 0;
	if (cfg->count > 0 && cfg->things_from != NULL) {
		log_error("--count and --things-from: give one of them (the "
		    "file's names, or NAME-1 ... NAME-N from -t NAME)");
		return -1;
	}
	if (cfg->client_id != NULL) {
		log_error("--client-id %s: a fleet's devices use their thing "
		    "names as client ids", cfg->client_id);
		return -1;
	}
	if (!(cfg->connect_rate > 0) || !isfinite(cfg->connect_rate)) {
		log_error("--connect-rate %g: give connects per second above 0",
		    cfg->connect_rate);
		return -1;
	}
	return 0;
}

static int
check_config(const struct shadow_config *cfg)
{
	char err[1024];

	if (check_command(cfg) != 0)
		return -1;
	if (cfg->things_from == NULL && (cfg->thing == NULL ||
	    cfg->thing[0] == '\0')) {
		log_error("no thing name: give -t NAME or set SHADOW_THING");
		return -1;
	}
	if (cfg->thing != NULL &&
	    !shadow_thing_name_valid(cfg->thing, strlen(cfg->thing))) {
		log_error("thing name '%s': use 1-%d characters of A-Z a-z 0-9 "
		    ": _ -", cfg->thing, SHADOW_THING_MAX);
		return -1;
	}
	if (cfg->shadow != NULL &&
	    !shadow_name_valid(cfg->shadow, strlen(cfg->shadow))) {
		log_error("shadow name '%s': use 1-%d characters of A-Z a-z 0-9 "
		    ": _ - $", cfg->shadow, SHADOW_NAME_MAX);
		return -1;
	}
	if (!seconds_valid(cfg->interval, false)) {
		log_error("--interval %g: give a number of seconds above 0",
		    cfg->interval);
		return -1;
	}
	if (!seconds_valid(cfg->max_desired_age, true) ||
	    !seconds_valid(cfg->duration, true)) {
		log_error("--max-desired-age and --duration take seconds, 0 or "
		    "more");
		return -1;
	}
	if ((cfg->exec != NULL && cfg->exec[0] == '\0') ||
	    (cfg->telemetry_exec != NULL && cfg->telemetry_exec[0] == '\0')) {
		log_error("--exec and --telemetry-exec take a shell command, "
		    "not an empty string");
		return -1;
	}
	if (cfg->state_dir != NULL && cfg->state_dir[0] == '\0') {
		log_error("--state-dir: give a directory");
		return -1;
	}
	if (check_fleet(cfg) != 0)
		return -1;
	if (tls_check_files(cfg, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

static bool
should_stop(long long deadline)
{
	return stop_signal != 0 || (deadline > 0 && conn_now_ms() >= deadline);
}

static void
nap_until(long long when, long long deadline)
{
	struct timespec ts;
	long long ms;

	while (!should_stop(deadline) && (ms = when - conn_now_ms()) > 0) {
		if (ms > LOOP_SLICE_MS)
			ms = LOOP_SLICE_MS;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
}

/*
 * The first connection: an unreachable broker is retried, not fatal.
 * 1 connected, 0 stopped before that, -1 configuration error.
 */
static int
device_first_connect(struct device *d, long long deadline)
{
	char err[1024];
	long long wait;
	bool fatal;

	while (!should_stop(deadline)) {
		if (device_connect(d, CONNECT_TIMEOUT_MS, &fatal, err,
		    sizeof(err)) == 0)
			return 1;
		if (fatal) {
			log_error("%s", err);
			return -1;
		}
		wait = conn_backoff_ms(d->conn);
		log_warn("%s; retrying in %.1f s", err, wait / 1000.0);
		nap_until(conn_now_ms() + wait, deadline);
	}
	return 0;
}

static int
device_loop(struct device *d, long long deadline)
{
	long long slice;

	while (!should_stop(deadline)) {
		slice = LOOP_SLICE_MS;
		if (deadline > 0 && deadline - conn_now_ms() < slice)
			slice = deadline - conn_now_ms();
		if (slice < 0)
			slice = 0;
		if (device_run_once(d, (int)slice) != 0)
			return -1;
	}
	return 0;
}

static int
run_fleet(const struct shadow_config *cfg)
{
	long long deadline = 0;

	if (signals_install() != 0)
		return 1;
	events_init(cfg->json);
	if (cfg->duration > 0)
		deadline = conn_now_ms() + (long long)(cfg->duration * 1000.0);
	switch (fleet_run(cfg, &stop_signal, deadline)) {
	case FLEET_OK:
		return 0;
	case FLEET_ERR_USAGE:
		return EXIT_USAGE;
	default:
		return 1;
	}
}

static int
run(const struct shadow_config *cfg)
{
	struct device d;
	struct agent *agent = NULL;
	char err[1024];
	long long deadline = 0;
	int rc = 0;

	if (is_fleet(cfg))
		return run_fleet(cfg);
	if (device_init(&d, cfg, cfg->thing, NULL, NULL, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		device_free(&d);
		return EXIT_USAGE;
	}
	if (d.drive != NULL && (agent = agent_new(0, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		device_free(&d);
		return 1;
	}
	d.agent = agent;
	if (signals_install() != 0) {
		agent_free(agent);
		device_free(&d);
		return 1;
	}
	events_init(cfg->json);
	if (cfg->duration > 0)
		deadline = conn_now_ms() + (long long)(cfg->duration * 1000.0);
	switch (device_first_connect(&d, deadline)) {
	case -1:
		rc = EXIT_USAGE;
		break;
	case 1:
		if (device_loop(&d, deadline) != 0)
			rc = 1;
		break;
	}
	if (stop_signal != 0)
		log_debug("signal %d: disconnecting", (int)stop_signal);
	device_stop(&d);
	event_emit(d.thing, "stopped", NULL, NULL);
	agent_free(agent);
	device_free(&d);
	return rc;
}

int
main(int argc, char **argv)
{
	struct shadow_config cfg;
	enum config_status cs;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((cs = config_main(&cfg, PROG_SHADOWDEV, argc, argv, usage)) !=
	    CONFIG_OK)
		return cs == CONFIG_USAGE ? EXIT_USAGE : 0;
	if (check_config(&cfg) != 0)
		rc = EXIT_USAGE;
	else
		rc = run(&cfg);
	config_free(&cfg);
	return rc;
}
