/*
 * Fuzz target: the SOCKS5 client (src/proto/socks5.c) reading a proxy's
 * answers, driven the way link.c drives it: everything received and not
 * yet used is offered (at most SOCKS5_IN_MAX bytes), the used bytes are
 * dropped, and the exchange goes on until DONE or ERROR.
 *
 * Input: u8 setup | chunks of u8 len | bytes.  setup bit 0: offer
 * user/password; bits 1-2: the destination is a name (0), an IPv4
 * literal (1), an IPv6 literal (2) or a 255-byte name (3).  Each chunk
 * is what one read() from the proxy returned.
 *
 * Checked: used never exceeds what was offered, MORE and ERROR use
 * nothing, SEND always has bytes to send within SOCKS5_OUT_MAX, an error
 * always has a reason, and socks5_clear() leaves no credential behind.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "socks5.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void
setup(struct socks5 *s, uint8_t how)
{
	static char	longname[SOCKS5_NAME_MAX + 1];
	const char	*host, *user = NULL, *pass = NULL;

	switch ((how >> 1) & 3) {
	case 1:
		host = "192.0.2.7";
		break;
	case 2:
		host = "2001:db8::7";
		break;
	case 3:
		memset(longname, 'h', SOCKS5_NAME_MAX);
		longname[SOCKS5_NAME_MAX] = '\0';
		host = longname;
		break;
	default:
		host = "hostb.invalid";
		break;
	}
	if (how & 1) {
		user = "netcryptd-0123456789abcdef";
		pass = "secret-password";
	}
	if (socks5_init(s, host, 55555, user, pass) != 0)
		fuzz_fail("socks5_init refused a valid request");
}

static void
check_send(struct socks5 *s)
{
	const uint8_t	*out;
	size_t		 len = 0;

	out = socks5_output(s, &len);
	if (out == NULL || len == 0 || len > SOCKS5_OUT_MAX)
		fuzz_fail("SEND without a message to send (%zu)", len);
}

static void
check_cleared(const struct socks5 *s)
{
	static const char	zero[sizeof(s->password)];

	if (memcmp(s->password, zero, sizeof(zero)) != 0 ||
	    memcmp(s->user, zero, sizeof(zero)) != 0)
		fuzz_fail("credentials left after socks5_clear");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct socks5		 s;
	uint8_t			 buf[2 * SOCKS5_IN_MAX];
	size_t			 have = 0, off = 1, n, offer, used;
	enum socks5_status	 st = SOCKS5_MORE;

	if (size < 1)
		return 0;
	setup(&s, data[0]);
	check_send(&s);			/* the greeting */
	while (off < size && st != SOCKS5_DONE && st != SOCKS5_ERROR) {
		n = data[off++];
		if (n > size - off)
			n = size - off;
		if (n > sizeof(buf) - have)
			n = sizeof(buf) - have;
		memcpy(buf + have, data + off, n);
		have += n;
		off += n;
		/* As link.c: nothing longer than the longest reply. */
		offer = have > SOCKS5_IN_MAX ? SOCKS5_IN_MAX : have;
		if (offer == 0)
			continue;
		used = (size_t)-1;
		st = socks5_input(&s, buf, offer, &used);
		if (used > offer)
			fuzz_fail("used %zu of %zu bytes", used, offer);
		if ((st == SOCKS5_MORE || st == SOCKS5_ERROR) && used != 0)
			fuzz_fail("status %d used %zu bytes", (int)st, used);
		memmove(buf, buf + used, have - used);
		have -= used;
		if (st == SOCKS5_SEND)
			check_send(&s);
		if (st == SOCKS5_ERROR && (socks5_error(&s) == NULL ||
		    socks5_error(&s)[0] == '\0'))
			fuzz_fail("an error without a reason");
	}
	socks5_clear(&s);
	check_cleared(&s);
	return 0;
}
