# src/tools: the programs people run besides the daemon.
sbin_PROGRAMS += netcryptctl
netcryptctl_SOURCES = %D%/netcryptctl.c %D%/spoolarg.c %D%/spoolarg.h
netcryptctl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
netcryptctl_LDADD = $(NC_COMMON_LIBS)

bin_PROGRAMS += netcrypt-keygen netcrypt
# keygen -A reads netcryptd.conf: it links the daemon's parser.
netcrypt_keygen_SOURCES = %D%/keygen.c
netcrypt_keygen_LDADD = $(NC_LIBS)
netcrypt_SOURCES = %D%/netcrypt.c %D%/spoolarg.c %D%/spoolarg.h
netcrypt_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
netcrypt_LDADD = libnetcrypt.la $(NC_COMMON_LIBS)
