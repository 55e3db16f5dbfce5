// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "goexe.h"
#include "listen_limits.h"
#include "servers.h"
#include "unit.h"

#define SEC 1000000000ull

static struct rt_listen_call seen_call(int32_t backlog, uint32_t somaxconn)
{
	struct rt_listen_call c = {.ts_ns = 1, .backlog = backlog, .somaxconn = somaxconn};

	return c;
}

static void judge(uint32_t limit, uint32_t somaxconn, const struct rt_listen_call *call,
		  const struct rt_burst *b, const char *comm, bool go, struct limit_verdict *v)
{
	char name[RT_COMM_LEN] = {0};
	struct limit_facts f = {.limit = limit,
				.somaxconn = somaxconn,
				.call = call,
				.burst = b,
				.tgid = 812,
				.is_go = go};

	if (comm) {
		strncpy(name, comm, RT_COMM_LEN - 1);
		f.comm = name;
	}
	limits_judge(&f, v);
}

static void test_limits_round_up(void)
{
	CHECK_INT(limits_round_up(0), 1);
	CHECK_INT(limits_round_up(1), 1);
	CHECK_INT(limits_round_up(5), 8);
	CHECK_INT(limits_round_up(8), 8);
	CHECK_INT(limits_round_up(12), 16);
	CHECK_INT(limits_round_up(40), 64);
	CHECK_INT(limits_round_up(0xffffffffu), 1u << 31);
}

static void test_limits_source(void)
{
	struct rt_listen_call c;
	struct limit_verdict v;

	c = seen_call(4, 4096);
	judge(4, 4096, &c, NULL, "rttapp", false, &v);
	CHECK_INT(v.source, LIMIT_BACKLOG);
	CHECK_STR(limit_source_name(v.source), "listen_backlog");
	CHECK(!v.restart);
	c = seen_call(4096, 8);
	judge(8, 8, &c, NULL, "rttapp", false, &v);
	CHECK_INT(v.source, LIMIT_SOMAXCONN);
	CHECK(v.restart);
	judge(8, 4096, &c, NULL, "rttapp", false, &v);
	CHECK_INT(v.source, LIMIT_SOMAXCONN_THEN);
	CHECK_STR(limit_source_name(v.source), "somaxconn_at_listen");
	/* listen(fd, -1): the kernel compares it as unsigned, somaxconn binds. */
	c = seen_call(-1, 128);
	judge(128, 128, &c, NULL, "rttapp", false, &v);
	CHECK_INT(v.source, LIMIT_SOMAXCONN);
	/* Equal: the application asked exactly that, unless Go passed somaxconn itself. */
	c = seen_call(16, 16);
	judge(16, 16, &c, NULL, "rttapp", false, &v);
	CHECK_INT(v.source, LIMIT_BACKLOG);
	judge(16, 16, &c, NULL, "server", true, &v);
	CHECK_INT(v.source, LIMIT_SOMAXCONN);
	CHECK_STR(v.server->name, "Go");
	/* listen() not seen: only what is certain. */
	judge(4, 4096, NULL, NULL, "rttapp", false, &v);
	CHECK_INT(v.source, LIMIT_BACKLOG_OR_SOMAXCONN);
	CHECK(!v.call_seen);
	c.ts_ns = 0;
	judge(4096, 4096, &c, NULL, "rttapp", false, &v);
	CHECK_INT(v.source, LIMIT_UNSEEN_AT_SOMAXCONN);
	judge(4096, 128, NULL, NULL, "rttapp", false, &v);
	CHECK_INT(v.source, LIMIT_UNSEEN_ABOVE);
	CHECK(v.restart);
}

static void test_limits_burst(void)
{
	struct rt_burst b = {.start_ns = 10 * SEC,
			     .end_ns = 10 * SEC + SEC / 2,
			     .arrive_ns = 10 * SEC + SEC / 2,
			     .arrived = 35,
			     .peak = 40,
			     .overflowed = 35,
			     .pending = 35,
			     .nr = 1};
	struct rt_listen_call c = seen_call(4, 4096);
	struct limit_verdict v;

	judge(4, 4096, &c, &b, "rttapp", false, &v);
	CHECK(v.has_burst);
	CHECK_INT(v.peak, 40);
	CHECK_INT(v.recommended, 64);
	CHECK(!v.raise_somaxconn);
	CHECK(v.rates_known);
	CHECK_INT(v.arrival_per_s, 70);
	CHECK_INT(v.pace, PACE_UNKNOWN); /* half a second tells no pace */
	judge(4, 32, &c, &b, "rttapp", false, &v);
	CHECK(v.raise_somaxconn);
	/* Two seconds without an accept(). */
	b.end_ns = b.start_ns + 2 * SEC;
	b.arrive_ns = b.end_ns;
	judge(4, 4096, &c, &b, "rttapp", false, &v);
	CHECK_INT(v.pace, PACE_NOT_ACCEPTING);
	CHECK_STR(limit_pace_name(v.pace), "not_accepting");
	/* 100/s accepted while 1,000/s arrived: more than a second of accepts queued. */
	b.accepted = 200;
	b.arrive_accepted = 200;
	b.arrived = 2000;
	b.peak = 300;
	judge(4, 4096, &c, &b, "rttapp", false, &v);
	CHECK_INT(v.accept_per_s, 100);
	CHECK_INT(v.arrival_per_s, 1000);
	CHECK_INT(v.pace, PACE_TOO_SLOW);
	/* Accepts keep up (1,000/s): the queue only has to absorb the burst. */
	b.accepted = 2000;
	b.arrive_accepted = 2000;
	judge(4, 4096, &c, &b, "rttapp", false, &v);
	CHECK_INT(v.pace, PACE_BURST);
	/* A peak within the queue (limit + 1 fit) still asks for more than the limit. */
	b.peak = 3;
	judge(4, 4096, &c, &b, "rttapp", false, &v);
	CHECK(v.recommended > 4);
}

static void test_limits_text(void)
{
	struct rt_burst b = {.start_ns = SEC,
			     .end_ns = 3 * SEC,
			     .arrive_ns = 3 * SEC,
			     .arrived = 2000,
			     .arrive_accepted = 200,
			     .peak = 300,
			     .overflowed = 250,
			     .queued = 1800,
			     .pending = 200,
			     .accepted = 200,
			     .nr = 1};
	struct rt_listen_call c = seen_call(4, 4096);
	struct limit_verdict v;
	char buf[1024], small[40];

	judge(4, 4096, &c, &b, "nginx", false, &v);
	limits_text(&v, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "limit 4 = nginx's listen backlog (listen(fd, 4); net.core.somaxconn "
			    "(4096 in that netns) is higher)");
	CHECK_CONTAINS(buf, "the burst needed 300 (connections waiting or dropped at once, 250 of "
			    "them overflowed)");
	CHECK_CONTAINS(buf, "a limit of 512 would have absorbed it: set backlog=512 in nginx's "
			    "listen directive");
	CHECK_CONTAINS(buf, "but pid 812 (nginx) accepted 100/s while 1000/s arrived for 2.0 s");
	CHECK_CONTAINS(buf, "the application is too slow to accept; a backlog of 512 would only "
			    "delay the drops (its last connection would wait 5.1 s); accept faster "
			    "or add workers");
	CHECK(strstr(buf, "waited") == NULL);
	limits_setting(&v, buf, sizeof(buf));
	CHECK_STR(buf,
		  "backlog=512 in nginx's listen directive (listen ... backlog=N; default 511)");

	/* With the listener's accept() waits: how long its connections waited. */
	{
		static struct rt_accept_wait w;
		struct limit_facts f = {.limit = 4,
					.somaxconn = 4096,
					.call = &c,
					.burst = &b,
					.comm = "nginx",
					.tgid = 812,
					.wait = &w};
		int i;

		memset(&w, 0, sizeof(w));
		for (i = 0; i < 100; i++) {
			uint64_t ns = (1200 + (uint64_t)i) * 1000000;

			w.buckets[rt_wait_bucket(ns)]++;
			w.sum_ns += ns;
		}
		w.accepted = 100;
		w.max_ns = 1299000000;
		w.first_ns = SEC;
		w.last_ns = SEC + 99 * SEC / 100;
		limits_judge(&f, &v);
		CHECK(v.wait.known && v.wait.rate_known);
		CHECK_INT(v.wait.accept_per_s, 100);
		limits_text(&v, buf, sizeof(buf));
		CHECK_CONTAINS(buf,
			       "the application is too slow to accept; accepted connections "
			       "waited 1.25 s (p50), 1.30 s (p99), 1.30 s (max) in the queue; a "
			       "backlog of 512 would only delay the drops");
	}

	/* somaxconn lowered after listen(): the listener keeps its backlog. */
	judge(4, 2, &c, &b, "nginx", false, &v);
	limits_text(&v, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "limit 4 = nginx's listen backlog (listen(fd, 4), when "
			    "net.core.somaxconn was 4096; it is 2 in that netns now)");

	c = seen_call(4096, 128);
	judge(128, 4096, &c, NULL, "nginx", false, &v);
	limits_text(&v, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "limit 128 = somaxconn at the time pid 812 (nginx) called listen(fd, "
			    "4096); net.core.somaxconn is now 4096 in that netns, but this "
			    "listener keeps its limit of 128 until it calls listen() again");
	CHECK_CONTAINS(buf, "to raise it (to 512, say): restart pid 812 (nginx) so that it calls "
			    "listen() again");

	c = seen_call(16, 16);
	b.accepted = 4000;
	b.arrive_accepted = 4000;
	judge(16, 16, &c, &b, "server", true, &v);
	limits_text(&v, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "limit 16 = somaxconn: net.core.somaxconn (16 in that netns)");
	CHECK_CONTAINS(buf, "raise net.core.somaxconn to 512 in that netns and restart pid 812 "
			    "(server) (Go reads somaxconn once per process");
	CHECK(!strstr(buf, "but pid"));
	/* Raised since: the running Go process keeps its value, a restart is all it takes. */
	judge(16, 4096, &c, &b, "server", true, &v);
	limits_text(&v, buf, sizeof(buf));
	CHECK_INT(v.source, LIMIT_SOMAXCONN_THEN);
	CHECK_CONTAINS(buf,
		       "a limit of 512 would have absorbed it: restart pid 812 (server) (Go reads "
		       "somaxconn once per process");

	judge(4, 4096, NULL, NULL, "rttapp", false, &v);
	limits_text(&v, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "the listener is older than rsttrace: its listen() backlog is unknown");
	CHECK(!strstr(buf, "limit 4 ="));
	limits_setting(&v, buf, sizeof(buf));
	CHECK_STR(buf, "");

	/* A control byte in a process name never reaches the terminal. */
	c = seen_call(4, 4096);
	judge(4, 4096, &c, &b, "a\033b", false, &v);
	limits_text(&v, buf, sizeof(buf));
	CHECK(!strchr(buf, '\033'));

	/* Cut, never overrun. */
	judge(4, 4096, &c, &b, "nginx", false, &v);
	limits_text(&v, small, sizeof(small));
	CHECK_INT(strlen(small), sizeof(small) - 1);

	v.source = LIMIT_NONE;
	limits_text(&v, buf, sizeof(buf));
	CHECK_STR(buf, "");
}

static void test_servers_table(void)
{
	const char full[RT_COMM_LEN] = {'r', 'e', 'd', 'i', 's', '-', 's', 'e',
					'r', 'v', 'e', 'r', 'x', 'y', 'z', 'w'};
	unsigned int i;

	CHECK_STR(server_by_comm("nginx", RT_COMM_LEN)->name, "nginx");
	CHECK_STR(server_by_comm("python3.11", RT_COMM_LEN)->name, "Python");
	CHECK_STR(server_by_comm("gunicorn: maste", RT_COMM_LEN)->name, "gunicorn");
	CHECK_STR(server_by_comm("apache2", RT_COMM_LEN)->name, "Apache");
	CHECK_STR(server_by_comm(full, RT_COMM_LEN)->name, "Redis"); /* no NUL */
	CHECK(server_by_comm("rttapp", RT_COMM_LEN) == NULL);
	CHECK(server_by_comm("", RT_COMM_LEN) == NULL);
	CHECK(server_go() != NULL);
	/* Every setting is a format with exactly one %u and no other conversion. */
	CHECK(servers_count() >= 12);
	for (i = 0; i < servers_count(); i++) {
		const struct server_setting *s = server_at(i);
		const char *p = strchr(s->setting, '%');

		CHECK(p && p[1] == 'u' && !strchr(p + 2, '%'));
		CHECK(s->source && s->source[0]);
	}
	CHECK(server_at(servers_count()) == NULL);
}

/* An ELF64 file with a .shstrtab and, optionally, a .go.buildinfo section. */
static int fake_elf(bool go)
{
	static const char names[] = "\0.shstrtab\0.go.buildinfo\0.text\0";
	char path[] = "/tmp/rtt-goexe-XXXXXX";
	Elf64_Shdr sh[3] = {0};
	Elf64_Ehdr eh = {0};
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 3;
	eh.e_shstrndx = 1;
	eh.e_shoff = sizeof(eh) + sizeof(names);
	sh[1].sh_name = 1;
	sh[1].sh_offset = sizeof(eh);
	sh[1].sh_size = sizeof(names);
	sh[2].sh_name = go ? 11 : 25;
	if (write(fd, &eh, sizeof(eh)) != sizeof(eh) ||
	    write(fd, names, sizeof(names)) != sizeof(names) ||
	    write(fd, sh, sizeof(sh)) != sizeof(sh)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_goexe(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);

	CHECK(fd >= 0);
	CHECK(!goexe_elf_is_go(fd));
	close(fd);
	fd = fake_elf(true);
	CHECK(fd >= 0);
	CHECK(goexe_elf_is_go(fd));
	close(fd);
	fd = fake_elf(false);
	CHECK(fd >= 0);
	CHECK(!goexe_elf_is_go(fd));
	close(fd);
	CHECK(!goexe_is_go(0, 0));
	CHECK(!goexe_is_go((uint32_t)getpid(), 0));
}

void run_listen_limits_tests(void)
{
	RUN_TEST(test_limits_round_up);
	RUN_TEST(test_limits_source);
	RUN_TEST(test_limits_burst);
	RUN_TEST(test_limits_text);
	RUN_TEST(test_servers_table);
	RUN_TEST(test_goexe);
}
