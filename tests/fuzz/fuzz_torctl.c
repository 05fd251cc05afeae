/*
 * Fuzz target: the Tor control-port client (src/proto/torctl.c) reading
 * what a control port sends, driven as a caller would: at most
 * TORCTL_IN_MAX unused bytes offered, the used ones dropped, and every
 * whole reply given to the PROTOCOLINFO and ADD_ONION parsers and to
 * the refusal line.
 *
 * Input: chunks of u8 len | bytes, each what one read() returned.
 *
 * Checked: used never exceeds what was offered, ERROR uses nothing and
 * has a reason, a reply has a code and its lines within the bounds, a
 * parsed service id and key pass the checks, the refusal line fits,
 * and the clear functions leave nothing behind.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "torctl.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void
check_reply(const struct torctl_reply *rep)
{
	static const struct torctl_onion	zero;
	struct torctl_protoinfo	 pi;
	struct torctl_onion	 o;
	char			 line[TORCTL_ERRLINE_MAX + 8];

	if (rep == NULL || rep->code < 100 || rep->code > 699 ||
	    rep->nlines == 0 || rep->nlines > TORCTL_REPLY_LINES ||
	    rep->used > TORCTL_REPLY_MAX)
		fuzz_fail("a reply out of its bounds");
	(void)torctl_parse_protocolinfo(rep, &pi, NULL, 0);
	if (torctl_parse_add_onion(rep, &o, NULL, 0) == 0 &&
	    (!torctl_valid_service_id(o.service_id) ||
	    (o.key[0] != '\0' && !torctl_valid_key(o.key))))
		fuzz_fail("ADD_ONION answer taken with a bad id or key");
	torctl_onion_clear(&o);
	if (memcmp(&o, &zero, sizeof(o)) != 0)
		fuzz_fail("key left after torctl_onion_clear");
	torctl_error_line(rep, "ADD_ONION", line, sizeof(line));
	if (strlen(line) >= TORCTL_ERRLINE_MAX)
		fuzz_fail("refusal line over its bound");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct torctl_reader	 r;
	static uint8_t			 buf[2 * TORCTL_IN_MAX];
	size_t				 have = 0, off = 0, n, offer, used;
	enum torctl_status		 st = TORCTL_MORE;

	torctl_reader_init(&r);
	while (off < size && st != TORCTL_ERROR) {
		n = data[off++];
		if (n > size - off)
			n = size - off;
		if (n > sizeof(buf) - have)
			n = sizeof(buf) - have;
		memcpy(buf + have, data + off, n);
		have += n;
		off += n;
		/* Each REPLY leaves bytes that may hold the next. */
		do {
			offer = have > TORCTL_IN_MAX ? TORCTL_IN_MAX : have;
			used = (size_t)-1;
			st = torctl_read(&r, buf, offer, &used);
			if (used > offer)
				fuzz_fail("used %zu of %zu bytes", used, offer);
			if (st == TORCTL_ERROR && (used != 0 ||
			    torctl_error(&r)[0] == '\0'))
				fuzz_fail("an error using bytes or unexplained");
			memmove(buf, buf + used, have - used);
			have -= used;
			if (st == TORCTL_REPLY)
				check_reply(torctl_reply(&r));
		} while (st == TORCTL_REPLY || (st == TORCTL_MORE &&
		    used > 0 && have > 0));
	}
	torctl_reader_clear(&r);
	return 0;
}
