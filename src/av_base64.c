/*-------------------------------------------------------------------------
 *
 * av_base64.c
 *		Strict base64 for B and BS values.
 *
 * DynamoDB carries binary values as base64 text (RFC 4648 standard alphabet,
 * with "=" padding).  We accept only well-formed text: a multiple of four
 * characters, no whitespace, padding only at the end.  Text whose last
 * character carries non-zero unused bits (say "YR==" for "a", canonically
 * "YQ==") decodes to the same bytes as its canonical spelling; it is
 * accepted and re-encoded canonically, so that equal binary values are stored
 * identically.  PostgreSQL's own pg_b64_decode is more lenient (it skips
 * whitespace), hence this small file.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "attrval.h"

static const char b64_chars[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of a base64 character, -1 if it is not one. */
static inline int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Number of trailing '=' of a base64 text of valid length (0, 1 or 2). */
static int
b64_padding(const char *src, int len)
{
	int			pad = 0;

	if (len >= 1 && src[len - 1] == '=')
		pad++;
	if (len >= 2 && src[len - 2] == '=')
		pad++;
	return pad;
}

/* Bytes that a valid base64 text decodes to. */
int
dynamo_base64_decoded_len(const char *src, int len)
{
	if (len <= 0)
		return 0;
	return len / 4 * 3 - b64_padding(src, len);
}

/* Decode strictly; see the file header. */
bool
dynamo_base64_decode(const char *src, int len, char **out, int *outlen,
					 bool *canonical)
{
	int			pad;
	int			n;
	char	   *dst;
	int			o = 0;
	int			i;

	*canonical = true;
	if (len % 4 != 0)
		return false;
	pad = b64_padding(src, len);
	n = len - pad;
	dst = palloc(len / 4 * 3 + 1);
	for (i = 0; i < n; i += 4)
	{
		uint32		acc = 0;
		int			k;
		int			chars = Min(4, n - i);

		for (k = 0; k < 4; k++)
		{
			int			v = 0;

			if (k < chars)
			{
				v = b64_value((unsigned char) src[i + k]);
				if (v < 0)
				{
					pfree(dst);
					return false;
				}
			}
			acc = (acc << 6) | (uint32) v;
		}
		dst[o++] = (char) (acc >> 16);
		if (chars >= 3)
			dst[o++] = (char) ((acc >> 8) & 0xFF);
		if (chars == 4)
			dst[o++] = (char) (acc & 0xFF);
		/* unused low bits of the last character must be zero to be canonical */
		if ((chars == 2 && (acc & 0xFFFF) != 0) ||
			(chars == 3 && (acc & 0xFF) != 0))
			*canonical = false;
	}
	dst[o] = '\0';
	*out = dst;
	*outlen = o;
	return true;
}

/* Encode len bytes as padded base64 (palloc'd, NUL-terminated). */
char *
dynamo_base64_encode(const char *src, int len, int *outlen)
{
	char	   *dst = palloc((len + 2) / 3 * 4 + 1);
	const unsigned char *s = (const unsigned char *) src;
	int			o = 0;
	int			i;

	for (i = 0; i < len; i += 3)
	{
		uint32		acc = (uint32) s[i] << 16;
		int			rest = len - i;

		if (rest > 1)
			acc |= (uint32) s[i + 1] << 8;
		if (rest > 2)
			acc |= s[i + 2];
		dst[o++] = b64_chars[(acc >> 18) & 0x3F];
		dst[o++] = b64_chars[(acc >> 12) & 0x3F];
		dst[o++] = rest > 1 ? b64_chars[(acc >> 6) & 0x3F] : '=';
		dst[o++] = rest > 2 ? b64_chars[acc & 0x3F] : '=';
	}
	dst[o] = '\0';
	if (outlen)
		*outlen = o;
	return dst;
}
