/*
 * shadowctl - get, set, unset, update, delete and watch one Device Shadow.
 */
#include "ctl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "json.h"
#include "log.h"
#include "tls.h"

/* The command options, and which commands take them. */
enum {
	TAKES_REPORTED = 1 << 0,
	TAKES_WAIT = 1 << 1,
	TAKES_ALL = 1 << 2,
	TAKES_VERSION = 1 << 3,
	TAKES_FILE = 1 << 4,
	TAKES_COUNT = 1 << 5
};

struct command {
	const char *name;
	enum ctl_status (*run)(const struct shadow_config *);
	unsigned takes;
	size_t min_args;            /* arguments after the command */
	size_t max_args;
};

static enum ctl_status cmd_get(const struct shadow_config *);
static enum ctl_status cmd_set(const struct shadow_config *);
static enum ctl_status cmd_unset(const struct shadow_config *);
static enum ctl_status cmd_update(const struct shadow_config *);
static enum ctl_status cmd_delete(const struct shadow_config *);
static enum ctl_status cmd_watch(const struct shadow_config *);

#define MANY ((size_t)-1)

static const struct command commands[] = {
	{ "get", cmd_get, 0, 0, 1 },
	{ "set", cmd_set, TAKES_REPORTED | TAKES_WAIT | TAKES_VERSION, 1,
	    MANY },
	{ "unset", cmd_unset, TAKES_REPORTED | TAKES_ALL | TAKES_VERSION, 0,
	    MANY },
	{ "update", cmd_update, TAKES_WAIT | TAKES_VERSION | TAKES_FILE, 0, 1 },
	{ "delete", cmd_delete, 0, 0, 0 },
	{ "watch", cmd_watch, TAKES_COUNT, 0, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: shadowctl [options] get [PATH]\n"
	    "       shadowctl [options] set [--reported] [--wait] "
	    "[--expect-version N] KEY=VALUE | KEY:=JSON ...\n"
	    "       shadowctl [options] unset [--reported] "
	    "[--expect-version N] KEY ... | --all\n"
	    "       shadowctl [options] update [--wait] [--expect-version N] "
	    "[JSON | -f FILE | -]\n"
	    "       shadowctl [options] delete\n"
	    "       shadowctl [options] watch [--count N] [--timeout SEC]\n"
	    "\n"
	    "  -t, --thing NAME       thing name (required; SHADOW_THING)\n"
	    "  -n, --shadow NAME      named shadow (SHADOW_NAME)\n"
	    "  -e, --endpoint HOST    broker or AWS IoT endpoint "
	    "(default localhost)\n"
	    "  -p, --port N           8883 with TLS, else 1883\n"
	    "  --ca FILE, --cert FILE, --key FILE, --certs DIR\n"
	    "  --tls, --no-tls, --alpn PROTO, --insecure\n"
	    "  -u, --username U, -P, --password P, --password-file FILE\n"
	    "  -i, --client-id ID, -k, --keepalive SEC, --mqtt 3.1.1|5\n"
	    "  --profile NAME, --config FILE\n"
	    "  --timeout SEC          how long to wait for answers "
	    "(default 10)\n"
	    "  -c, --compact          one-line JSON\n"
	    "  -r, --raw              print a string without quotes\n"
	    "  -v, --verbose, -q, --quiet, -h, --help, --version\n"
	    "\n"
	    "exit: 0 done, 1 rejected, 2 usage, 3 could not connect, "
	    "4 timed out\n");
}

static const struct command *
command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
option_check(const struct command *cmd, unsigned flag, bool given,
    const char *option)
{
	if (given && !(cmd->takes & flag)) {
		log_error("%s does not apply to %s", option, cmd->name);
		return -1;
	}
	return 0;
}

static int
options_check(const struct shadow_config *cfg, const struct command *cmd)
{
	if (option_check(cmd, TAKES_REPORTED, cfg->reported, "--reported") ||
	    option_check(cmd, TAKES_WAIT, cfg->wait, "--wait") ||
	    option_check(cmd, TAKES_ALL, cfg->all, "--all") ||
	    option_check(cmd, TAKES_VERSION, cfg->has_expect_version,
	    "--expect-version") ||
	    option_check(cmd, TAKES_FILE, cfg->file != NULL, "-f/--file") ||
	    option_check(cmd, TAKES_COUNT, cfg->count > 0, "--count"))
		return -1;
	if (cfg->wait && cfg->reported) {
		log_error("--wait waits for the device to report desired "
		    "state; it does not apply with --reported");
		return -1;
	}
	return 0;
}

static int
args_check(const struct shadow_config *cfg, const struct command *cmd)
{
	size_t n = cfg->nargs - 1;

	if (n < cmd->min_args) {
		log_error("%s needs %s", cmd->name, cmd->run == cmd_set ?
		    "at least one KEY=VALUE or KEY:=JSON" : "an argument");
		return -1;
	}
	if (n > cmd->max_args) {
		log_error("%s: unexpected argument '%s'", cmd->name,
		    cfg->args[1 + cmd->max_args]);
		return -1;
	}
	return 0;
}

static enum ctl_status
config_check(const struct shadow_config *cfg, const struct command **cmdp)
{
	char err[CTL_ERRLEN];

	if (cfg->nargs == 0) {
		log_error("no command; one of get, set, unset, update, delete, "
		    "watch (see shadowctl --help)");
		return CTL_USAGE;
	}
	if ((*cmdp = command_find(cfg->args[0])) == NULL) {
		log_error("unknown command '%s'; one of get, set, unset, "
		    "update, delete, watch", cfg->args[0]);
		return CTL_USAGE;
	}
	if (options_check(cfg, *cmdp) == -1 || args_check(cfg, *cmdp) == -1)
		return CTL_USAGE;
	if (cfg->thing == NULL) {
		log_error("no thing name: give -t NAME, set SHADOW_THING, or "
		    "put thing = NAME in the profile of %s",
		    cfg->config_file != NULL ? cfg->config_file :
		    "the config file");
		return CTL_USAGE;
	}
	if (cfg->tls && tls_check_files(cfg, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return CTL_USAGE;
	}
	return CTL_OK;
}

static enum ctl_status
print_value(const struct shadow_config *cfg, json_object *v)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE | (cfg->compact ?
	    JSON_C_TO_STRING_PLAIN :
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);

	if (cfg->raw && json_object_is_type(v, json_type_string))
		fputs(json_object_get_string(v), stdout);
	else
		fputs(json_object_to_json_string_ext(v, flags), stdout);
	putchar('\n');
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (errno == EPIPE)
			return CTL_OK;
		log_error("can't write to standard output: %s",
		    strerror(errno));
		return CTL_USAGE;
	}
	return CTL_OK;
}

/* The clientToken is ours, not the user's: keep it out of the output. */
static enum ctl_status
print_answer(const struct shadow_config *cfg, json_object *doc,
    bool strip_token)
{
	if (strip_token)
		json_object_object_del(doc, "clientToken");
	return print_value(cfg, doc);
}

static enum ctl_status
token_request(struct session *s)
{
	json_object *req;
	enum ctl_status st;
	const char *text;

	if ((req = session_token_doc(s->token)) == NULL)
		return CTL_USAGE;
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	st = session_request(s, text, strlen(text));
	json_object_put(req);
	return st;
}

static enum ctl_status
cmd_get(const struct shadow_config *cfg)
{
	struct session s;
	enum ctl_status st;
	json_object *v;
	char err[CTL_ERRLEN];

	session_init(&s, cfg, SHADOW_MSG_GET);
	if ((st = session_open(&s, false)) == CTL_OK &&
	    (st = token_request(&s)) == CTL_OK) {
		json_object_object_del(s.answer, "clientToken");
		v = s.answer;
		if (cfg->nargs > 1 && assign_lookup(s.answer, cfg->args[1], &v,
		    err, sizeof(err)) == -1) {
			log_error("%s", err);
			st = CTL_REJECTED;
		} else
			st = print_value(cfg, v);
	}
	session_close(&s);
	return st;
}

static enum ctl_status
cmd_delete(const struct shadow_config *cfg)
{
	struct session s;
	enum ctl_status st;

	session_init(&s, cfg, SHADOW_MSG_DELETE);
	if ((st = session_open(&s, false)) == CTL_OK &&
	    (st = token_request(&s)) == CTL_OK)
		st = print_answer(cfg, s.answer, true);
	session_close(&s);
	return st;
}

static enum ctl_status
cmd_watch(const struct shadow_config *cfg)
{
	return watch_run(cfg);
}

/* Checks 1-11 of the service and the 8 KB limit, before connecting. */
static enum ctl_status
update_validate(const char *text, size_t len, struct doc_request *req)
{
	struct doc_error derr;
	json_object *d = NULL, *r = NULL;
	size_t size;

	if (doc_parse_update(text, len, req, &derr) == -1) {
		if (strcmp(derr.message, DOC_MSG_INVALID_TOKEN) == 0)
			log_error("invalid update: clientToken must be a "
			    "string of at most %d bytes", DOC_MAX_TOKEN);
		else
			log_error("invalid update: %s", derr.message);
		return CTL_USAGE;
	}
	if (req->state != NULL) {
		json_object_object_get_ex(req->state, "desired", &d);
		json_object_object_get_ex(req->state, "reported", &r);
	}
	size = (d ? doc_compact_size(d) : 0) + (r ? doc_compact_size(r) : 0);
	if (size > DOC_MAX_SIZE_DEFAULT) {
		log_error("invalid update: desired and reported take %zu "
		    "bytes; a shadow holds at most %d", size,
		    DOC_MAX_SIZE_DEFAULT);
		doc_request_free(req);
		return CTL_USAGE;
	}
	return CTL_OK;
}

static json_object *
wait_expect(json_object *state)
{
	json_object *d = NULL;

	if (state == NULL || !json_object_object_get_ex(state, "desired", &d) ||
	    !json_object_is_type(d, json_type_object)) {
		log_error("--wait needs desired state in the update: it waits "
		    "until reported holds it");
		return NULL;
	}
	return d;
}

/*
 * Send the update request (owned), print update/accepted, and with --wait
 * wait until reported holds what was desired.
 */
static enum ctl_status
update_run(const struct shadow_config *cfg, json_object *request)
{
	struct session s;
	struct doc_request req;
	struct wait_state w = { .snap_version = -1 };
	bool own_token = false;
	enum ctl_status st;
	const char *text;
	json_object *tok;

	session_init(&s, cfg, SHADOW_MSG_UPDATE);
	if (!json_object_object_get_ex(request, "clientToken", &tok)) {
		own_token = true;
		json_object_object_add(request, "clientToken",
		    json_object_new_string(s.token));
	} else if (json_object_is_type(tok, json_type_string))
		snprintf(s.token, sizeof(s.token), "%s",
		    json_object_get_string(tok));
	if (cfg->has_expect_version)
		json_object_object_add(request, "version",
		    json_object_new_int64(cfg->expect_version));
	text = json_object_to_json_string_ext(request,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((st = update_validate(text, strlen(text), &req)) != CTL_OK) {
		json_object_put(request);
		return st;
	}
	if (cfg->wait && (w.expect = wait_expect(req.state)) == NULL)
		st = CTL_USAGE;
	if (st == CTL_OK && (st = session_open(&s, cfg->wait)) == CTL_OK &&
	    (st = session_request(&s, text, strlen(text))) == CTL_OK) {
		st = print_answer(cfg, s.answer, own_token);
		if (st == CTL_OK && cfg->wait)
			st = session_wait(&s, &w);
	}
	session_close(&s);
	json_object_put(w.reported);
	doc_request_free(&req);
	json_object_put(request);
	return st;
}

/* {"state":{"desired"|"reported": section}} taking section. */
static json_object *
update_wrap(const struct shadow_config *cfg, json_object *section)
{
	json_object *request, *state;

	if ((request = json_object_new_object()) == NULL ||
	    (state = json_object_new_object()) == NULL) {
		json_object_put(request);
		json_object_put(section);
		log_error("out of memory");
		return NULL;
	}
	json_object_object_add(state, cfg->reported ? "reported" : "desired",
	    section);
	json_object_object_add(request, "state", state);
	return request;
}

static enum ctl_status
cmd_set(const struct shadow_config *cfg)
{
	json_object *section = NULL, *request;
	char err[CTL_ERRLEN];

	for (size_t i = 1; i < cfg->nargs; i++) {
		if (assign_apply(&section, cfg->args[i], err,
		    sizeof(err)) == -1) {
			log_error("bad assignment %s", err);
			json_object_put(section);
			return CTL_USAGE;
		}
	}
	if ((request = update_wrap(cfg, section)) == NULL)
		return CTL_USAGE;
	return update_run(cfg, request);
}

static enum ctl_status
cmd_unset(const struct shadow_config *cfg)
{
	json_object *section = NULL, *request;
	char err[CTL_ERRLEN];

	if (cfg->all != (cfg->nargs == 1)) {
		log_error(cfg->all ? "unset --all takes no keys" :
		    "unset needs the keys to remove, or --all");
		return CTL_USAGE;
	}
	for (size_t i = 1; i < cfg->nargs; i++) {
		if (assign_null(&section, cfg->args[i], err,
		    sizeof(err)) == -1) {
			log_error("bad key %s", err);
			json_object_put(section);
			return CTL_USAGE;
		}
	}
	if ((request = update_wrap(cfg, section)) == NULL)
		return CTL_USAGE;
	return update_run(cfg, request);
}

static char *
read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0, r;
	char *buf = malloc(cap), *nbuf;

	while (buf != NULL && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n > DOC_MAX_PAYLOAD)
			break;
		if (cap - n - 1 == 0) {
			if ((nbuf = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = nbuf;
			cap *= 2;
		}
	}
	if (buf == NULL || ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The update document's text: argument, -f FILE, or standard input. */
static char *
update_text(const struct shadow_config *cfg, const char **source,
    size_t *len)
{
	const char *arg = cfg->nargs > 1 ? cfg->args[1] : NULL;
	char *text;
	FILE *f = stdin;

	if (arg != NULL && cfg->file != NULL) {
		log_error("update takes a JSON argument or -f FILE, not both");
		return NULL;
	}
	if (arg != NULL && strcmp(arg, "-") != 0) {
		*source = "the argument";
		*len = strlen(arg);
		return strdup(arg);
	}
	*source = "standard input";
	if (cfg->file != NULL && strcmp(cfg->file, "-") != 0) {
		*source = cfg->file;
		if ((f = fopen(cfg->file, "r")) == NULL) {
			log_error("can't read %s: %s", cfg->file,
			    strerror(errno));
			return NULL;
		}
	}
	text = read_all(f, len);
	if (text == NULL)
		log_error("can't read %s: %s", *source, strerror(errno));
	if (f != stdin)
		fclose(f);
	return text;
}

static json_object *
update_parse(const char *text, size_t len, const char *source)
{
	struct json_result jr;

	if (len > DOC_MAX_PAYLOAD) {
		log_error("update document in %s is larger than %d bytes, the "
		    "most one MQTT message to AWS IoT may carry", source,
		    DOC_MAX_PAYLOAD);
		return NULL;
	}
	if (json_read(text, len, NULL, &jr) != JSON_OK) {
		log_error("invalid JSON in %s: %s at offset %zu", source,
		    jr.why, jr.offset);
		return NULL;
	}
	if (!json_object_is_type(jr.value, json_type_object)) {
		log_error("invalid update in %s: the document must be a JSON "
		    "object like {\"state\":{\"desired\":{...}}}", source);
		json_object_put(jr.value);
		return NULL;
	}
	return jr.value;
}

static enum ctl_status
cmd_update(const struct shadow_config *cfg)
{
	const char *source = NULL;
	size_t len = 0;
	char *text;
	json_object *request;

	if ((text = update_text(cfg, &source, &len)) == NULL)
		return CTL_USAGE;
	request = update_parse(text, len, source);
	free(text);
	if (request == NULL)
		return CTL_USAGE;
	return update_run(cfg, request);
}

/* The exit status for a connection's status (shadowctl(1), EXIT STATUS). */
enum ctl_status
ctl_status_of(enum conn_status st)
{
	switch (st) {
	case CONN_OK:
		return CTL_OK;
	case CONN_ERR_USAGE:
		return CTL_USAGE;
	case CONN_ERR_CONNECT:
		return CTL_CONNECT;
	case CONN_ERR_TIMEOUT:
		return CTL_TIMEOUT;
	}
	return CTL_CONNECT;
}

int
main(int argc, char **argv)
{
	struct shadow_config cfg;
	const struct command *cmd = NULL;
	enum config_status cs;
	enum ctl_status st;

	signal(SIGPIPE, SIG_IGN);
	if ((cs = config_main(&cfg, PROG_SHADOWCTL, argc, argv, usage)) !=
	    CONFIG_OK)
		return cs == CONFIG_USAGE ? CTL_USAGE : CTL_OK;
	if ((st = config_check(&cfg, &cmd)) == CTL_OK)
		st = cmd->run(&cfg);
	config_free(&cfg);
	return (int)st;
}
