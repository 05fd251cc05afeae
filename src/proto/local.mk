# src/proto: the protocols without I/O: the peer link's handshake,
# records, relay, rekey and resumption proofs, the SOCKS5 client, the
# Tor control-port client (torctl.c), and
# the constants of every wire (wire.h, session_proto.h, ctl_proto.h).
# Nothing here opens a socket or includes a header of src/daemon.
noinst_LIBRARIES += %D%/libncproto.a
%C%_libncproto_a_SOURCES = \
	%D%/ctl_proto.h \
	%D%/handshake.c %D%/handshake.h %D%/hs_int.h %D%/hsrecord.c \
	%D%/record.c %D%/record.h \
	%D%/rekey.c %D%/rekey.h \
	%D%/relay.c %D%/relay.h \
	%D%/resume.c %D%/resume.h \
	%D%/session_proto.h \
	%D%/socks5.c %D%/socks5.h \
	%D%/spoolwire.c %D%/spoolwire.h \
	%D%/torctl.c %D%/torctl.h \
	%D%/unwrap.h \
	%D%/wire.h
