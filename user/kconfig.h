/* SPDX-License-Identifier: GPL-2.0 */
/* Values of the running kernel's build configuration. */
#ifndef RSTTRACE_KCONFIG_H
#define RSTTRACE_KCONFIG_H

/*
 * CONFIG_HZ from /boot/config-RELEASE or /proc/config.gz, 0 when neither
 * is there (what needs it is then left out, not guessed).
 */
unsigned int kconfig_hz(void);

#endif
