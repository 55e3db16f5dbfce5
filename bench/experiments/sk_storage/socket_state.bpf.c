// SPDX-License-Identifier: GPL-2.0
/*
 * Experiment: rsttrace's per-socket entry (owner, last state change) kept in
 * an LRU hash keyed by the socket's address, as bpf/owner.bpf.c does, against
 * socket-local storage (BPF_MAP_TYPE_SK_STORAGE). Both variants run on the
 * same state changes of the same connections; each times its own map work
 * with two clock reads (the same overhead on both sides), bpf_stats times
 * the whole program. See README.md.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define TCP_PROTO 6

/* The size of struct rt_sock_info (include/rsttrace.h). */
struct entry {
	__u64 cgroup_id;
	__u64 start_ns;
	__u32 tgid;
	__u32 pid;
	char comm[16];
	__u8 source;
	__u8 pad[7];
	__u64 state_ts;
	__u64 parent;
	__u8 last_oldstate;
	__u8 pad2[7];
	__u64 born_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct entry);
} by_address SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct entry);
} by_socket SEC(".maps");

/* ns spent and operations, per variant: created, updated; misses. */
__u64 hash_create_ns, hash_creates, hash_update_ns, hash_updates, hash_misses;
__u64 local_create_ns, local_creates, local_update_ns, local_updates, local_misses;

static __always_inline bool creates_entry(int oldstate, int newstate)
{
	return newstate == TCP_SYN_SENT || (newstate == TCP_SYN_RECV && oldstate == TCP_LISTEN);
}

static __always_inline void fill(struct entry *e, int oldstate)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->tgid = id >> 32;
	e->pid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->state_ts = bpf_ktime_get_boot_ns();
	e->born_ns = e->state_ts;
	e->last_oldstate = oldstate;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(hash_state, const struct sock *sk, int oldstate, int newstate)
{
	struct entry fresh = {}, *e;
	__u64 key = (__u64)sk;
	__u64 t0;

	if (sk->sk_protocol != TCP_PROTO)
		return 0;
	t0 = bpf_ktime_get_ns();
	if (creates_entry(oldstate, newstate)) {
		fill(&fresh, oldstate);
		bpf_map_update_elem(&by_address, &key, &fresh, BPF_ANY);
		__sync_fetch_and_add(&hash_create_ns, bpf_ktime_get_ns() - t0);
		__sync_fetch_and_add(&hash_creates, 1);
		return 0;
	}
	e = bpf_map_lookup_elem(&by_address, &key);
	if (!e) {
		__sync_fetch_and_add(&hash_misses, 1);
		return 0;
	}
	e->last_oldstate = oldstate;
	e->state_ts = bpf_ktime_get_boot_ns();
	__sync_fetch_and_add(&hash_update_ns, bpf_ktime_get_ns() - t0);
	__sync_fetch_and_add(&hash_updates, 1);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(hash_destroy, const struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&by_address, &key);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(local_state, struct sock *sk, int oldstate, int newstate)
{
	struct entry *e;
	__u64 t0;

	if (sk->sk_protocol != TCP_PROTO)
		return 0;
	t0 = bpf_ktime_get_ns();
	if (creates_entry(oldstate, newstate)) {
		e = bpf_sk_storage_get(&by_socket, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (e)
			fill(e, oldstate);
		__sync_fetch_and_add(&local_create_ns, bpf_ktime_get_ns() - t0);
		__sync_fetch_and_add(&local_creates, 1);
		return 0;
	}
	e = bpf_sk_storage_get(&by_socket, sk, 0, 0);
	if (!e) {
		__sync_fetch_and_add(&local_misses, 1);
		return 0;
	}
	e->last_oldstate = oldstate;
	e->state_ts = bpf_ktime_get_boot_ns();
	__sync_fetch_and_add(&local_update_ns, bpf_ktime_get_ns() - t0);
	__sync_fetch_and_add(&local_updates, 1);
	return 0;
}

/* Nothing to delete: the storage is freed with the socket (outside bpf_stats). */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(local_destroy, struct sock *sk)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
