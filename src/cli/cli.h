/* cli.h - berth's subcommands.  Each takes argv after the subcommand name
 * (argv[0] is the subcommand) and returns an exit status. */
#pragma once

int cli_server_main(int argc, char **argv);
int cli_up_main(int argc, char **argv);
/* `berth down [--data DIR] [--purge [--yes]]` (cli_down.c). */
int cli_down_main(int argc, char **argv);
/* What berth down does when no berth up runs on data_dir: berth up's
 * server and agent on it, briefly, to adopt and stop every task it left and
 * remove what they made (cli_up.c). */
int cli_up_stop_leftovers(const char *data_dir);
void cli_up_default_data_dir(char *buf, size_t cap);
int cli_agent_main(int argc, char **argv);
int cli_image_main(int argc, char **argv);
/* `berth ctr ...`: run and inspect single containers (cli_ctr.c). */
int cli_ctr_main(int argc, char **argv);
/* `berth runtime-shim RUNTIME ARGS...`: what conmon execs for crun (agent/oci_runtime.c). */
int cli_runtime_shim_main(int argc, char **argv);
int cli_logs_main(int argc, char **argv);
/* `berth cluster token ...`: registration tokens (cli_cluster.c). */
int cli_cluster_main(int argc, char **argv);
/* `berth instance reclaim`: a Spot interruption of a Fargate agent (cli_instance.c). */
int cli_instance_main(int argc, char **argv);
/* `berth exec CLUSTER TASK [--container C] [--interactive] -- CMD...`:
 * ECS Exec's client (cli_exec.c). */
int cli_exec_main(int argc, char **argv);
/* `berth compat`: the README's Compatibility tables, from the code (cli_compat.c). */
int cli_compat_main(int argc, char **argv);
/* `berth status`: clusters, services, instances and recent failures through the API (cli_status.c). */
int cli_status_main(int argc, char **argv);
/* `berth store schema [--dialect sqlite|postgres]`: the store's migrations
 * as a backend runs them (cli_store.c). */
int cli_store_main(int argc, char **argv);
