/* fuzz_netpol: bytes -> a manifest stream whose objects feed the NetworkPolicy semantics, then
 * every question `check` and `netmap` ask of them. On every input: reading returns (an invalid
 * NetworkPolicy is refused with a message, never kept); findings, the map as text, JSON and dot
 * are built; the JSON map parses; reachability between any two workloads is what the ports
 * on which they may connect say. Build: make fuzz; make test replays the corpus and the
 * manifests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "socklock/manifest.h"
#include "socklock/netpol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        sl_alloc_init();
        ready = 1;
    }
    struct sl_manifest_file f;
    struct sl_error err = {0};
    if (sl_manifest_parse((const char *)data, size, "fuzz", &f, &err) != SL_OK)
        return 0;
    struct sl_netpol_set s;
    sl_netpol_init(&s);
    for (size_t i = 0; i < f.nobjs; i++) {
        size_t before = s.npolicies;
        if (sl_netpol_add(&s, f.objs[i].object, "fuzz", f.objs[i].line, f.objs[i].column, &err) !=
            SL_OK) {
            if (err.msg[0] == '\0' || s.npolicies != before)
                abort(); /* a refusal says why and keeps nothing */
        }
    }
    struct sl_netpol_findings fs;
    sl_netpol_findings(&s, &fs);
    sl_netpol_findings_cleanup(&fs);
    char *text = sl_netpol_map_text(&s);
    char *dot = sl_netpol_map_dot(&s);
    char *js = sl_netpol_map_json(&s);
    json_t *back = json_loads(js, 0, NULL);
    if (back == NULL)
        abort();
    json_decref(back);
    free(text);
    free(dot);
    free(js);
    /* Reachability on one port agrees with the port set (bounded: the map already asked). */
    for (size_t a = 0; a < s.nworkloads && a < 8; a++)
        for (size_t b = 0; b < s.nworkloads && b < 8; b++) {
            struct sl_netpol_ports p = {0};
            sl_netpol_allowed(&s, a, b, &p);
            if (sl_netpol_allows(&s, a, b, "TCP", 80) != sl_netpol_ports_has(&p, "TCP", 80))
                abort();
            sl_netpol_ports_cleanup(&p);
        }
    sl_netpol_cleanup(&s);
    sl_manifest_file_cleanup(&f);
    return 0;
}
