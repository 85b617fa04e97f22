/* Helpers shared by the test suites. */
#include "testutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"

const char *tu_conformance_dir(void)
{
    const char *env = getenv("SOCKLOCK_CONFORMANCE");
    return env && *env ? env : "tests/conformance";
}

char *tu_conformance_set(const char *set, const char *table)
{
    const char *dir = tu_conformance_dir();
    char *base = sl_xasprintf("%s/%s", dir, set);
    struct stat st;
    ck_assert_msg(stat(base, &st) == 0 && S_ISDIR(st.st_mode),
                  "conformance set %s missing: no folder %s (the data is vendored in "
                  "tests/conformance; run from the repository root or set "
                  "$SOCKLOCK_CONFORMANCE)",
                  set, base);
    if (table != NULL) {
        char *file = sl_xasprintf("%s/%s", base, table);
        ck_assert_msg(stat(file, &st) == 0 && S_ISREG(st.st_mode),
                      "conformance set %s: table %s missing", set, file);
        free(file);
    }
    return base;
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
    return sl_buf_detach(&b, len);
}

json_t *tu_json(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &e);
    ck_assert_msg(v != NULL, "bad test JSON: %s at %d:%d", e.text, e.line, e.column);
    return v;
}

json_t *tu_json_sq(const char *text)
{
    char *s = sl_xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *v = tu_json(s);
    free(s);
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

void tu_tsv_read(const char *path, size_t ncols, struct tu_tsv *out)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    bool header = true;
    *out = (struct tu_tsv){NULL, 0, ncols};
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (header || *line == '\0') {
            header = false;
            continue;
        }
        char **row = sl_xcalloc(ncols, sizeof(*row));
        char *p = line;
        for (size_t i = 0; i < ncols; i++) {
            ck_assert_msg(p != NULL, "short line %zu in %s", out->nrows + 2, path);
            char *tab = strchr(p, '\t');
            if (tab != NULL)
                *tab = '\0';
            row[i] = sl_xstrdup(p);
            p = tab != NULL ? tab + 1 : NULL;
        }
        if (out->nrows == alloc) {
            alloc = alloc ? alloc * 2 : 256;
            out->cells = sl_xrealloc(out->cells, alloc * sizeof(*out->cells));
        }
        out->cells[out->nrows++] = row;
    }
    free(line);
    fclose(f);
}

void tu_tsv_free(struct tu_tsv *t)
{
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++)
            free(t->cells[r][c]);
        free(t->cells[r]);
    }
    free(t->cells);
    t->cells = NULL;
    t->nrows = 0;
}

json_t *tu_yaml_files(const char *base, char *const *paths, size_t n)
{
    /* python3-yaml is a dependency (make deps): missing, it is a failure, never a skip. */
    ck_assert_msg(system("python3 -c 'import yaml' 2>/dev/null") == 0,
                  "python3-yaml is missing (make deps installs it): cannot read the YAML "
                  "under %s",
                  base);
    char dir[] = "/tmp/sl-yaml-XXXXXX";
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp failed");
    char *list = sl_xasprintf("%s/list", dir), *out = sl_xasprintf("%s/out.json", dir);
    FILE *f = fopen(list, "w");
    ck_assert(f != NULL);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", paths[i]);
    fclose(f);
    char *cmd = sl_xasprintf("python3 -c 'import sys, json, yaml\n"
                             "base, lst, out = sys.argv[1:4]\n"
                             "res = {}\n"
                             "for p in open(lst).read().split(\"\\n\"):\n"
                             "    if p and p not in res:\n"
                             "        res[p] = list(yaml.safe_load_all(open(base + \"/\" + p)))\n"
                             "json.dump(res, open(out, \"w\"), default=str)\n"
                             "' '%s' '%s' '%s'",
                             base, list, out);
    int st = system(cmd);
    ck_assert_msg(st == 0, "python3 YAML conversion of the files under %s failed", base);
    json_t *docs = tu_json_file(out);
    unlink(list);
    unlink(out);
    rmdir(dir);
    free(cmd);
    free(list);
    free(out);
    ck_assert(json_is_object(docs));
    return docs;
}

bool tu_base64_of_file(const char *text, size_t len, const char *path, char *why, size_t size)
{
    char dir[] = "/tmp/sl-b64-XXXXXX";
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp failed");
    char *in = sl_xasprintf("%s/in", dir), *out = sl_xasprintf("%s/out", dir);
    FILE *f = fopen(in, "wb");
    ck_assert(f != NULL);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    char *cmd = sl_xasprintf("python3 -c 'import base64, binascii, sys\n"
                             "text = open(sys.argv[1], \"rb\").read()\n"
                             "want = open(sys.argv[2], \"rb\").read()\n"
                             "try:\n"
                             "    got = base64.b64decode(text, validate=True)\n"
                             "except binascii.Error as e:\n"
                             "    sys.exit(\"not base64: %%s\" %% e)\n"
                             "if got != want:\n"
                             "    sys.exit(\"decodes to %%d bytes, not the %%d of the file\" %% "
                             "(len(got), len(want)))\n"
                             "if text != base64.b64encode(want):\n"
                             "    sys.exit(\"not the one-line padded encoding\")\n"
                             "' '%s' '%s' >'%s' 2>&1",
                             in, path, out);
    int st = system(cmd);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) != 127, "cannot run python3");
    size_t n = 0;
    char *said = tu_read_file(out, &n);
    snprintf(why, size, "%s", said ? said : "");
    free(said);
    unlink(in);
    unlink(out);
    rmdir(dir);
    free(cmd);
    free(in);
    free(out);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
