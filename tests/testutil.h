/* Helpers shared by the test suites: fixture loading and the conformance data
 * (tests/conformance). */
#ifndef SOCKLOCK_TESTUTIL_H
#define SOCKLOCK_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The conformance data folder: $SOCKLOCK_CONFORMANCE, or tests/conformance (relative to the
 * repository root, where the suites run). */
const char *tu_conformance_dir(void);

/* Returns the folder of one conformance set ("pod-security-admission", ...), failing the test
 * with a message naming the path when the set, or its table `table` (a file inside the set,
 * unless NULL), is missing: absent data is a failure, never a skip. Caller frees. */
char *tu_conformance_set(const char *set, const char *table);

/* Reads a whole file; NULL on error. Caller frees. */
char *tu_read_file(const char *path, size_t *len);

/* Parses JSON text (aborting the test on error). Returns a new reference. */
json_t *tu_json(const char *text);

/* Parses JSON written with ' for " (pods inline in C strings), aborting the test on error.
 * Returns a new reference. */
json_t *tu_json_sq(const char *text);

/* Loads a JSON file (aborting the test on error). Returns a new reference. */
json_t *tu_json_file(const char *path);

/* A tab-separated file whose first line is a header: cells[row][col] for col < ncols. */
struct tu_tsv {
    char ***cells;
    size_t nrows;
    size_t ncols;
};
/* Reads path (failing the test when it cannot, or when a row has fewer than ncols cells);
 * blank lines are passed over. Free with tu_tsv_free(). */
void tu_tsv_read(const char *path, size_t ncols, struct tu_tsv *out);
void tu_tsv_free(struct tu_tsv *t);

/* Reads YAML files (paths relative to base; repeats allowed) with python3-yaml, independently
 * of socklock's own reader: returns an object mapping each path to the array of its
 * documents (empty documents kept as null, so indexes count them). Fails the test when
 * python3-yaml is missing. Returns a new reference. */
json_t *tu_yaml_files(const char *base, char *const *paths, size_t n);

/* True when text[0..len) is exactly the standard base64 (one line, padded, no newline) of
 * the bytes of the file at path, as python3's base64 module decodes and encodes it:
 * independently of OpenSSL's encoder, which socklock uses. Otherwise false, with `why`
 * saying what differs. Fails the test when python3 cannot be run. */
bool tu_base64_of_file(const char *text, size_t len, const char *path, char *why, size_t size);

/* Path of the socklock binary under test ($SOCKLOCK_BIN, default ./socklock). */
const char *tu_socklock_bin(void);

#endif
