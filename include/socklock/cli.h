/* cli: subcommands and exit codes. main.c only calls sl_cli_main(). */
#ifndef SOCKLOCK_CLI_H
#define SOCKLOCK_CLI_H

/* Exit statuses, the same for every subcommand. */
enum sl_exit { SL_EXIT_OK = 0, SL_EXIT_DENIED = 1, SL_EXIT_ERROR = 2 };

/* Runs the command line and returns the process exit status. */
int sl_cli_main(int argc, char **argv);

#endif
