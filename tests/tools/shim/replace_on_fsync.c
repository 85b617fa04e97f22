/* A test shim, loaded with LD_PRELOAD into `socklock fix --write`: the first fsync() the
 * program makes (of its temporary file, before the rename) first replaces the file named by
 * $SOCKLOCK_SHIM_REPLACE with other content, as an editor saving at that moment would. The
 * test then sees whether fix notices and leaves the other writer's file alone. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int fsync(int fd)
{
    static int done;
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    const char *target = getenv("SOCKLOCK_SHIM_REPLACE");
    if (!done && target != NULL && *target != '\0') {
        done = 1;
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.shim", target);
        FILE *f = fopen(tmp, "w");
        if (f != NULL) {
            fputs("# saved by someone else\n", f);
            fclose(f);
            rename(tmp, target);
        }
    }
    return real(fd);
}
