// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <sys/socket.h>
#include "hold.h"
#include "peer_link.h"
#include "record.h"

/* A reset reaches its peer within a round trip: one second is generous. */
#define PEER_WINDOW_NS 1000000000ull
/* Recent resets sent, by connection; a newer one takes an older one's slot. */
#define PEER_SLOTS 1024

struct peer_key {
	uint8_t laddr[16]; /* the sender's side */
	uint8_t raddr[16];
	uint16_t lport;
	uint16_t rport;
	uint8_t family;
};

struct peer_slot {
	struct peer_key key;
	uint32_t netns;
	bool used;
	struct peer_sent sent;
};

static struct peer_slot slots[PEER_SLOTS];

static uint32_t key_hash(const struct peer_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h % PEER_SLOTS;
}

static bool is_loopback(uint8_t family, const uint8_t *addr)
{
	static const uint8_t v6_loopback[16] = {[15] = 1};

	return family == AF_INET ? addr[0] == 127 : !memcmp(addr, v6_loopback, 16);
}

/* The connection as its reset's sender sees it: 'swapped' for the receiving end. */
static void sender_key(struct peer_key *k, const struct rt_event *e, bool swapped)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->laddr, swapped ? e->raddr : e->laddr, 16);
	memcpy(k->raddr, swapped ? e->laddr : e->raddr, 16);
	k->lport = swapped ? e->rport : e->lport;
	k->rport = swapped ? e->lport : e->rport;
	k->family = e->family;
}

void peer_link_note_sent(const struct rt_record *r)
{
	const struct rt_event *e = &r->ev;
	struct peer_slot *s;
	struct peer_key k;

	if (e->type != RT_EV_RST_SENT || !r->diag.code)
		return;
	sender_key(&k, e, false);
	s = &slots[key_hash(&k)];
	memset(s, 0, sizeof(*s));
	s->key = k;
	s->netns = e->netns;
	s->used = true;
	s->sent.found = true;
	s->sent.code = r->diag.code;
	s->sent.ts_ns = e->ts_ns;
	/* Who sent it: the task that closed or aborted it, else the socket's owner. */
	if (e->flags & RT_F_ACTIVE) {
		s->sent.tgid = e->ctx_tgid;
		memcpy(s->sent.comm, e->ctx_comm, RT_COMM_LEN);
	} else if (e->flags & RT_F_OWNER) {
		s->sent.tgid = e->owner.tgid;
		memcpy(s->sent.comm, e->owner.comm, RT_COMM_LEN);
	}
	s->sent.comm[RT_COMM_LEN - 1] = '\0';
}

void peer_link_find(struct rt_record *r)
{
	const struct rt_event *e = &r->ev;
	const struct peer_slot *s;
	struct peer_key k;

	memset(&r->peer, 0, sizeof(r->peer));
	if (e->type != RT_EV_RST_RECEIVED)
		return;
	/* The sender's local side is this socket's remote side. */
	sender_key(&k, e, true);
	s = &slots[key_hash(&k)];
	if (!s->used || memcmp(&s->key, &k, sizeof(k)))
		return;
	/* The sender's tracepoint may fire after the peer received it (user/ring.c). */
	if (s->sent.ts_ns > e->ts_ns + HOLD_NS || e->ts_ns > s->sent.ts_ns + PEER_WINDOW_NS)
		return;
	/* Loopback addresses name a different host in every netns. */
	if (s->netns != e->netns && is_loopback(e->family, e->raddr))
		return;
	r->peer = s->sent;
}

void peer_link_reset(void)
{
	memset(slots, 0, sizeof(slots));
}
