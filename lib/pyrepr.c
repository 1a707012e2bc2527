/* pyrepr: Python's text for bytes and paths (path_msg, repr, OSError). */
#include "pyrepr.h"

#include <string.h>

/*
 * Length of the valid UTF-8 sequence at s (as Python's strict decoder
 * takes it), its code point in *cp; 0 if the byte at s starts none.
 */
static size_t utf8_char(const unsigned char *s, size_t left, unsigned *cp)
{
	unsigned c = s[0], n, v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (unsigned i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (n == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	*cp = v;
	return n;
}

/* bytes.decode('utf-8', 'backslashreplace'): bad bytes as \xNN. */
static void add_path_msg(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = utf8_char(p + i, len - i, &cp);
		if (n) {
			buf_add(out, p + i, n);
			i += n;
		} else {
			buf_addf(out, "\\x%02x", p[i]);
			i++;
		}
	}
}

void buf_add_path_msg(struct buf *out, const char *path)
{
	add_path_msg(out, path, strlen(path));
}

const char *path_msg(const char *path)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	buf_add_path_msg(&b, path);
	return b.data;
}

/* Python's quote for a repr: " when there is a ' and no ", else '. */
static char pick_quote(const char *s, size_t len)
{
	int sq = memchr(s, '\'', len) != NULL, dq = memchr(s, '"', len) != NULL;
	return sq && !dq ? '"' : '\'';
}

/* The escapes bytes and str reprs share, for a character below 0x80. */
static int add_common_escape(struct buf *out, unsigned c, char q)
{
	if (c == '\\' || c == (unsigned char)q) {
		buf_addch(out, '\\');
		buf_addch(out, (int)c);
	} else if (c == '\t') {
		buf_adds(out, "\\t");
	} else if (c == '\n') {
		buf_adds(out, "\\n");
	} else if (c == '\r') {
		buf_adds(out, "\\r");
	} else if (c < 0x20 || c == 0x7f) {
		buf_addf(out, "\\x%02x", c);
	} else {
		return 0;
	}
	return 1;
}

void py_repr_bytes(struct buf *out, const char *s, size_t len)
{
	char q = pick_quote(s, len);
	buf_addch(out, 'b');
	buf_addch(out, q);
	for (size_t i = 0; i < len; i++) {
		unsigned c = (unsigned char)s[i];
		if (add_common_escape(out, c, q))
			continue;
		if (c >= 0x80)
			buf_addf(out, "\\x%02x", c);
		else
			buf_addch(out, (int)c);
	}
	buf_addch(out, q);
}

/*
 * Python prints a code point as is when str.isprintable(); we treat the
 * C1 controls, NBSP and the soft hyphen as the non-printable ones in
 * Latin-1 and everything above as printable (close enough for paths).
 */
void py_repr_fspath(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char q = pick_quote(s, len);
	buf_addch(out, q);
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = utf8_char(p + i, len - i, &cp);
		if (!n) {
			buf_addf(out, "\\udc%02x", p[i]);
			i++;
			continue;
		}
		if (n == 1 && add_common_escape(out, cp, q)) {
			i++;
			continue;
		}
		if ((cp >= 0x80 && cp <= 0xa0) || cp == 0xad)
			buf_addf(out, "\\x%02x", cp);
		else
			buf_add(out, s + i, n);
		i += n;
	}
	buf_addch(out, q);
}

void py_repr_path_msg(struct buf *out, const char *s, size_t len)
{
	struct buf dec = BUF_INIT;

	add_path_msg(&dec, s, len);
	/* dec is valid UTF-8, so this is the repr of the str it encodes */
	py_repr_fspath(out, dec.data, dec.len);
	buf_release(&dec);
}

void py_oserror(struct buf *out, int err, const char *path)
{
	buf_addf(out, "[Errno %d] %s: ", err, strerror(err));
	py_repr_fspath(out, path, strlen(path));
}
