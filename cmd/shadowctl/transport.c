#include "transport.h"

#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "json.h"
#include "log.h"

bool
transport_is_url(const char *endpoint)
{
	return endpoint != NULL && (strncmp(endpoint, "http://", 7) == 0 ||
	    strncmp(endpoint, "https://", 8) == 0);
}

enum ctl_status
transport_open(struct transport *t, const struct shadow_config *cfg,
    enum shadow_msg op, bool with_wait)
{
	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	t->ops = transport_is_url(cfg->endpoint) ? &transport_http :
	    &transport_mqtt;
	t->deadline = conn_now_ms() + (long long)(cfg->timeout * 1000.0);
	return t->ops->open(t, op, with_wait);
}

void
transport_close(struct transport *t)
{
	if (t->ops != NULL)
		t->ops->close(t);
	t->impl = NULL;
}

int
transport_left_ms(const struct transport *t)
{
	long long left = t->deadline - conn_now_ms();

	if (left <= 0)
		return 0;
	return left > 1000000000 ? 1000000000 : (int)left;
}

void
transport_report_rejected(const char *op, const char *code,
    const char *message)
{
	log_error("%s rejected: %s %s", op,
	    code != NULL ? code : "(no code)",
	    message != NULL ? message : "(no message)");
}

json_object *
transport_parse_object(const void *text, size_t len)
{
	struct json_result jr;

	if (text == NULL || len > DOC_MAX_PAYLOAD ||
	    json_read(text, len, NULL, &jr) != JSON_OK)
		return NULL;
	if (!json_object_is_type(jr.value, json_type_object)) {
		json_object_put(jr.value);
		return NULL;
	}
	return jr.value;
}
