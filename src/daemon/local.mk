# src/daemon: the daemon's processes.  The master (netcryptd.c,
# masterconf.c, reload.c) is the program's own; the rest, the key-holder,
# the network child and what they share, is a convenience library that
# the unit tests and fuzzers link, so that they test what the daemon runs.
noinst_LIBRARIES += %D%/libncdaemon.a
%C%_libncdaemon_a_SOURCES = \
	%D%/acceptpause.c %D%/acceptpause.h \
	%D%/admit.c %D%/admit.h \
	%D%/conf.c %D%/conf.h %D%/conf_int.h %D%/conf_build.c \
	%D%/conf_check.c %D%/conf_lex.c %D%/conf_lex.h %D%/conf_rules.c \
	%D%/conf_spool.c \
	%D%/parse.y \
	%D%/confdiff.c %D%/confdiff.h \
	%D%/control.c %D%/control.h %D%/ctlformat.c \
	%D%/textbuf.c %D%/textbuf.h \
	%D%/fdlimit.c %D%/fdlimit.h \
	%D%/imsg.c %D%/imsg.h %D%/ipc.h \
	%D%/inbuf.c %D%/inbuf.h \
	%D%/keyholder.c \
	%D%/link.c %D%/link_priv.h %D%/linkhs.c %D%/linkio.c \
	%D%/linkrekey.c \
	%D%/network.c %D%/network.h \
	%D%/netcontrol.c %D%/netdial.c %D%/netpriv.h %D%/netreload.c \
	%D%/netspool.c %D%/netspool.h %D%/spoolipc.h %D%/spoollink.c \
	%D%/notify.c %D%/notify.h \
	%D%/outbuf.c %D%/outbuf.h \
	%D%/policy.c %D%/policy.h \
	%D%/proc.c %D%/proc.h \
	%D%/proctitle.c \
	%D%/sandbox.c %D%/sandbox.h \
	%D%/session.c %D%/session.h %D%/session_priv.h %D%/sessindex.c \
	%D%/sessspool.c %D%/sessspool.h \
	%D%/spool.c %D%/spoolctl.c %D%/spooldisk.c %D%/spoolmap.c \
	%D%/spoolread.c \
	%D%/spoolrecover.c %D%/spoolstore.c %D%/spoolstore.h \
	%D%/spoolstore_int.h

# conf_lex.c includes the token numbers bison writes to parse.h.
BUILT_SOURCES += %D%/parse.h

sbin_PROGRAMS += netcryptd
netcryptd_SOURCES = %D%/netcryptd.c %D%/netcryptd.h %D%/masterconf.c \
	%D%/reload.c
netcryptd_LDADD = $(NC_LIBS)
