/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands of the both-sides view (vmview.h). */
#ifndef VMT_VMVIEW_CMDS_H
#define VMT_VMVIEW_CMDS_H

int top_main(int argc, char *argv[]);
int serve_main(int argc, char *argv[]);
int vmreport_main(int argc, char *argv[]);

#endif
