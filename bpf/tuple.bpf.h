/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RSTTRACE_TUPLE_BPF_H
#define RSTTRACE_TUPLE_BPF_H

/* Local and remote ends in host byte order ports, v4 in the first 4 bytes. */
struct rt_tuple {
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u8 family;
	__u8 pad[3];
};

#endif
