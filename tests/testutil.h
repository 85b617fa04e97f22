/* Helpers shared by the test suites: fixture loading and the shared conformance folder. */
#ifndef SOCKLOCK_TESTUTIL_H
#define SOCKLOCK_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Returns the path of ../shared/conformance (or $SOCKLOCK_CONFORMANCE), or NULL when it is
 * absent; then the caller prints a SKIP line and passes. */
const char *tu_conformance_dir(void);

/* Reads a whole file; NULL on error. Caller frees. */
char *tu_read_file(const char *path, size_t *len);

/* Parses JSON text (aborting the test on error). Returns a new reference. */
json_t *tu_json(const char *text);

/* Loads a JSON file (aborting the test on error). Returns a new reference. */
json_t *tu_json_file(const char *path);

/* Path of the socklock binary under test ($SOCKLOCK_BIN, default ./socklock). */
const char *tu_socklock_bin(void);

#endif
