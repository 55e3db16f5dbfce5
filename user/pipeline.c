// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "attribute.h"
#include "diagnose.h"
#include "metrics.h"
#include "limits_stage.h"
#include "peer_link.h"
#include "pipeline.h"
#include "sink.h"

void pipeline_init(struct pipeline *pl, const struct rt_names *names, struct output *out,
		   struct summary *summary)
{
	memset(pl, 0, sizeof(*pl));
	pl->names = names;
	pl->out = out;
	pl->summary = summary;
}

void pipeline_build(const struct rt_names *names, const struct rt_kevent *k, uint64_t now_boot_ns,
		    struct rt_record *r)
{
	record_decode(r, names, k);
	attribute(r, now_boot_ns);
	peer_link_find(r);
	limits_stage(r);
	diagnose(names, r);
	peer_link_note_sent(r);
}

static void write_record(struct pipeline *pl, const struct rt_record *r)
{
	struct output *o = pl->out;

	if (o->closed)
		return;
	if (o->json) {
		sink_json_record(o, r);
		return;
	}
	if (!o->header_done) {
		sink_text_header(o);
		o->header_done = true;
	}
	sink_text_record(o, r);
}

static void send_on(struct pipeline *pl, const struct rt_record *r)
{
	if (r->ev.type < RT_EV_MAX)
		pl->written[r->ev.type] += r->count;
	if (pl->summary)
		summary_note(pl->summary, r);
	if (pl->metrics)
		metrics_note(pl->metrics, r);
	write_record(pl, r);
}

void pipeline_event(struct pipeline *pl, const struct rt_kevent *k, uint64_t now_boot_ns)
{
	struct rt_record r;

	pipeline_build(pl->names, k, now_boot_ns, &r);
	send_on(pl, &r);
}

void pipeline_folded(struct pipeline *pl, const struct rt_kevent *sample, uint64_t count,
		     uint64_t first_ns, uint64_t last_ns, bool stale, uint64_t now_boot_ns)
{
	struct rt_record r;

	pipeline_build(pl->names, sample, now_boot_ns, &r);
	r.count = count;
	r.sample_taken_back = stale;
	r.first_ns = first_ns;
	r.last_ns = last_ns;
	send_on(pl, &r);
}

void pipeline_missed(struct pipeline *pl, const char *hook, uint32_t events, uint64_t count,
		     uint64_t total, uint64_t now_boot_ns)
{
	if (pl->out->closed)
		return;
	if (pl->out->json)
		sink_json_missed(pl->out, hook, events, count, total, now_boot_ns);
	else
		sink_text_missed(pl->out, hook, events, count, total);
}

void pipeline_unattributed(struct pipeline *pl, uint32_t type, uint64_t count, uint64_t total,
			   uint64_t now_boot_ns)
{
	if (pl->out->closed)
		return;
	if (pl->out->json)
		sink_json_unattributed(pl->out, type, count, total, now_boot_ns);
	else
		sink_text_unattributed(pl->out, type, count, total);
}

void pipeline_lost(struct pipeline *pl, uint64_t count, uint64_t total, uint64_t now_boot_ns)
{
	if (pl->out->closed)
		return;
	if (pl->out->json)
		sink_json_lost(pl->out, count, total, now_boot_ns);
	else
		sink_text_lost(pl->out, count, total);
}

void pipeline_syn_detector(struct pipeline *pl, bool armed, const char *why,
			   const uint64_t disarmed[2], uint64_t now_boot_ns)
{
	if (pl->out->closed)
		return;
	if (pl->out->json)
		sink_json_syn_detector(pl->out, armed, why, disarmed, now_boot_ns);
	else
		sink_text_syn_detector(pl->out, armed, why, disarmed);
}

uint64_t pipeline_written(const struct pipeline *pl)
{
	uint64_t n = 0;
	int t;

	for (t = 0; t < RT_EV_MAX; t++)
		n += pl->written[t];
	return n;
}
