/* fuzz_review: bytes -> AdmissionReview decode, evaluation and answer, under every level and both
 * plain and default profiles (the input's length picks one, so whole reviews are seeds).
 * Invariants: the answer is JSON; HTTP 200 answers are AdmissionReviews whose uid is the request's;
 * denial messages stay under 4 KiB. Build: make fuzz (clang, libFuzzer, ASan, UBSan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "socklock/policy.h"
#include "socklock/review.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sl_policy *policies[4];

static void setup(void)
{
    sl_alloc_init();
    policies[0] = sl_policy_new_default();
    policies[1] = sl_policy_new_plain("p", SL_LEVEL_PRIVILEGED, SL_VERSION_LATEST);
    policies[2] = sl_policy_new_plain("b", SL_LEVEL_BASELINE, 0);
    policies[3] = sl_policy_new_plain("r", SL_LEVEL_RESTRICTED, 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (policies[0] == NULL)
        setup();
    const struct sl_policy *pol = policies[size % 4];
    struct sl_answer ans;
    sl_review_answer(&pol->profiles[0], SL_EP_VALIDATE, (const char *)data, size, &ans);
    json_error_t e;
    json_t *out = json_loadb(ans.body, ans.len, JSON_REJECT_DUPLICATES, &e);
    if (out == NULL)
        abort();
    if (ans.http_status == 200) {
        json_t *resp = json_object_get(out, "response");
        if (!json_is_string(json_object_get(resp, "uid")))
            abort();
        const char *msg =
            json_string_value(json_object_get(json_object_get(resp, "status"), "message"));
        if (msg != NULL && strlen(msg) > 4096)
            abort();
    } else if (ans.http_status != 400 || !json_is_string(json_object_get(out, "error"))) {
        abort();
    }
    json_decref(out);
    sl_review_answer_cleanup(&ans);
    return 0;
}
