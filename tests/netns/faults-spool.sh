#!/bin/bash
# make check's entry for the spool mode of faults.sh (issue 18 (h):
# messages with a lifetime through loss, delay, cuts and restarts of
# both daemons; tests/netns/spoolmode.sh).
exec bash "${top_srcdir:-.}/tests/netns/faults.sh" spool
