// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup resolver: one thread, one lock around the cache, nothing else
 * shared. cgroup ids are never reused while the system runs, so an entry
 * never goes stale: it only leaves the cache when newer ones push it out.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>
#include "cgroups.h"

#define BUCKETS	     1024
#define MAX_REQUESTS 64
#define MAX_DEPTH    32
/* An id a walk did not find (its cgroup is gone) is not searched again for this long. */
#define NEGATIVE_NS 5000000000ull
/* Walks on request at most this often: a storm of unknown ids costs one walk. */
#define WALK_GAP_NS 100000000ull

struct entry {
	uint64_t id;
	char *path;
	struct cg_identity ident;
	struct entry *next;
};

struct watch {
	int wd;
	char *path;
};

struct negative {
	uint64_t id;
	uint64_t until_ns;
};

static struct {
	pthread_mutex_t lock; /* guards everything up to 'st' */
	struct entry *bucket[BUCKETS];
	uint64_t fifo[CG_CACHE_MAX]; /* ids in the order learnt: the oldest leaves first */
	unsigned int fifo_head, count;
	uint64_t requests[MAX_REQUESTS];
	unsigned int nr_requests;
	struct negative negative[MAX_REQUESTS];
	unsigned int negative_next;
	struct cg_stats st;
	/* The thread's own. */
	pthread_t thread;
	bool running;
	int inotify_fd, wake_fd;
	volatile int stop;
	struct watch watches[CG_CACHE_MAX];
	unsigned int nr_watches;
	uint64_t last_walk_ns;
	char mount[256];
	bool have_mount;
} cg = {.lock = PTHREAD_MUTEX_INITIALIZER, .inotify_fd = -1, .wake_fd = -1};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *cgroups_v2_mount(void)
{
	char line[1024];
	FILE *f;

	if (cg.have_mount)
		return cg.mount;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), *fields[5], *save = NULL, *p = line;
		int i;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		for (i = 0; i < 5; i++, p = NULL)
			fields[i] = strtok_r(p, " ", &save);
		if (!fields[4] || strlen(fields[4]) >= sizeof(cg.mount))
			continue;
		snprintf(cg.mount, sizeof(cg.mount), "%s", fields[4]);
		cg.have_mount = true;
		break;
	}
	fclose(f);
	return cg.have_mount ? cg.mount : NULL;
}

/* The kernfs node id, which is the cgroup id, from the file handle of a directory. */
static int id_at(int dirfd, const char *name, uint64_t *id)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + 16];
	} h;
	int mount_id;

	h.fh.handle_bytes = 16;
	if (name_to_handle_at(dirfd, name, &h.fh, &mount_id, 0))
		return -errno;
	if (h.fh.handle_bytes < sizeof(*id))
		return -EINVAL;
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

int cgroups_id_of(const char *path, uint64_t *id)
{
	const char *mount = cgroups_v2_mount();
	char full[CG_PATH_MAX + 256];
	size_t ml;

	if (!mount)
		return -ENOENT;
	ml = strlen(mount);
	if (!strncmp(path, mount, ml) && (path[ml] == '/' || !path[ml]))
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", mount, path[0] == '/' ? path + 1 : path);
	return id_at(AT_FDCWD, full, id);
}

static struct entry **slot(uint64_t id)
{
	return &cg.bucket[(id ^ (id >> 17)) % BUCKETS];
}

static struct entry *find(uint64_t id)
{
	struct entry *e;

	for (e = *slot(id); e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

static void drop(uint64_t id)
{
	struct entry **pp, *e;

	for (pp = slot(id); (e = *pp); pp = &e->next)
		if (e->id == id) {
			*pp = e->next;
			free(e->path);
			free(e);
			return;
		}
}

/* Called with the lock held. */
static void insert(uint64_t id, const char *path)
{
	struct entry *e;

	if (find(id))
		return;
	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->path = strdup(path);
	if (!e->path) {
		free(e);
		return;
	}
	e->id = id;
	cgroup_parse(path, &e->ident);
	/* A ring: fifo_head is the oldest of 'count' ids. */
	if (cg.count == CG_CACHE_MAX) {
		drop(cg.fifo[cg.fifo_head]);
		cg.fifo_head = (cg.fifo_head + 1) % CG_CACHE_MAX;
		cg.count--;
		cg.st.evicted++;
	}
	cg.fifo[(cg.fifo_head + cg.count) % CG_CACHE_MAX] = id;
	cg.count++;
	e->next = *slot(id);
	*slot(id) = e;
	cg.st.entries = cg.count;
}

static bool is_negative(uint64_t id, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < MAX_REQUESTS; i++)
		if (cg.negative[i].id == id && cg.negative[i].until_ns > now)
			return true;
	return false;
}

bool cgroups_lookup(uint64_t id, struct cg_info *out)
{
	const struct entry *e;
	bool wake = false;
	unsigned int i;

	out->known = false;
	if (!id || !cg.running)
		return false;
	pthread_mutex_lock(&cg.lock);
	e = find(id);
	if (e) {
		size_t len = strlen(e->path);

		if (len < sizeof(out->path)) {
			memcpy(out->path, e->path, len + 1);
		} else {
			memcpy(out->path, e->path, sizeof(out->path) - 4);
			memcpy(out->path + sizeof(out->path) - 4, "...", 4);
		}
		out->ident = e->ident;
		out->known = true;
		cg.st.hits++;
		pthread_mutex_unlock(&cg.lock);
		return true;
	}
	cg.st.misses++;
	for (i = 0; i < cg.nr_requests; i++)
		if (cg.requests[i] == id)
			break;
	if (i == cg.nr_requests && cg.nr_requests < MAX_REQUESTS && !is_negative(id, now_ns())) {
		cg.requests[cg.nr_requests++] = id;
		wake = true;
	}
	pthread_mutex_unlock(&cg.lock);
	if (wake) {
		uint64_t one = 1;

		/* Non-blocking eventfd: at worst the thread is already awake. */
		if (write(cg.wake_fd, &one, sizeof(one)) < 0)
			return false;
	}
	return false;
}

void cgroups_stats(struct cg_stats *st)
{
	pthread_mutex_lock(&cg.lock);
	*st = cg.st;
	st->entries = cg.count;
	pthread_mutex_unlock(&cg.lock);
}

/* --- the thread's side --- */

static void add_watch(const char *rel)
{
	char full[CG_PATH_MAX + 256];
	int wd;

	if (cg.nr_watches == CG_CACHE_MAX)
		return;
	snprintf(full, sizeof(full), "%s%s", cg.mount, rel);
	wd = inotify_add_watch(cg.inotify_fd, full, IN_CREATE | IN_ONLYDIR | IN_DONT_FOLLOW);
	if (wd < 0)
		return;
	cg.watches[cg.nr_watches].wd = wd;
	cg.watches[cg.nr_watches].path = strdup(rel);
	if (cg.watches[cg.nr_watches].path)
		cg.nr_watches++;
	else
		inotify_rm_watch(cg.inotify_fd, wd);
}

static void forget_watch(int wd)
{
	unsigned int i;

	for (i = 0; i < cg.nr_watches; i++)
		if (cg.watches[i].wd == wd) {
			free(cg.watches[i].path);
			cg.watches[i] = cg.watches[--cg.nr_watches];
			return;
		}
}

static bool requested(uint64_t id, const uint64_t *ids, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/*
 * Walks the directory 'rel' (relative to the mount, "" for the root) and
 * below: learns every cgroup and watches it when 'ids' is NULL, else only
 * the ids asked for (a host may have more cgroups than the cache holds).
 */
static void walk(char *rel, size_t len, int depth, const uint64_t *ids, unsigned int nr_ids,
		 unsigned int *found)
{
	char full[CG_PATH_MAX + 256];
	struct dirent *d;
	uint64_t id = 0;
	DIR *dir;

	snprintf(full, sizeof(full), "%s%s", cg.mount, rel);
	if (id_at(AT_FDCWD, full, &id) == 0 && (!ids || requested(id, ids, nr_ids))) {
		pthread_mutex_lock(&cg.lock);
		insert(id, len ? rel : "/");
		pthread_mutex_unlock(&cg.lock);
		if (found)
			(*found)++;
	}
	if (!ids)
		add_watch(rel);
	if (depth >= MAX_DEPTH || cg.stop)
		return;
	dir = opendir(full);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		size_t n = strlen(d->d_name);

		if (d->d_type != DT_DIR || !strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (len + 1 + n >= CG_PATH_MAX + 128)
			continue;
		rel[len] = '/';
		memcpy(rel + len + 1, d->d_name, n + 1);
		walk(rel, len + 1 + n, depth + 1, ids, nr_ids, found);
		rel[len] = '\0';
	}
	closedir(dir);
}

static void walk_requests(void)
{
	uint64_t ids[MAX_REQUESTS], gap = now_ns() - cg.last_walk_ns;
	char rel[CG_PATH_MAX + 128] = "";
	unsigned int n, i, found = 0;

	if (gap < WALK_GAP_NS) {
		struct timespec ts = {0, (long)(WALK_GAP_NS - gap)};

		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&cg.lock);
	n = cg.nr_requests;
	memcpy(ids, cg.requests, n * sizeof(ids[0]));
	pthread_mutex_unlock(&cg.lock);
	if (!n)
		return;
	walk(rel, 0, 0, ids, n, &found);
	cg.last_walk_ns = now_ns();
	pthread_mutex_lock(&cg.lock);
	cg.st.walks++;
	for (i = 0; i < n; i++)
		if (!find(ids[i])) {
			cg.negative[cg.negative_next].id = ids[i];
			cg.negative[cg.negative_next].until_ns = cg.last_walk_ns + NEGATIVE_NS;
			cg.negative_next = (cg.negative_next + 1) % MAX_REQUESTS;
		}
	/* Requests that came in during the walk stay for the next one. */
	for (i = 0; i < cg.nr_requests;)
		if (requested(cg.requests[i], ids, n))
			cg.requests[i] = cg.requests[--cg.nr_requests];
		else
			i++;
	pthread_mutex_unlock(&cg.lock);
}

static void read_inotify(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char rel[CG_PATH_MAX + 128];
	ssize_t n = read(cg.inotify_fd, buf, sizeof(buf));
	const struct inotify_event *ev;
	char *p;

	for (p = buf; n > 0 && p < buf + n; p += sizeof(*ev) + ev->len) {
		unsigned int i;

		ev = (const struct inotify_event *)p;
		if (ev->mask & IN_IGNORED) {
			forget_watch(ev->wd);
			continue;
		}
		if (!(ev->mask & IN_CREATE) || !(ev->mask & IN_ISDIR) || !ev->len)
			continue;
		for (i = 0; i < cg.nr_watches; i++)
			if (cg.watches[i].wd == ev->wd)
				break;
		if (i == cg.nr_watches)
			continue;
		/* mkdir -p: what was made below it before the watch is found by the walk. */
		if ((size_t)snprintf(rel, sizeof(rel), "%s/%s", cg.watches[i].path, ev->name) >=
		    sizeof(rel))
			continue;
		walk(rel, strlen(rel), 1, NULL, 0, NULL);
	}
}

static void *resolver(void *arg)
{
	char rel[CG_PATH_MAX + 128] = "";

	(void)arg;
	walk(rel, 0, 0, NULL, 0, NULL);
	cg.last_walk_ns = now_ns();
	while (!cg.stop) {
		struct pollfd fds[2] = {{.fd = cg.inotify_fd, .events = POLLIN},
					{.fd = cg.wake_fd, .events = POLLIN}};
		uint64_t v;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (cg.stop)
			break;
		if (fds[0].revents & POLLIN)
			read_inotify();
		if (fds[1].revents & POLLIN && read(cg.wake_fd, &v, sizeof(v)) == sizeof(v))
			walk_requests();
	}
	return NULL;
}

int cgroups_start(void)
{
	int err;

	if (!cgroups_v2_mount())
		return -ENOENT;
	cg.inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	cg.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (cg.inotify_fd < 0 || cg.wake_fd < 0) {
		err = -errno;
		goto fail;
	}
	cg.stop = 0;
	err = -pthread_create(&cg.thread, NULL, resolver, NULL);
	if (err)
		goto fail;
	cg.running = true;
	return 0;
fail:
	if (cg.inotify_fd >= 0)
		close(cg.inotify_fd);
	if (cg.wake_fd >= 0)
		close(cg.wake_fd);
	cg.inotify_fd = cg.wake_fd = -1;
	return err;
}

void cgroups_stop(void)
{
	uint64_t one = 1;
	unsigned int i;

	if (!cg.running)
		return;
	cg.stop = 1;
	if (write(cg.wake_fd, &one, sizeof(one)) < 0)
		return;
	pthread_join(cg.thread, NULL);
	cg.running = false;
	close(cg.inotify_fd);
	close(cg.wake_fd);
	cg.inotify_fd = cg.wake_fd = -1;
	for (i = 0; i < cg.nr_watches; i++)
		free(cg.watches[i].path);
	cg.nr_watches = 0;
	for (i = 0; i < BUCKETS; i++)
		while (cg.bucket[i])
			drop(cg.bucket[i]->id);
	cg.count = cg.fifo_head = 0;
}
