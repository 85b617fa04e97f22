/* review: AdmissionReview decoding and response encoding, the one code path shared by the
 * server and `socklock review`. Pure: bytes in, status and bytes out. */
#ifndef SOCKLOCK_REVIEW_H
#define SOCKLOCK_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "socklock/common.h"
#include "socklock/policy.h"

enum sl_endpoint { SL_EP_VALIDATE, SL_EP_MUTATE };

/* The answer to one HTTP body. */
struct sl_answer {
    int http_status; /* 200 for every well-formed review; 400 otherwise */
    char *body;      /* JSON text (an AdmissionReview, or {"error": "..."}), owned */
    size_t len;
    /* For logging and metrics (never whole objects): */
    char uid[129];
    char kind[64];
    char namespace_[254];
    char name[254];
    char operation[16];
    bool allowed;
    bool evaluated;
};

#define SL_REVIEW_MAX_DEPTH 128
#define SL_REVIEW_MAX_UID   128

/* Answers the AdmissionReview in body[0..len) under profile `prof` of `pol` at endpoint
 * `ep`. Always fills `ans`; the caller releases it with sl_answer_cleanup(). */
void sl_review_answer(const struct sl_profile *prof, enum sl_endpoint ep, const char *body,
                      size_t len, struct sl_answer *ans);

void sl_answer_cleanup(struct sl_answer *ans);

/* Returns a new {"error": msg} body. Caller frees. */
char *sl_review_error_body(const char *msg, size_t *len);

#endif
