// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for dm-crypt-rs: static inline functions and macros that Rust cannot call, and
 * the module parameters, which must be declared with C macros to be writable and in sysfs.
 *
 * Every function here is called from Rust only; bindgen reads this file to declare them, with
 * the dmc_helper_ prefix stripped (see Kbuild).
 */

#include <linux/device-mapper.h>
#include <linux/moduleparam.h>

/* Module parameters. */

static char target_name[16] = "crypt";
module_param_string(target_name, target_name, sizeof(target_name), 0444);
MODULE_PARM_DESC(target_name,
		 "Name under which the target registers (default \"crypt\"); another name lets it run beside the C dm-crypt");

const char *dmc_helper_param_target_name(void)
{
	return target_name;
}
