// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <sys/utsname.h>
#include "coverage.h"
#include "decode.h"
#include "json_writer.h"
#include "node_identity.h"

/* "tp_btf tcp_send_reset/3"; "iter task_file (scan)": one iterator serves two jobs. */
static void hook_label(char *buf, size_t len, const struct hook *h, const struct hook_cand *c)
{
	if (c->kind == HK_TP_BTF || c->kind == HK_RAW_TP)
		snprintf(buf, len, "%s %s/%d", hook_kind_name(c->kind), c->target, c->args);
	else if (c->kind == HK_ITER)
		snprintf(buf, len, "%s %s (%s)", hook_kind_name(c->kind), c->target, h->name);
	else
		snprintf(buf, len, "%s %s", hook_kind_name(c->kind), c->target);
}

typedef void (*visit_fn)(void *ctx, const char *hook, const char *missing);

/*
 * Calls fn for every hook that serves the event types in 'mask' (0: the
 * support hooks): with its label when chosen, with what is missing when not,
 * and with both when the chosen one sees only part.
 */
static void visit(const struct loader *ld, uint32_t mask, visit_fn fn, void *ctx)
{
	char label[96];
	int i;

	for (i = 0; i < nr_hooks; i++) {
		const struct hook_choice *c = &ld->choice[i];
		const struct hook_cand *cand = hook_chosen(c);
		const char *note;

		if (mask ? !(c->hook->events & mask) : c->hook->events != 0)
			continue;
		if (!cand && !c->why)
			continue; /* not needed on this kernel */
		if (!cand) {
			static char why[256];

			snprintf(why, sizeof(why), "no %s: %s", c->hook->gap, c->why ? c->why : "");
			fn(ctx, NULL, why);
			continue;
		}
		hook_label(label, sizeof(label), c->hook, cand);
		if (c->on_pressure) {
			size_t n = strlen(label);

			snprintf(label + n, sizeof(label) - n, " (armed on pressure)");
		}
		note = cand->note ? cand->note(&ld->probe) : NULL;
		if (!note && c->on_pressure)
			note = HOOK_ON_PRESSURE_NOTE;
		fn(ctx, label, note);
	}
}

struct text_ctx {
	struct strbuf *sb;
	char hooks[512];
	char missing[1024];
};

static void text_visit(void *ctx, const char *hook, const char *missing)
{
	struct text_ctx *t = ctx;
	size_t n;

	if (hook) {
		n = strlen(t->hooks);
		snprintf(t->hooks + n, sizeof(t->hooks) - n, "%s%s", n ? ", " : "", hook);
	}
	if (missing) {
		n = strlen(t->missing);
		snprintf(t->missing + n, sizeof(t->missing) - n, "%s%s", n ? "; " : "", missing);
	}
}

/* The text table fits 80 columns: long lists go on under their column. */
#define COVERAGE_WIDTH 80

/*
 * 'lead' then 'text' in pieces that end after 'sep' (a hook with its comma,
 * a word), continued lines indented to 'indent'.
 */
static void put_wrapped(struct strbuf *sb, const char *lead, int indent, const char *text,
			const char *sep)
{
	int col = (int)strlen(lead), spaces = 0;
	const char *p = text;
	bool first = true;

	sb_printf(sb, "%s", lead);
	while (*p) {
		const char *next = strstr(p, sep);
		int len = next ? (int)(next - p) + (int)strlen(sep) : (int)strlen(p);
		int shown = len;

		/* A separator's trailing spaces go out only before a piece on the same line. */
		while (shown > 0 && p[shown - 1] == ' ')
			shown--;
		if (!first && col + spaces + shown > COVERAGE_WIDTH) {
			sb_printf(sb, "\n%*s", indent, "");
			col = indent;
		} else {
			sb_printf(sb, "%*s", spaces, "");
			col += spaces;
		}
		sb_printf(sb, "%.*s", shown, p);
		col += shown;
		spaces = len - shown;
		p += len;
		first = false;
	}
	sb_printf(sb, "\n");
}

static void text_row(struct strbuf *sb, const struct loader *ld, const char *name, uint32_t mask,
		     bool requested)
{
	struct text_ctx t = {.sb = sb};
	char lead[64];

	visit(ld, mask, text_visit, &t);
	snprintf(lead, sizeof(lead), "%-19s ", name);
	put_wrapped(sb, lead, 20, t.hooks[0] ? t.hooks : "none", ", ");
	if (!requested) {
		sb_printf(sb, "%-19s   not requested (--events)\n", "");
	} else if (t.missing[0]) {
		snprintf(lead, sizeof(lead), "%-19s   missing: ", "");
		put_wrapped(sb, lead, 22, t.missing, " ");
	}
}

static const char *kernel_release(struct utsname *u)
{
	return uname(u) == 0 ? u->release : "unknown";
}

void coverage_text(struct strbuf *sb, const struct loader *ld, uint32_t requested)
{
	const struct probe *p = &ld->probe;
	struct utsname u;
	uint32_t t;

	sb_printf(sb, "rsttrace %s on Linux %s\nfentry %s, kprobes %s, SYN call site %s\n",
		  RSTTRACE_VERSION, kernel_release(&u),
		  p->fentry	      ? "yes"
		  : p->fentry_refused ? "refused"
				      : "no",
		  p->kprobe ? "yes" : "no",
		  p->syn_site	       ? "found"
		  : p->kallsyms_hidden ? "hidden (kptr_restrict)"
				       : "not found");
	sb_printf(sb, "%-19s %s\n", "EVENT", "HOOKS (and what they cannot see)");
	for (t = 1; t < RT_EV_MAX; t++)
		text_row(sb, ld, event_type_name(t), RT_EVM(t), requested & RT_EVM(t));
	text_row(sb, ld, "(owners)", 0, true);
}

struct json_ctx {
	struct json_writer *jw;
	bool hooks; /* this pass writes hooks, else what is missing */
};

static void json_visit(void *ctx, const char *hook, const char *missing)
{
	struct json_ctx *j = ctx;
	const char *s = j->hooks ? hook : missing;

	if (s)
		jw_string(j->jw, s);
}

static void json_row(struct json_writer *jw, const struct loader *ld, const char *name,
		     uint32_t mask, bool requested)
{
	struct json_ctx j = {.jw = jw};

	jw_name(jw, name);
	jw_start_object(jw);
	jw_name(jw, "requested");
	jw_bool(jw, requested);
	jw_name(jw, "traced");
	jw_bool(jw, mask ? (ld->event_mask & mask) != 0 : true);
	jw_name(jw, "hooks");
	jw_start_array(jw);
	j.hooks = true;
	visit(ld, mask, json_visit, &j);
	jw_end_array(jw);
	jw_name(jw, "missing");
	jw_start_array(jw);
	j.hooks = false;
	visit(ld, mask, json_visit, &j);
	jw_end_array(jw);
	jw_end_object(jw);
}

void coverage_json(struct strbuf *sb, const struct loader *ld, uint32_t requested, const char *when)
{
	struct json_writer jw;
	struct utsname u;
	uint32_t t;

	jw_init(&jw, sb);
	jw_start_object(&jw);
	jw_uint_field(&jw, "schema", RT_SCHEMA_VERSION);
	jw_string_field(&jw, "type", "coverage");
	jw_string_field(&jw, "time", when);
	node_identity_json(&jw);
	jw_string_field(&jw, "version", RSTTRACE_VERSION);
	jw_string_field(&jw, "kernel", kernel_release(&u));
	jw_name(&jw, "events");
	jw_start_object(&jw);
	for (t = 1; t < RT_EV_MAX; t++)
		json_row(&jw, ld, event_type_name(t), RT_EVM(t), requested & RT_EVM(t));
	json_row(&jw, ld, "owners", 0, true);
	jw_end_object(&jw);
	jw_end_object(&jw);
	sb_putc(sb, '\n');
}
