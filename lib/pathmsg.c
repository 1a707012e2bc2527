#include "pathmsg.h"

#include <stdint.h>
#include <string.h>

/* Length of a valid UTF-8 sequence at s (Python's strict decoder), or 0. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	uint32_t c;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

void buf_add_path_msg(struct buf *out, const char *path)
{
	const uint8_t *s = (const uint8_t *)path;
	size_t n = strlen(path);

	while (n) {
		size_t l = utf8_len(s, n);
		if (l) {
			buf_add(out, s, l);
		} else {
			buf_addf(out, "\\x%02x", s[0]);
			l = 1;
		}
		s += l;
		n -= l;
	}
}

const char *path_msg(const char *path)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	buf_add_path_msg(&b, path);
	return b.data;
}
