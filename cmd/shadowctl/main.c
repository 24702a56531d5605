/*
 * shadowctl - get, set, unset, update, delete and watch one Device Shadow.
 */
#include "ctl.h"
#include "transport.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "buf.h"
#include "ids.h"
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
	TAKES_COUNT = 1 << 5,
	TAKES_PAGE_SIZE = 1 << 6
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
static enum ctl_status cmd_list(const struct shadow_config *);

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
	{ "list", cmd_list, TAKES_PAGE_SIZE, 0, 0 },
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
	    "       shadowctl [options] list [--page-size N]\n"
	    "\n"
	    "  -t, --thing NAME       thing name (required; SHADOW_THING)\n"
	    "  -n, --shadow NAME      named shadow (SHADOW_NAME)\n"
	    "  -e, --endpoint HOST    MQTT broker or AWS IoT endpoint "
	    "(default localhost);\n"
	    "                         https://HOST[:PORT] or http://HOST:PORT: "
	    "the HTTP Data Plane API\n"
	    "  -p, --port N           MQTT port: 8883 with TLS, else 1883\n"
	    "  --aws-profile NAME     AWS credentials profile (HTTP; "
	    "AWS_PROFILE)\n"
	    "  --region R             AWS region for signing (HTTP; "
	    "AWS_REGION)\n"
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
	    option_check(cmd, TAKES_COUNT, cfg->count > 0, "--count") ||
	    option_check(cmd, TAKES_PAGE_SIZE, cfg->page_size > 0,
	    "--page-size"))
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

/* What only one transport can do, and the port that a URL carries. */
static int
transport_check(const struct shadow_config *cfg, const struct command *cmd)
{
	bool url = transport_is_url(cfg->endpoint);

	if (url && cfg->port != 0) {
		log_error("-p/--port (or SHADOW_PORT, or port = in the config "
		    "file) does not apply to the URL endpoint %s: put the port "
		    "in the URL (https://HOST:PORT)", cfg->endpoint);
		return -1;
	}
	if (url && cmd->run == cmd_watch) {
		log_error("watch needs MQTT (the HTTP Data Plane API has no "
		    "subscriptions): give the MQTT endpoint as a host name, "
		    "not the URL %s", cfg->endpoint);
		return -1;
	}
	if (!url && cmd->run == cmd_list) {
		log_error("list needs the HTTP Data Plane API (AWS IoT offers "
		    "no list of named shadows over MQTT): give the endpoint "
		    "as a URL, e.g. -e https://%s", cfg->endpoint);
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
		    "watch, list (see shadowctl --help)");
		return CTL_USAGE;
	}
	if ((*cmdp = command_find(cfg->args[0])) == NULL) {
		log_error("unknown command '%s'; one of get, set, unset, "
		    "update, delete, watch, list", cfg->args[0]);
		return CTL_USAGE;
	}
	if (options_check(cfg, *cmdp) == -1 || args_check(cfg, *cmdp) == -1 ||
	    transport_check(cfg, *cmdp) == -1)
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
cmd_get(const struct shadow_config *cfg)
{
	struct transport t;
	enum ctl_status st;
	json_object *doc = NULL, *v;
	char err[CTL_ERRLEN];

	if ((st = transport_open(&t, cfg, SHADOW_MSG_GET, false)) == CTL_OK &&
	    (st = t.ops->get(&t, &doc)) == CTL_OK) {
		json_object_object_del(doc, "clientToken");
		v = doc;
		if (cfg->nargs > 1 && assign_lookup(doc, cfg->args[1], &v,
		    err, sizeof(err)) == -1) {
			log_error("%s", err);
			st = CTL_REJECTED;
		} else
			st = print_value(cfg, v);
	}
	json_object_put(doc);
	transport_close(&t);
	return st;
}

static enum ctl_status
cmd_delete(const struct shadow_config *cfg)
{
	struct transport t;
	enum ctl_status st;
	json_object *answer = NULL;

	if ((st = transport_open(&t, cfg, SHADOW_MSG_DELETE, false)) ==
	    CTL_OK && (st = t.ops->delete(&t, &answer)) == CTL_OK)
		st = print_answer(cfg, answer, true);
	json_object_put(answer);
	transport_close(&t);
	return st;
}

static enum ctl_status
cmd_watch(const struct shadow_config *cfg)
{
	return watch_run(cfg);
}

/* Append the "results" of one page to names; the page's nextToken. */
static enum ctl_status
list_page(json_object *page, json_object *names, const char **next)
{
	json_object *results, *tok;
	size_t n;

	*next = NULL;
	if (!json_object_object_get_ex(page, "results", &results) ||
	    !json_object_is_type(results, json_type_array)) {
		log_error("list: the answer has no results array");
		return CTL_CONNECT;
	}
	n = json_object_array_length(results);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(names,
		    json_object_get(json_object_array_get_idx(results, i)));
	if (json_object_object_get_ex(page, "nextToken", &tok) &&
	    json_object_is_type(tok, json_type_string) &&
	    json_object_get_string_len(tok) > 0)
		*next = json_object_get_string(tok);
	return CTL_OK;
}

static enum ctl_status
print_names(const struct shadow_config *cfg, json_object *names)
{
	size_t n = json_object_array_length(names);

	if (!cfg->raw)
		return print_value(cfg, names);
	for (size_t i = 0; i < n; i++)
		if (print_value(cfg, json_object_array_get_idx(names, i)) !=
		    CTL_OK)
			return CTL_USAGE;
	return CTL_OK;
}

/* Every page, following nextToken to the end. */
static enum ctl_status
cmd_list(const struct shadow_config *cfg)
{
	struct transport t;
	json_object *names, *page = NULL;
	const char *next;
	char *token = NULL;
	enum ctl_status st;

	if ((names = json_object_new_array()) == NULL) {
		log_error("out of memory");
		return CTL_USAGE;
	}
	st = transport_open(&t, cfg, SHADOW_MSG_COUNT, false);
	while (st == CTL_OK && (st = t.ops->list(&t, token, &page)) ==
	    CTL_OK && (st = list_page(page, names, &next)) == CTL_OK &&
	    next != NULL) {
		if (token != NULL && strcmp(token, next) == 0) {
			log_error("list: the service gave the same nextToken "
			    "twice; stopping");
			st = CTL_CONNECT;
			break;
		}
		free(token);
		if ((token = strdup(next)) == NULL) {
			log_error("out of memory");
			st = CTL_USAGE;
		}
		json_object_put(page);
		page = NULL;
	}
	if (st == CTL_OK)
		st = print_names(cfg, names);
	free(token);
	json_object_put(page);
	json_object_put(names);
	transport_close(&t);
	return st;
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

/*
 * The request's clientToken into token: the user's, or a fresh one of ours
 * added to the request (true: it is ours, keep it out of the output).
 * A clientToken that is no string is left for update_validate to refuse.
 */
static bool
request_token(json_object *request, char token[DOC_MAX_TOKEN + 1])
{
	json_object *tok;

	token[0] = '\0';
	if (json_object_object_get_ex(request, "clientToken", &tok)) {
		if (json_object_is_type(tok, json_type_string))
			snprintf(token, DOC_MAX_TOKEN + 1, "%s",
			    json_object_get_string(tok));
		return false;
	}
	ids_token(token);
	json_object_object_add(request, "clientToken",
	    json_object_new_string(token));
	return true;
}

/*
 * Send the update request (owned), print update/accepted, and with --wait
 * wait until reported holds what was desired.
 */
static enum ctl_status
update_run(const struct shadow_config *cfg, json_object *request)
{
	struct transport t = { 0 };
	struct doc_request req;
	struct wait_state w = { .snap_version = -1 };
	char token[DOC_MAX_TOKEN + 1];
	bool own_token;
	enum ctl_status st;
	const char *text;
	json_object *answer = NULL;

	own_token = request_token(request, token);
	if (cfg->has_expect_version)
		json_object_object_add(request, "version",
		    json_object_new_int64(cfg->expect_version));
	text = json_object_to_json_string_ext(request,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((st = update_validate(text, strlen(text), &req)) != CTL_OK) {
		json_object_put(request);
		return st;
	}
	if (cfg->wait)
		st = wait_init(&w, req.state);
	if (st == CTL_OK && (st = transport_open(&t, cfg, SHADOW_MSG_UPDATE,
	    cfg->wait)) == CTL_OK && (st = t.ops->update(&t, text,
	    strlen(text), token, &answer)) == CTL_OK) {
		st = print_answer(cfg, answer, own_token);
		if (st == CTL_OK && cfg->wait)
			st = wait_until(&t, &w, answer);
	}
	transport_close(&t);
	json_object_put(answer);
	wait_free(&w);
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

/* All of f, or what passes DOC_MAX_PAYLOAD (update_parse refuses it);
 * NULL with errno set when reading fails or memory runs out. */
static char *
read_all(FILE *f, size_t *len)
{
	struct buf b = { 0 };
	char *text;

	if (buf_read(&b, f, DOC_MAX_PAYLOAD) == -1) {
		buf_free(&b);
		return NULL;
	}
	if ((text = buf_finish(&b, len)) == NULL)
		errno = ENOMEM;
	return text;
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
