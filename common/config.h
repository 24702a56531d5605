/*
 * config.h - the options of shadowctl, shadowdev and shadowd (shadowctl(1),
 * shadowdev(1), shadowd(8), shadow.conf(5)).
 *
 * One table of options feeds the command line, the environment and the
 * config file (INI sections = profiles). Precedence: command line, then
 * environment, then the profile in the config file, then defaults.
 *
 * Offers:
 *   config_load      parse argv + env + config file for one program, fill
 *                    derived values (certs dir, TLS auto, port, ALPN,
 *                    password file); prints its own usage errors naming
 *                    option, or file and line
 *   config_main      config_load for main(): prints usage or version itself
 *                    and frees cfg unless CONFIG_OK; main() picks the exit
 *                    status
 *   config_free      release everything config_load allocated
 *   config_default_path   where the config file is looked for
 */
#ifndef SHADOW_CONFIG_H
#define SHADOW_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

enum prog {
	PROG_SHADOWCTL = 1,
	PROG_SHADOWDEV = 2,
	PROG_SHADOWD = 4
};

#define CONFIG_MQTT_311 4
#define CONFIG_MQTT_5 5

struct shadow_config {
	enum prog prog;

	/* connection, all programs */
	char *endpoint;        /* default "localhost" */
	int port;              /* resolved: explicit, else 8883 with TLS, else 1883;
	                          shadowctl with a URL endpoint: explicit, else 0 */
	char *ca, *cert, *key; /* resolved: explicit, else from certs dir */
	char *certs;
	int tls;               /* resolved: 0 off, 1 on (auto = on when ca/cert/key) */
	char *alpn;            /* resolved: explicit, else the 443 default, else NULL */
	bool insecure;
	char *username;
	char *password;        /* from -P, SHADOW_PASSWORD or --password-file */
	char *password_file;
	char *client_id;       /* NULL: the program chooses */
	int keepalive;         /* default 30 */
	int mqtt_version;      /* CONFIG_MQTT_311 (default) or CONFIG_MQTT_5 */
	char *profile;         /* default "default" */
	char *config_file;     /* the file read, or NULL */
	int verbosity;         /* -1 quiet, 0 normal, 1 -v, 2 -vv */

	/* shadowctl and shadowdev */
	char *thing;
	char *shadow;          /* NULL: classic shadow */

	/* shadowctl */
	double timeout;        /* seconds; default 10 (watch: 0 = until interrupted) */
	bool timeout_set;      /* --timeout was given (watch needs to know) */
	bool reported;         /* --reported */
	bool wait;             /* --wait */
	bool all;              /* --all */
	bool compact;          /* -c */
	bool raw;              /* -r */
	bool has_expect_version;
	int64_t expect_version;
	char *file;            /* -f FILE for update */
	long count;            /* watch --count N / shadowdev --count N (0 = unset) */
	long page_size;        /* list --page-size N (0 = the service's default) */

	/* shadowctl over HTTPS (the IoT Data Plane API) */
	char *aws_profile;     /* --aws-profile, AWS_PROFILE, aws-profile =; NULL: "default" */
	char *region;          /* --region, AWS_REGION, region =; NULL: look further */

	/* shadowdev */
	char **state;          /* --state KEY=VALUE, repeatable; default MOTOR=OFF */
	size_t nstate;
	double interval;       /* default 5 */
	char *telemetry_prefix;/* default "data" */
	double max_desired_age;/* 0 = off */
	double duration;       /* 0 = forever */
	bool json;             /* --json */
	char *things_from;
	double connect_rate;   /* connects per second for a fleet; default 200 */
	char *exec;            /* --exec CMD: apply deltas by running CMD */
	double exec_timeout;   /* default 30 */
	char *telemetry_exec;  /* --telemetry-exec CMD */
	char *state_dir;       /* --state-dir DIR */
	long exec_jobs;        /* fleet: commands at once; default 4 */

	/* shadowd */
	char *data_dir;        /* default $XDG_STATE_HOME/shadowd or ~/.local/state/shadowd */
	long rate_limit;       /* 0 = off */
	long max_doc_size;     /* default 8192 */
	long forget_deleted;   /* seconds, 0 = never */
	long dedupe_window;    /* seconds, default 600, 0 = off */
	char *http;            /* --http [ADDR:]PORT, NULL = no HTTP face */
	char *http_credentials;
	char *http_cert, *http_key;
	bool http_insecure;
	long http_max_connections; /* default 256 */

	/* positional arguments in order (command and its arguments) */
	char **args;
	size_t nargs;
};

enum config_status {
	CONFIG_OK = 0,
	CONFIG_HELP,      /* -h: usage goes to stdout; success */
	CONFIG_VERSION,   /* --version: "prog 0.1.0" on stdout; success */
	CONFIG_USAGE      /* error already printed on stderr: a usage error */
};

#define SHADOW_TOOLS_VERSION "0.1.0"

enum config_status config_load(struct shadow_config *cfg, enum prog prog,
    int argc, char **argv);
void config_free(struct shadow_config *cfg);
/* CONFIG_OK: go on with cfg loaded. Otherwise cfg is freed, and usage
 * (on stdout, for CONFIG_HELP), the version (CONFIG_VERSION) or the usage
 * error (CONFIG_USAGE) has been printed: main() exits 0 or 2. */
enum config_status config_main(struct shadow_config *cfg, enum prog prog, int argc,
    char **argv, void (*usage)(FILE *));

/* Writes the default config path into buf; returns buf, or NULL if no HOME. */
char *config_default_path(char *buf, size_t size);

#endif
