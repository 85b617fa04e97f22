/* socklock: a Kubernetes admission webhook for pod security. All the work is in the
 * library; main only hands the command line to the cli module. */
#include "socklock/cli.h"

int main(int argc, char **argv)
{
    return sl_cli_main(argc, argv);
}
