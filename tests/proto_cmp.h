/*
 * proto_cmp.h - for the codec's tests and its fuzzer: equality of decoded
 * requests and replies, and the round trip decoded -> encoded -> framed ->
 * parsed -> decoded.  Test code only (tests/check_proto_req.c,
 * tests/fuzz/fuzz_proto.c).
 */
#ifndef JOBQ_PROTO_CMP_H
#define JOBQ_PROTO_CMP_H

#include <stddef.h>

#include "proto.h"

/* 0 when a and b are the same request (same op and members), else -1 with
 * the first member that differs in why. */
int proto_cmp_req(const struct proto_req *a, const struct proto_req *b,
    char *why, size_t whylen);
/* Encodes r with proto_req_to_json, frames it, parses the frame and decodes
 * it with proto_req_from_json; 0 when that gives r back, else -1 with what
 * went wrong in why. */
int proto_cmp_req_roundtrip(const struct proto_req *r, char *why,
    size_t whylen);
/* The same for a JSON text: parsed and decoded as a request of op (-1: by
 * its "op"); 0 and the round trip holds, or the decoder's error code (err),
 * or -100 when the round trip failed (err says why). */
int proto_cmp_text(int op, const char *text, char *err, size_t errlen);

/* Frames obj, parses the frame back and returns the object (NULL if any
 * step failed). */
cJSON *proto_cmp_reparse(const cJSON *obj);

/* Equality of two decoded jobs, every member; 0 or -1 (why). */
int proto_cmp_job(const jobq_job *a, const jobq_job *b, char *why,
    size_t whylen);

#endif
