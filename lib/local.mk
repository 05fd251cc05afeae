# lib: libnetcrypt, the session API (netcrypt.h), installed with only the
# nc_* names of netcrypt.h exported.  Its code is a convenience library,
# libncclient.la, that check_lib and fuzz_file link to reach the
# internals (nc__*) that the installed library hides.
noinst_LTLIBRARIES += %D%/libncclient.la
%C%_libncclient_la_SOURCES = %D%/netcrypt.c %D%/output.c %D%/input.c \
	%D%/file.c %D%/filesend.c %D%/filewithin.c %D%/fileresume.c \
	%D%/receive.c %D%/spool.c %D%/internal.h \
	%D%/netcrypt.h
%C%_libncclient_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/%D%
NC_CLIENT_LIBS = %D%/libncclient.la src/common/libnccommon.la $(CRYPTO_LIBS)

# -version-info current:revision:age, by libtool's rules: 1:0:1 added
# nc_send_more and nc_flush, 2:0:2 the messages with a lifetime
# (nc_send_within*, nc_wait_final, nc_query*; new interfaces, none
# removed, struct nc_event unchanged in size: soname .so.0), 3:0:3 the
# files with a lifetime (nc_send_file_within, nc_file_wait).
lib_LTLIBRARIES = libnetcrypt.la
libnetcrypt_la_SOURCES =
libnetcrypt_la_LIBADD = $(NC_CLIENT_LIBS)
libnetcrypt_la_LDFLAGS = -version-info 3:0:3 \
	-export-symbols-regex '^nc_(default_socket|status_str|open|close|session_name|daemon_name|fd|send|send_wait|send_more|flush|next|request_peers|receive_files|receive_limits|receive_from|send_file|send_within|send_within_more|send_within_wait|wait_final|query|query_wait|send_file_within|file_wait)$$'
include_HEADERS = %D%/netcrypt.h
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = %D%/netcrypt.pc
