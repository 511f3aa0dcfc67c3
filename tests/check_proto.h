/*
 * check_proto.h - what the files of the codec's unit tests (the
 * tests/check_proto program) share: parsing and framing helpers and the
 * function each file adds its test cases to the suite with.
 */
#ifndef JOBQ_CHECK_PROTO_H
#define JOBQ_CHECK_PROTO_H

#include <check.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* check_proto.c: helpers that fail the test when they cannot do their job */
cJSON *check_proto_parse(const char *text);        /* proto_parse, no op */
cJSON *check_proto_strings(size_t n, const char *s); /* [s, s, ...] */
cJSON *check_proto_deps(size_t n);   /* [{"id":1},...,{"id":n}] */
/* Encodes obj, reparses it through a frame and returns the copy. */
cJSON *check_proto_reframe(const cJSON *obj);
/* A request text decodes and survives the round trip (proto_cmp_text). */
void check_proto_ok(const char *text);
/* A request text fails to decode with code and exactly the message msg. */
void check_proto_bad(const char *text, int code, const char *msg);

/* The test cases of each file. */
void check_proto_job_add(Suite *s);      /* check_proto_job.c */
void check_proto_submit_add(Suite *s);   /* check_proto_submit.c */
void check_proto_sched_add(Suite *s);    /* check_proto_sched.c */
void check_proto_req_add(Suite *s);      /* check_proto_req.c */
void check_proto_reply_add(Suite *s);    /* check_proto_reply.c */
void check_proto_edit_add(Suite *s);     /* check_proto_edit.c */
void check_proto_schedule_add(Suite *s); /* check_proto_schedule.c */
void check_proto_exec_add(Suite *s);     /* check_proto_exec.c */

/* The integer member key of a tree built in this process (a number, or
 * the raw text proto_add_int writes); the test fails if it is neither. */
long long cp_int(const cJSON *obj, const char *key);

#endif
