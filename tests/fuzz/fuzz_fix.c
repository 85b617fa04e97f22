/* fuzz_fix: bytes -> `socklock fix` of them as a manifest file, under the embedded default
 * profile with templates (even lengths) or a baseline profile that overrides explicit values
 * (odd lengths). On every input: sl_fix_text returns; when it reads the input, the text it
 * gives is the input itself when nothing changed, else it reads as a YAML stream with as many
 * documents, in which every object fixed in place now has nothing left to patch, and fixing
 * the text again changes nothing. Build: make fuzz; make test replays the corpus and the fix
 * fixtures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/fix.h"
#include "socklock/policy.h"
#include "socklock/yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_text[] = "profiles:\n"
                                  "  override:\n"
                                  "    level: baseline\n"
                                  "    readOnlyRootFilesystem: true\n"
                                  "    mutate:\n"
                                  "      runAsUser: 10001\n"
                                  "      overrideExplicit: [capabilities_baseline,\n"
                                  "        readOnlyRootFilesystem, runAsNonRoot, runAsUser]\n";

static struct sl_policy *def, *pol;
static struct sl_fix_opts opts[2];

static void setup(void)
{
    sl_alloc_init();
    def = sl_policy_new_default();
    if (sl_policy_load(policy_text, strlen(policy_text), "fuzz", &pol, NULL) != SL_OK)
        abort();
    opts[0] = (struct sl_fix_opts){.profile = sl_policy_find(def, "default"), .templates = true};
    opts[1] = (struct sl_fix_opts){.profile = sl_policy_find(pol, "override"), .templates = true};
}

static size_t count_fixed(const struct sl_fix_result *r)
{
    return r->fixed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (def == NULL)
        setup();
    const struct sl_fix_opts *o = &opts[size % 2];
    struct sl_fix_result r, again;
    struct sl_error err = {0};
    if (sl_fix_text(o, (const char *)data, size, "fuzz", &r, &err) != SL_OK) {
        sl_fix_result_cleanup(&r);
        return 0;
    }
    if (!r.changed) {
        if (r.len != size || memcmp(r.text, data, size) != 0 || count_fixed(&r) != 0)
            abort(); /* unchanged means the very bytes, and nothing claimed fixed */
        sl_fix_result_cleanup(&r);
        return 0;
    }
    struct sl_yaml_stream before = {0}, after = {0};
    if (sl_yamljson_load((const char *)data, size, "fuzz", &before, NULL) != SL_OK ||
        sl_yamljson_load(r.text, r.len, "fuzz", &after, NULL) != SL_OK || before.len != after.len)
        abort();
    if (sl_fix_text(o, r.text, r.len, "fuzz", &again, &err) != SL_OK)
        abort();
    if (count_fixed(&again) != 0 || again.changed)
        abort(); /* fixing twice changes nothing */
    sl_fix_result_cleanup(&again);
    sl_yamljson_stream_cleanup(&before);
    sl_yamljson_stream_cleanup(&after);
    sl_fix_result_cleanup(&r);
    return 0;
}
