/* SPDX-License-Identifier: GPL-2.0 */
/* Assertions on formatted output lines, shared by the output tests. */
#ifndef RSTTRACE_OUTCHECK_H
#define RSTTRACE_OUTCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include "output.h"
#include "pipeline.h"
#include "sink.h"

/* An output on /dev/null with the fixture names and clock; only its sb is looked at. */
void outcheck_open(struct output *o, bool json);
void outcheck_close(struct output *o);
/* The pipeline outcheck_open() set up over that output (no summary, no folding). */
extern struct pipeline outcheck_pl;
const struct rt_names *outcheck_names(void);

/* One NDJSON line: valid JSON, ASCII only, no control bytes, '\n' last. */
void outcheck_json_line(const char *file, int line, const char *s, size_t len);
/* Every name of the comma-separated 'keys' is a member of the object at 'path'. */
void outcheck_keys(const char *file, int line, const char *json, const char *path,
		   const char *keys);
/* The raw JSON text of the value at 'path' is 'want'. */
void outcheck_field(const char *file, int line, const char *json, const char *path,
		    const char *want);
/* Line n (from 0) of s without its '\n', or NULL. */
const char *outcheck_nth_line(const char *s, int n);

#define CHECK_JSON_LINE(s, len)	      outcheck_json_line(__FILE__, __LINE__, s, len)
#define CHECK_KEYS(json, path, keys)  outcheck_keys(__FILE__, __LINE__, json, path, keys)
#define CHECK_FIELD(json, path, want) outcheck_field(__FILE__, __LINE__, json, path, want)

/* The keys docs/schema.md promises, per object. */
#define SCHEMA_COMMON_KEYS                                                                         \
	"schema,type,time,ts_ns,count,folded,netns,family,local,remote,addr_source,state,"         \
	"prev_state,reason,reason_code,reason_source,cause,owner,listener,context,sk,diagnosis,"   \
	"overflow,closed_listener,unread_bytes,state_age_ms"
#define SCHEMA_LISTEN_OVERFLOW_KEYS    "path,repeat"
#define SCHEMA_SYN_QUEUE_OVERFLOW_KEYS "syncookies"
#define SCHEMA_ENDPOINT_KEYS	       "addr,port"
#define SCHEMA_OWNER_KEYS	       "pid,tid,comm,cgroup_id,source,shared_by,alive,closed,cgroup,container"
#define SCHEMA_LISTENER_KEYS                                                                       \
	"addr,port,accept_queue,accept_queue_max,syn_queue,drops,matched_by,ambiguous,sk,"         \
	"somaxconn,abort_on_overflow,syncookies,owner,limit,burst"
#define SCHEMA_CONTEXT_KEYS   "pid,tid,comm"
#define SCHEMA_DIAGNOSIS_KEYS "code,text,hint"
#define SCHEMA_OVERFLOW_KEYS                                                                       \
	"time,ago_ms,path,accept_queue,accept_queue_max,count,listener_port,listener_owner"
#define SCHEMA_CLOSED_LISTENER_KEYS "addr,port,closed_ago_ms,owner"
#define SCHEMA_SHORT_OWNER_KEYS	    "pid,comm"
#define SCHEMA_LOST_KEYS	    "schema,type,time,count,total"
#define SCHEMA_FOLDED_KEYS	    "first_time,last_time,span_ms,sample_taken_back"

#endif
