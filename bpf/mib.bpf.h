/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's own listen counters per CPU and netns (bpf/mib.bpf.c). */
#ifndef RSTTRACE_MIB_BPF_H
#define RSTTRACE_MIB_BPF_H

enum rt_mib {
	RT_MIB_LISTEN_OVERFLOWS = 0,
	RT_MIB_REQQ_DROP = 1,	 /* TCPReqQFullDrop: SYN queue full, no cookies */
	RT_MIB_REQQ_COOKIES = 2, /* TCPReqQFullDoCookies: SYN queue full, a cookie */
	RT_MIB_NR,
};

#define RT_THIS_CPU	0xffffffffu
#define RT_MIB_MAX_CPUS 256

struct rt_mib_delta {
	__u64 d[RT_MIB_NR]; /* increments on this CPU since the last event here */
	__u32 fresh;	    /* no baseline yet: increments unknown this once */
	__u32 pad;
};

/* Baselines for every CPU of netns (its struct net at 'net'), where missing. */
extern int rt_mib_init(__u64 net, __u32 netns) __hidden;
/*
 * This CPU's increments in netns since the last event here. Without a
 * baseline here, 'init' makes one (d->fresh); else nothing is known.
 */
extern int rt_mib_delta(__u64 net, __u32 netns, struct rt_mib_delta *d, int init) __hidden;

#endif
