// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "attribute.h"
#include "diagnose.h"
#include "pipeline.h"
#include "sink.h"

void pipeline_init(struct pipeline *pl, const struct rt_names *names, struct output *out,
		   struct summary *summary, bool fold)
{
	memset(pl, 0, sizeof(*pl));
	pl->names = names;
	pl->out = out;
	pl->summary = summary;
	pl->fold = fold;
}

void pipeline_build(const struct rt_names *names, const struct rt_event *e, uint64_t now_boot_ns,
		    struct rt_record *r)
{
	record_decode(r, names, e);
	attribute(r, now_boot_ns);
	diagnose(names, &r->ev, &r->diag);
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

static void write_fold(struct pipeline *pl, uint64_t now_boot_ns)
{
	struct rt_record folded;

	if (!fold_close(&pl->run, &folded) || pl->out->closed)
		return;
	if (pl->out->json)
		sink_json_folded(pl->out, &folded, now_boot_ns);
	else
		sink_text_folded(pl->out, &folded);
}

void pipeline_event(struct pipeline *pl, const struct rt_event *e, uint64_t now_boot_ns)
{
	struct rt_record r;

	pipeline_build(pl->names, e, now_boot_ns, &r);
	if (e->type < RT_EV_MAX)
		pl->written[e->type]++;
	if (pl->summary)
		summary_note(pl->summary, &r);
	if (!pl->fold) {
		write_record(pl, &r);
		return;
	}
	if (fold_absorb(&pl->run, &r))
		return;
	write_fold(pl, now_boot_ns);
	write_record(pl, &r);
	fold_start(&pl->run, &r);
}

void pipeline_lost(struct pipeline *pl, uint64_t count, uint64_t total, uint64_t now_boot_ns)
{
	write_fold(pl, now_boot_ns);
	if (pl->out->closed)
		return;
	if (pl->out->json)
		sink_json_lost(pl->out, count, total, now_boot_ns);
	else
		sink_text_lost(pl->out, count, total);
}

void pipeline_tick(struct pipeline *pl, uint64_t now_boot_ns)
{
	if (fold_due(&pl->run, now_boot_ns))
		write_fold(pl, now_boot_ns);
}

void pipeline_finish(struct pipeline *pl, uint64_t now_boot_ns)
{
	write_fold(pl, now_boot_ns);
}

uint64_t pipeline_written(const struct pipeline *pl)
{
	uint64_t n = 0;
	int t;

	for (t = 0; t < RT_EV_MAX; t++)
		n += pl->written[t];
	return n;
}
