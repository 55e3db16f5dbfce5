/* SPDX-License-Identifier: GPL-2.0 */
/* From an open file to its TCP socket. */
#ifndef RSTTRACE_FILE_BPF_H
#define RSTTRACE_FILE_BPF_H

#define RT_S_IFMT   00170000
#define RT_S_IFSOCK 0140000

static __always_inline bool file_is_socket(const struct file *f)
{
	return (BPF_CORE_READ(f, f_inode, i_mode) & RT_S_IFMT) == RT_S_IFSOCK;
}

static __always_inline const struct sock *tcp_sock_of_file(const struct file *f)
{
	const struct socket *sock;
	const struct sock *sk;
	__u16 family;

	if (!f || !file_is_socket(f))
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != RT_AF_INET && family != RT_AF_INET6)
		return NULL;
	return sk;
}

/* The TCP socket behind a descriptor of the current process, or NULL. */
static __always_inline const struct sock *tcp_sock_of_fd(long fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct file **fds;
	struct file *f;

	if (fd < 0 || fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return tcp_sock_of_file(f);
}

#endif
