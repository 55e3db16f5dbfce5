// SPDX-License-Identifier: GPL-2.0
/* The fold stage's records: what an entry of a closed epoch becomes. */
#include <string.h>
#include "fixtures.h"
#include "fold.h"
#include "outcheck.h"
#include "pipeline.h"
#include "unit.h"

static struct output out;
static struct rt_fold_val v;
static struct kfold f;

static void entry(uint64_t count, uint32_t resample)
{
	struct rt_kevent k;

	memset(&v, 0, sizeof(v));
	memset(&f, 0, sizeof(f));
	f.map_fd = -1;
	fixture_ev_no_socket(&k);
	v.sample = k.ev;
	v.listener = k.listener;
	v.link = k.link;
	v.closed = k.closed;
	v.conn = k.conn;
	v.count = count;
	v.first_ns = 123;
	v.last_ns = 123 + 2500000;
	v.resample = resample;
}

static void test_fold_use(void)
{
	entry(0, 0);
	CHECK_INT(kfold_entry_use(&v), KFOLD_SKIP);
	entry(0, 1);
	CHECK_INT(kfold_entry_use(&v), KFOLD_SKIP);
	entry(5, 0);
	CHECK_INT(kfold_entry_use(&v), KFOLD_WRITE);
	entry(5, 1);
	CHECK_INT(kfold_entry_use(&v), KFOLD_WRITE_STALE);
}

/* Every event of the entry was taken back: no record, nothing counted as written. */
static void test_fold_skip_taken_back(void)
{
	uint64_t before;

	outcheck_open(&out, true);
	before = pipeline_written(&outcheck_pl);
	entry(0, 1);
	kfold_write(&f, &outcheck_pl, &v, 0);
	entry(0, 0);
	kfold_write(&f, &outcheck_pl, &v, 0);
	CHECK_INT(out.sb.len, 0);
	CHECK_U64(pipeline_written(&outcheck_pl), before);
	CHECK_U64(f.records, 0);
	CHECK_U64(f.events, 0);
	outcheck_close(&out);
}

static void test_fold_write(void)
{
	outcheck_open(&out, true);
	entry(7, 0);
	kfold_write(&f, &outcheck_pl, &v, 0);
	CHECK_JSON_LINE(out.sb.buf, out.sb.len);
	CHECK_FIELD(out.sb.buf, "count", "7");
	CHECK_KEYS(out.sb.buf, "folded", SCHEMA_FOLDED_KEYS);
	CHECK_FIELD(out.sb.buf, "folded.sample_taken_back", "false");
	CHECK_U64(f.records, 1);
	CHECK_U64(f.events, 7);
	CHECK_U64(f.stale_samples, 0);
	outcheck_close(&out);
}

/* Its count stays exact; the record says its sample is none of the events. */
static void test_fold_write_stale(void)
{
	outcheck_open(&out, true);
	entry(1, 1);
	kfold_write(&f, &outcheck_pl, &v, 0);
	CHECK_JSON_LINE(out.sb.buf, out.sb.len);
	CHECK_FIELD(out.sb.buf, "count", "1");
	CHECK_KEYS(out.sb.buf, "folded", SCHEMA_FOLDED_KEYS);
	CHECK_FIELD(out.sb.buf, "folded.sample_taken_back", "true");
	CHECK_U64(f.records, 1);
	CHECK_U64(f.events, 1);
	CHECK_U64(f.stale_samples, 1);
	outcheck_close(&out);
}

void run_fold_tests(void)
{
	RUN_TEST(test_fold_use);
	RUN_TEST(test_fold_skip_taken_back);
	RUN_TEST(test_fold_write);
	RUN_TEST(test_fold_write_stale);
}
