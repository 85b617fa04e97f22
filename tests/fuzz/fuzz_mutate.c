/* fuzz_mutate: bytes -> /mutate's answer, under the embedded default profile, a restricted profile
 * that may override every explicit value and names a runAsUser, and one that patches
 * templates (the input's length picks one). On every input: the answer is JSON and /mutate
 * never denies. On every input that decodes to a review with a patch: the patch is base64 of
 * a JSON array of operations that applies to request.object (replayed here with
 * sl_patch_apply; the conformance suite applies patches with the API server's own library);
 * the patched object leaves no violation /mutate did not name; and /mutate on the patched
 * object patches nothing. Build: make fuzz; make test replays the corpus. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "socklock/alloc.h"
#include "socklock/engine.h"
#include "socklock/patch.h"
#include "socklock/policy.h"
#include "socklock/review.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_text[] = "profiles:\n"
                                  "  override:\n"
                                  "    readOnlyRootFilesystem: true\n"
                                  "    mutate:\n"
                                  "      runAsUser: 10001\n"
                                  "      tmpDirSizeLimit: 1Gi\n"
                                  "      overrideExplicit: [allowPrivilegeEscalation,\n"
                                  "        capabilities_baseline, capabilities_restricted,\n"
                                  "        readOnlyRootFilesystem, runAsNonRoot, runAsUser,\n"
                                  "        seccompProfile_baseline, seccompProfile_restricted]\n"
                                  "  templates:\n"
                                  "    level: baseline\n"
                                  "    mutate: {templates: true}\n";

static struct sl_policy *def, *pol;
static const struct sl_profile *profiles[3];

static void setup(void)
{
    sl_alloc_init();
    def = sl_policy_new_default();
    if (sl_policy_load(policy_text, strlen(policy_text), "fuzz", &pol, NULL) != SL_OK)
        abort();
    profiles[0] = sl_policy_find(def, "default");
    profiles[1] = sl_policy_find(pol, "override");
    profiles[2] = sl_policy_find(pol, "templates");
}

/* The patch of an answer, decoded; NULL when there is none. Aborts on a malformed one. */
static json_t *patch_of(const json_t *resp)
{
    const char *b64 = json_string_value(json_object_get(resp, "patch"));
    const char *type = json_string_value(json_object_get(resp, "patchType"));
    if ((b64 == NULL) != (type == NULL))
        abort();
    if (b64 == NULL)
        return NULL;
    if (strcmp(type, "JSONPatch") != 0)
        abort();
    size_t n = strlen(b64);
    unsigned char *raw = sl_xmalloc(n + 1);
    int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    if (len < 0)
        abort();
    while (n > 0 && b64[--n] == '=')
        len--;
    json_t *ops = json_loadb((const char *)raw, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (!json_is_array(ops) || json_array_size(ops) == 0)
        abort();
    return ops;
}

/* The request a decoded body carries, with `object` in place of its own. */
static void check_patched(const struct sl_profile *prof, const char *body, size_t len,
                          const json_t *ops)
{
    struct sl_review r;
    if (sl_review_decode(body, len, &r, NULL) != SL_OK)
        abort(); /* it was answered with 200 */
    json_t *obj = json_deep_copy(r.req.object);
    if (sl_patch_apply(&obj, ops, NULL) != SL_OK)
        abort();
    struct sl_verdict first, patched, again;
    sl_engine_verdict_init(&first);
    sl_engine_verdict_init(&patched);
    sl_engine_verdict_init(&again);
    sl_engine_mutate(prof, &r.req, &first);
    struct sl_request req = r.req;
    req.object = obj;
    sl_engine_eval(prof, &req, &patched);
    sl_engine_mutate(prof, &req, &again);
    if (again.patch != NULL)
        abort(); /* mutating twice changes nothing */
    for (size_t i = 0; i < patched.findings.len; i++) {
        bool named = false;
        for (size_t j = 0; j < first.findings.len && !named; j++)
            named = strcmp(patched.findings.items[i].check, first.findings.items[j].check) == 0;
        if (!named)
            abort(); /* a violation left that /mutate did not warn about */
    }
    sl_engine_verdict_cleanup(&first);
    sl_engine_verdict_cleanup(&patched);
    sl_engine_verdict_cleanup(&again);
    json_decref(obj);
    sl_review_cleanup(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (def == NULL)
        setup();
    const struct sl_profile *prof = profiles[size % 3];
    struct sl_answer ans;
    sl_review_answer(prof, SL_EP_MUTATE, (const char *)data, size, &ans);
    json_t *out = json_loadb(ans.body, ans.len, JSON_REJECT_DUPLICATES, NULL);
    if (out == NULL)
        abort();
    if (ans.http_status == 200) {
        json_t *resp = json_object_get(out, "response");
        if (!json_is_true(json_object_get(resp, "allowed")) ||
            json_object_get(resp, "status") != NULL)
            abort(); /* /mutate never denies */
        json_t *ops = patch_of(resp);
        if (ops != NULL)
            check_patched(prof, (const char *)data, size, ops);
        json_decref(ops);
    } else if (ans.http_status != 400) {
        abort();
    }
    json_decref(out);
    sl_review_answer_cleanup(&ans);
    return 0;
}
