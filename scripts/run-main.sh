#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make run`: boots the guest with dm-crypt-rs loaded and runs the main job
# (scripts/main-job.sh). With a terminal attached it then leaves the user in the guest shell;
# without one the guest powers off and the job's output and status are returned.

source "$(dirname "$0")/common.sh"

if [ -t 0 ] && [ -t 1 ]; then
    exec "$TOP/scripts/vm" --shell "$TOP/scripts/main-job.sh"
fi
exec "$TOP/scripts/vm" "$TOP/scripts/main-job.sh"
