// SPDX-License-Identifier: GPL-2.0
#include "limits_json.h"

static void uint_or_null(struct json_writer *jw, const char *name, bool known, uint64_t v)
{
	if (known)
		jw_uint_field(jw, name, v);
	else
		jw_null_field(jw, name);
}

static void limit_object(struct json_writer *jw, const struct limit_verdict *v)
{
	char setting[256];

	jw_name(jw, "limit");
	if (v->source == LIMIT_NONE) {
		jw_null(jw);
		return;
	}
	jw_start_object(jw);
	jw_uint_field(jw, "value", v->limit);
	jw_string_field(jw, "binds", limit_source_name(v->source));
	jw_name(jw, "listen_backlog");
	if (v->call_seen)
		jw_int(jw, v->backlog);
	else
		jw_null(jw);
	uint_or_null(jw, "somaxconn_at_listen", v->call_seen, v->call_somaxconn);
	jw_uint_field(jw, "somaxconn", v->somaxconn);
	jw_name(jw, "server");
	if (v->server)
		jw_string(jw, v->server->name);
	else
		jw_null(jw);
	limits_setting(v, setting, sizeof(setting));
	jw_name(jw, "setting");
	if (setting[0])
		jw_string(jw, setting);
	else
		jw_null(jw);
	uint_or_null(jw, "recommended", v->recommended, v->recommended);
	jw_name(jw, "raise_somaxconn");
	jw_bool(jw, v->raise_somaxconn);
	jw_name(jw, "restart");
	jw_bool(jw, v->restart);
	jw_end_object(jw);
}

static void burst_object(struct json_writer *jw, const struct limit_verdict *v)
{
	jw_name(jw, "burst");
	if (v->source == LIMIT_NONE || !v->has_burst) {
		jw_null(jw);
		return;
	}
	jw_start_object(jw);
	jw_uint_field(jw, "peak", v->peak);
	jw_uint_field(jw, "overflowed", v->overflowed);
	jw_uint_field(jw, "queued", v->queued);
	jw_uint_field(jw, "accepted", v->accepted);
	jw_uint_field(jw, "duration_ms", v->duration_ns / 1000000);
	jw_uint_field(jw, "arrived", v->arrived);
	jw_uint_field(jw, "arrival_ms", v->arrival_ns / 1000000);
	uint_or_null(jw, "arrival_per_s", v->rates_known, v->arrival_per_s);
	uint_or_null(jw, "accept_per_s", v->rates_known, v->accept_per_s);
	jw_string_field(jw, "pace", limit_pace_name(v->pace));
	jw_uint_field(jw, "number", v->bursts);
	jw_end_object(jw);
}

static void accept_object(struct json_writer *jw, const struct accept_wait_stats *w)
{
	jw_name(jw, "accept");
	if (!w->known) {
		jw_null(jw);
		return;
	}
	jw_start_object(jw);
	jw_uint_field(jw, "accepted", w->accepted);
	jw_uint_field(jw, "waits", w->waits);
	jw_uint_field(jw, "span_ms", w->span_ns / 1000000);
	uint_or_null(jw, "accept_per_s", w->rate_known, w->accept_per_s);
	uint_or_null(jw, "wait_p50_us", w->waits, w->p50_ns / 1000);
	uint_or_null(jw, "wait_p99_us", w->waits, w->p99_ns / 1000);
	uint_or_null(jw, "wait_max_us", w->waits, w->max_ns / 1000);
	uint_or_null(jw, "wait_mean_us", w->waits, w->mean_ns / 1000);
	jw_end_object(jw);
}

void limits_json(struct json_writer *jw, const struct limit_verdict *v)
{
	limit_object(jw, v);
	burst_object(jw, v);
	accept_object(jw, &v->wait);
}
