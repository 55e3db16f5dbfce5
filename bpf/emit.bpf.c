// SPDX-License-Identifier: GPL-2.0
/*
 * Writing events: a record sized for what it carries into the ring buffer,
 * or a count into its fold entry. Global functions: every hook calls them,
 * the verifier checks them once.
 */
#include "common.bpf.h"
#include "client.bpf.h"

/* Wake the reader only once a batch is worth it; it also polls on a timer. */
static __always_inline void submit(void *e)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(e, avail >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline void fill_listener(struct rt_listener *l, const struct ev_src *s)
{
	read_listener((const struct sock *)s->lsk, l);
	l->sk = s->lsk;
	l->flags = 0;
	__builtin_memset(&l->owner, 0, sizeof(l->owner));
	if (s->has_lowner) {
		l->owner = s->lowner;
		l->flags = RT_LF_OWNER;
	}
}

/*
 * Writes the record: base fields into e, sections where the caller has room
 * for them (l, k, c may be NULL). Used for the ring and for fold samples.
 */
static __always_inline void fill_record(struct rt_event *e, struct rt_listener *l,
					struct rt_link *k, struct rt_closed *c, struct rt_conn *cn,
					const struct ev_src *s, __u16 size)
{
	const struct rt_tuple *t = &s->t;
	__u32 flags = s->flags;

	e->ts_ns = bpf_ktime_get_boot_ns();
	e->sk = s->sk;
	e->type = s->type;
	e->netns = s->netns;
	e->reason = s->reason;
	__builtin_memcpy(e->laddr, t->laddr, 16);
	__builtin_memcpy(e->raddr, t->raddr, 16);
	e->lport = t->lport;
	e->rport = t->rport;
	e->family = t->family;
	e->state = s->state;
	e->prev_state = s->prev_state;
	e->path = s->path;
	e->size = size;
	e->sk_bits = s->sk_bits;
	e->pad0 = 0;
	e->unread_bytes = s->unread;
	e->state_age_ns = s->state_age_ns;
	e->repeat = s->repeat;
	e->pad1 = 0;
	/*
	 * The current task sent the reset only from a system call: one that
	 * holds the socket's lock, or a listener's close() resetting what its
	 * accept queue held. A timer runs in whatever task softirq interrupted.
	 */
	flags &= ~RT_F_CONTEXT;
	if ((flags & RT_F_ACTIVE) &&
	    ((s->sk_bits & RT_SK_LOCKED) || (s->has_owner && s->owner.source == RT_OWN_LISTENER))) {
		__u64 id = bpf_get_current_pid_tgid();

		flags |= RT_F_CONTEXT;

		e->ctx_tgid = id >> 32;
		e->ctx_pid = (__u32)id;
		bpf_get_current_comm(e->ctx_comm, sizeof(e->ctx_comm));
	} else {
		e->ctx_tgid = 0;
		e->ctx_pid = 0;
		__builtin_memset(e->ctx_comm, 0, sizeof(e->ctx_comm));
	}
	if (s->has_owner) {
		e->owner = s->owner;
		flags |= RT_F_OWNER;
	} else {
		__builtin_memset(&e->owner, 0, sizeof(e->owner));
		flags &= ~RT_F_OWNER;
	}
	flags &= ~(RT_F_LISTENER | RT_F_LINKED | RT_F_CLOSED_LISTENER | RT_F_CONN);
	if (l && s->lsk) {
		fill_listener(l, s);
		flags |= RT_F_LISTENER;
		if (l->accept_qlen > l->accept_qmax)
			flags |= RT_F_ACCEPTQ_FULL;
	}
	if (k && s->has_link) {
		*k = s->link;
		flags |= RT_F_LINKED;
	}
	if (c && s->has_closed) {
		*c = s->closed;
		flags |= RT_F_CLOSED_LISTENER;
	}
	/* Read from the socket here, into the record: the stack has no room for it. */
	if (cn && (s->flags & RT_F_CONN)) {
		rt_client_conn(s->sk, s->type == RT_EV_RST_RECEIVED ? s->state : 0, s->path, cn);
		flags |= RT_F_CONN;
	}
	e->flags = flags;
}

/*
 * Streams a record sized for what it carries. Resets sent and queue events
 * lay out listener, link, closed; resets received only a link. The sizes are
 * constants per branch, as bpf_ringbuf_reserve() requires.
 */
__noinline int rt_stream(struct ev_src *s)
{
	bool rx;
	void *r;

	if (!s)
		return 0;
	rx = s->type == RT_EV_RST_RECEIVED;
	if (rx && (s->flags & RT_F_CONN)) {
		/* The link's place is kept: sections are a prefix of the full layout. */
		r = bpf_ringbuf_reserve(&events, RT_SZ_RX_CONN, 0);
		if (!r)
			goto lost;
		if (!s->has_link)
			__builtin_memset(r + RT_SZ_BASE, 0, sizeof(struct rt_link));
		fill_record(r, NULL, r + RT_SZ_BASE, NULL, r + RT_SZ_RX_LINK, s, RT_SZ_RX_CONN);
	} else if (rx) {
		if (s->has_link) {
			r = bpf_ringbuf_reserve(&events, RT_SZ_RX_LINK, 0);
			if (!r)
				goto lost;
			fill_record(r, NULL, r + RT_SZ_BASE, NULL, NULL, s, RT_SZ_RX_LINK);
		} else {
			r = bpf_ringbuf_reserve(&events, RT_SZ_BASE, 0);
			if (!r)
				goto lost;
			fill_record(r, NULL, NULL, NULL, NULL, s, RT_SZ_BASE);
		}
	} else if (s->type >= RT_EV_CONNECT_RETRY) {
		r = bpf_ringbuf_reserve(&events, RT_SZ_CONN, 0);
		if (!r)
			goto lost;
		fill_record(r, NULL, NULL, NULL, r + RT_SZ_BASE, s, RT_SZ_CONN);
	} else if (s->has_closed) {
		r = bpf_ringbuf_reserve(&events, RT_SZ_CLOSED, 0);
		if (!r)
			goto lost;
		fill_record(r, r + RT_SZ_BASE, r + RT_SZ_LISTENER, r + RT_SZ_LINK, NULL, s,
			    RT_SZ_CLOSED);
	} else if (s->has_link) {
		r = bpf_ringbuf_reserve(&events, RT_SZ_LINK, 0);
		if (!r)
			goto lost;
		fill_record(r, r + RT_SZ_BASE, r + RT_SZ_LISTENER, NULL, NULL, s, RT_SZ_LINK);
	} else if (s->lsk) {
		r = bpf_ringbuf_reserve(&events, RT_SZ_LISTENER, 0);
		if (!r)
			goto lost;
		fill_record(r, r + RT_SZ_BASE, NULL, NULL, NULL, s, RT_SZ_LISTENER);
	} else {
		r = bpf_ringbuf_reserve(&events, RT_SZ_BASE, 0);
		if (!r)
			goto lost;
		fill_record(r, NULL, NULL, NULL, NULL, s, RT_SZ_BASE);
	}
	submit(r);
	return 0;
lost:
	count(RT_CNT_LOST);
	return 0;
}

/* The RT_F_* that change what an event means: a fold key holds them. */
#define RT_FOLD_FLAGS                                                                              \
	(RT_F_OWNER | RT_F_ACTIVE | RT_F_ACCEPTQ_FULL | RT_F_LOCAL_ABORT | RT_F_NO_REASON |        \
	 RT_F_LISTENER_BY_PORT | RT_F_LINKED | RT_F_CLOSED_LISTENER | RT_F_SYNCOOKIES |            \
	 RT_F_OWNER_CLOSED | RT_F_CONN | RT_F_OVERFLOW_SKB)

/*
 * The service's end of the connection: the port clients connect to, so that
 * a storm from many ephemeral ports folds into one key.
 */
static __always_inline void fold_key(struct rt_fold_key *k, const struct ev_src *s)
{
	const struct rt_tuple *t = &s->t;
	bool client = s->has_owner && s->owner.source == RT_OWN_CONNECT && !s->lsk;

	k->type = s->type;
	k->netns = s->netns;
	k->reason = s->reason;
	k->owner_tgid = s->has_owner ? s->owner.tgid : 0;
	k->flags = s->flags & RT_FOLD_FLAGS;
	k->listener = s->lsk;
	if (client) {
		__builtin_memcpy(k->svc_addr, t->raddr, 16);
		k->svc_port = t->rport;
	} else {
		__builtin_memcpy(k->svc_addr, t->laddr, 16);
		k->svc_port = t->lport;
	}
	k->family = t->family;
	k->state = s->state;
	k->prev_state = s->prev_state;
	k->path = s->path;
	k->pad[0] = s->sk_bits;
	k->pad[1] = 0;
}

#define RT_STORM_GAP_NS 2000000000ull /* a key quiet this long starts a new storm */

/* Never written: the initial value of a fold entry (too big for the stack). */
static const struct rt_fold_val fold_empty = {};

/*
 * The fold entry of this key in this epoch, created on the key's first
 * event of the epoch with what its storm streamed so far. NULL when the
 * table is full.
 */
static __always_inline struct rt_fold_val *fold_entry(struct rt_fold_key *key)
{
	struct rt_fold_recent *rec, fresh = {};
	struct rt_fold_val *v;
	__u64 now;
	__u32 carried = 0;

	key->epoch = fold_epoch;
	v = bpf_map_lookup_elem(&folds, key);
	if (v)
		return v;
	now = bpf_ktime_get_boot_ns();
	key->epoch = 0;
	rec = bpf_map_lookup_elem(&fold_recent, key);
	if (rec && now - rec->last_ns < RT_STORM_GAP_NS) {
		carried = rec->streamed;
		rec->last_ns = now;
	} else {
		fresh.last_ns = now;
		bpf_map_update_elem(&fold_recent, key, &fresh, BPF_ANY);
	}
	key->epoch = fold_epoch;
	/* Another CPU may create it at the same time: either insert wins. */
	bpf_map_update_elem(&folds, key, &fold_empty, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&folds, key);
	if (v && carried > v->streamed)
		v->streamed = carried;
	return v;
}

/* Counts one streamed event of the key's storm, across epochs. */
static __always_inline void fold_note_streamed(struct rt_fold_key *key, struct rt_fold_val *v)
{
	struct rt_fold_recent *rec;
	__u32 epoch = key->epoch;

	__sync_fetch_and_add(&v->streamed, 1);
	key->epoch = 0;
	rec = bpf_map_lookup_elem(&fold_recent, key);
	if (rec)
		rec->streamed = v->streamed;
	key->epoch = epoch;
}

/*
 * A reset received may be the kernel's own tcp_reset(), taken back when the
 * reset it sends follows (bpf/local_abort.bpf.h): remember where it was
 * counted. Only the entry of the socket that local_abort remembered.
 */
static __always_inline void note_folded(const struct ev_src *s, const struct rt_fold_key *key,
					bool sample)
{
	struct last_reset *last;
	__u32 zero = 0;

	if (s->type != RT_EV_RST_RECEIVED)
		return;
	last = bpf_map_lookup_elem(&last_reset_sk, &zero);
	if (!last || last->sk != s->sk || !last->counted)
		return;
	last->fold_key = *key;
	last->fold_sample = sample;
	last->folded = 1;
}

/*
 * Streams the event, or counts it into its fold entry once its storm has
 * streamed fold_threshold events. The first event folded in an epoch is
 * kept whole as the entry's sample, for userspace to render with the count;
 * so is the next one after a taken-back sample (resample).
 */
__noinline int rt_emit(struct ev_src *s)
{
	struct rt_fold_key key = {};
	struct rt_fold_val *v;
	bool sample;
	__u64 now;

	if (!s)
		return 0;
	if (!fold_threshold)
		return rt_stream(s);
	fold_key(&key, s);
	v = fold_entry(&key);
	if (!v) {
		/* Nothing may vanish with its count: stream what cannot be folded. */
		count(RT_CNT_FOLD_FULL);
		return rt_stream(s);
	}
	if (v->streamed < fold_threshold) {
		fold_note_streamed(&key, v);
		return rt_stream(s);
	}
	now = bpf_ktime_get_boot_ns();
	sample = __sync_fetch_and_add(&v->count, 1) == 0;
	if (sample)
		v->first_ns = now;
	else if (v->resample && __sync_val_compare_and_swap(&v->resample, 1, 0) == 1)
		sample = true;
	if (sample)
		fill_record(&v->sample, &v->listener, &v->link, &v->closed, &v->conn, s,
			    RT_SZ_CLOSED);
	v->last_ns = now;
	count(RT_CNT_FOLDED);
	note_folded(s, &key, sample);
	return 0;
}
