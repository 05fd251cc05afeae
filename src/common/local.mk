# src/common: what every program and the library use: the log, small
# utilities (one clock, string helpers), byte buffers, the crypto
# primitives, session-name patterns; and the spool's record format,
# sans-I/O, with its segment files (plain POSIX file calls).  A libtool convenience library because libnetcrypt.so is
# built from it too (its objects are PIC).
noinst_LTLIBRARIES += %D%/libnccommon.la
%C%_libnccommon_la_SOURCES = \
	%D%/buf.h \
	%D%/crypto.c %D%/crypto.h \
	%D%/log.c %D%/log.h \
	%D%/namepat.c %D%/namepat.h \
	%D%/spoolrec.c %D%/spoolrec.h \
	%D%/spoolseg.c %D%/spoolseg.h \
	%D%/util.c %D%/util.h
