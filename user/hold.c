// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "hold.h"

void hold_init(struct hold *h, hold_emit_fn emit, void *ctx)
{
	memset(h, 0, sizeof(*h));
	h->emit = emit;
	h->ctx = ctx;
}

static void pop_oldest(struct hold *h)
{
	unsigned int i = h->head;

	if (!h->cancelled[i])
		h->emit(h->ctx, &h->ev[i]);
	h->head = (h->head + 1) % HOLD_SLOTS;
	h->count--;
}

void hold_push(struct hold *h, const struct rt_kevent *e)
{
	unsigned int i;

	if (h->count == HOLD_SLOTS)
		pop_oldest(h);
	i = (h->head + h->count) % HOLD_SLOTS;
	h->ev[i] = *e;
	h->cancelled[i] = false;
	h->count++;
}

bool hold_cancel(struct hold *h, uint64_t sk)
{
	unsigned int n;

	for (n = h->count; n > 0; n--) {
		unsigned int i = (h->head + n - 1) % HOLD_SLOTS;

		if (!h->cancelled[i] && h->ev[i].ev.sk == sk) {
			h->cancelled[i] = true;
			return true;
		}
	}
	return false;
}

void hold_release(struct hold *h, uint64_t cutoff_ns)
{
	while (h->count && h->ev[h->head].ev.ts_ns < cutoff_ns)
		pop_oldest(h);
}
