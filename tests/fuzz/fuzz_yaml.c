/* fuzz_yaml: bytes -> the YAML reader that `check`, `fix` and the policy loader use, read
 * both ways: whole (sl_yamljson_load) and one document at a time (sl_yamljson_open/next).
 * Invariants: both ways accept or reject alike, with the same error position and message,
 * and give the same documents (same JSON values, lines and start offsets; the streaming
 * reader gives the documents before an error too); every position lies inside the input;
 * the document boundaries found without building values (sl_yamljson_doc_starts) include
 * every document's start; the manifest layer (sl_manifest_parse) agrees on accept/reject.
 * Build: make fuzz; make test replays the corpus. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "socklock/manifest.h"
#include "socklock/yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_doc(const struct sl_yaml_doc *d, size_t size)
{
    if (d->value == NULL || d->line < 1 || d->column < 1 || d->start > size ||
        d->root.start > size || d->root.end > size || d->root.start > d->root.end)
        abort();
}

static bool has_start(const size_t *starts, size_t n, size_t at)
{
    for (size_t i = 0; i < n; i++)
        if (starts[i] == at)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        sl_alloc_init();
        ready = true;
    }
    const char *text = (const char *)data;
    struct sl_yaml_stream whole = {0};
    struct sl_error werr = {0};
    enum sl_status ws = sl_yamljson_load(text, size, "f.yaml", &whole, &werr);
    if (ws != SL_OK && whole.len != 0)
        abort(); /* on failure the stream is empty */

    struct sl_yaml_reader *r = NULL;
    struct sl_error rerr = {0};
    enum sl_status rs = sl_yamljson_open(text, size, "f.yaml", &r, &rerr);
    size_t n = 0;
    while (rs == SL_OK) {
        struct sl_yaml_doc d;
        bool got = false;
        rs = sl_yamljson_next(r, &d, &got, &rerr);
        if (rs != SL_OK || !got)
            break;
        check_doc(&d, size);
        /* The streaming reader never gives more documents than the whole read... */
        if (ws == SL_OK) {
            if (n >= whole.len)
                abort();
            const struct sl_yaml_doc *w = &whole.docs[n];
            /* ...and gives the same ones. */
            if (!json_equal(w->value, d.value) || w->line != d.line || w->column != d.column ||
                w->start != d.start)
                abort();
        }
        sl_yamljson_doc_cleanup(&d);
        n++;
    }
    sl_yamljson_close(r);
    if ((ws == SL_OK) != (rs == SL_OK))
        abort();
    if (ws == SL_OK && n != whole.len)
        abort();
    if (ws != SL_OK &&
        (werr.line != rerr.line || werr.column != rerr.column || strcmp(werr.msg, rerr.msg) != 0))
        abort();

    if (ws == SL_OK) {
        size_t *starts = NULL, nstarts = 0;
        struct sl_error serr = {0};
        if (sl_yamljson_doc_starts(text, size, &starts, &nstarts, &serr) != SL_OK)
            abort(); /* what parses has boundaries */
        for (size_t i = 0; i < whole.len; i++) {
            check_doc(&whole.docs[i], size);
            if (!has_start(starts, nstarts, whole.docs[i].start))
                abort();
        }
        free(starts);
    }

    struct sl_manifest_file mf;
    struct sl_error merr = {0};
    enum sl_status ms = sl_manifest_parse(text, size, "f.yaml", &mf, &merr);
    if (ms == SL_OK)
        sl_manifest_file_cleanup(&mf);
    if (ws != SL_OK && ms == SL_OK)
        abort(); /* a manifest is YAML first */

    sl_yamljson_stream_cleanup(&whole);
    return 0;
}
