/* Helpers shared by the test suites. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"

const char *tu_conformance_dir(void)
{
    const char *env = getenv("SOCKLOCK_CONFORMANCE");
    const char *dir = env && *env ? env : "../shared/conformance";
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return dir;
}

char *tu_read_file(const char *path, size_t *len)
{
    struct sl_buf b;
    sl_buf_init(&b, 64u << 20);
    struct sl_error err;
    if (sl_buf_load_file(&b, path, &err) != SL_OK) {
        sl_buf_cleanup(&b);
        return NULL;
    }
    return sl_buf_steal(&b, len);
}

json_t *tu_json(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &e);
    ck_assert_msg(v != NULL, "bad test JSON: %s at %d:%d", e.text, e.line, e.column);
    return v;
}

json_t *tu_json_file(const char *path)
{
    json_error_t e;
    json_t *v = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    ck_assert_msg(v != NULL, "cannot load %s: %s", path, e.text);
    return v;
}

const char *tu_socklock_bin(void)
{
    const char *env = getenv("SOCKLOCK_BIN");
    return env && *env ? env : "./socklock";
}
