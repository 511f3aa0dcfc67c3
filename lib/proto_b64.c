/*
 * proto_b64.c - base64 (RFC 4648, with padding) for log data: encoding,
 * and strict decoding (every byte string has exactly one accepted form).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static const char proto_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
proto_b64_encode(const void *data, size_t len)
{
	const unsigned char	*p = data;
	char			*out, *o;
	size_t			 i;
	uint32_t		 v;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	o = out;
	for (i = 0; i + 3 <= len; i += 3) {
		v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
		*o++ = proto_b64_alphabet[(v >> 18) & 63];
		*o++ = proto_b64_alphabet[(v >> 12) & 63];
		*o++ = proto_b64_alphabet[(v >> 6) & 63];
		*o++ = proto_b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		*o++ = proto_b64_alphabet[(v >> 18) & 63];
		*o++ = proto_b64_alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8);
		*o++ = proto_b64_alphabet[(v >> 18) & 63];
		*o++ = proto_b64_alphabet[(v >> 12) & 63];
		*o++ = proto_b64_alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int
proto_b64_value(unsigned char c)
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

/*
 * Strict decoding: the length is a multiple of 4, only the alphabet, '='
 * only as the final one or two characters, and unused bits zero (so every
 * byte string has exactly one accepted encoding).
 */
int
proto_b64_decode(const char *s, void **out, size_t *outlen)
{
	unsigned char	*buf;
	size_t		 len, i, o, pad;
	int		 a, b, c, d;

	if (s == NULL || out == NULL || outlen == NULL)
		return JOBQ_EINVAL;
	len = strlen(s);
	if (len % 4 != 0)
		return JOBQ_EINVAL;
	pad = 0;
	if (len > 0 && s[len - 1] == '=')
		pad = (s[len - 2] == '=') ? 2 : 1;
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
		return JOBQ_ENOMEM;
	o = 0;
	for (i = 0; i < len; i += 4) {
		a = proto_b64_value((unsigned char)s[i]);
		b = proto_b64_value((unsigned char)s[i + 1]);
		if (i + 4 == len && pad == 2) {
			c = 0;
			d = 0;
		} else if (i + 4 == len && pad == 1) {
			c = proto_b64_value((unsigned char)s[i + 2]);
			d = 0;
		} else {
			c = proto_b64_value((unsigned char)s[i + 2]);
			d = proto_b64_value((unsigned char)s[i + 3]);
		}
		if (a < 0 || b < 0 || c < 0 || d < 0)
			goto bad;
		buf[o++] = (unsigned char)((a << 2) | (b >> 4));
		if (i + 4 == len && pad == 2) {
			if ((b & 15) != 0)
				goto bad;
			break;
		}
		buf[o++] = (unsigned char)(((b & 15) << 4) | (c >> 2));
		if (i + 4 == len && pad == 1) {
			if ((c & 3) != 0)
				goto bad;
			break;
		}
		buf[o++] = (unsigned char)(((c & 3) << 6) | d);
	}
	*out = buf;
	*outlen = o;
	return 0;
bad:
	free(buf);
	return JOBQ_EINVAL;
}

