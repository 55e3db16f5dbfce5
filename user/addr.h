/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RSTTRACE_ADDR_H
#define RSTTRACE_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* Longest "[ffff:...:ffff]:65535" plus NUL. */
#define RT_ENDPOINT_LEN 56
#define RT_ADDR_LEN	46

/*
 * Formats an address as the kernel event carries it: IPv4 in the first four
 * bytes for AF_INET, 16 bytes for AF_INET6 (IPv4-mapped ones print as IPv4).
 * Returns the family actually printed (AF_INET for mapped addresses).
 */
int rt_format_addr(int family, const uint8_t addr[16], char *buf, size_t len);

/* "1.2.3.4:80" or "[::1]:80". */
void rt_format_endpoint(int family, const uint8_t addr[16], uint16_t port, char *buf, size_t len);

#endif
