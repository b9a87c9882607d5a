// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "util/options.h"

int util_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int util_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int util_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int util_parse_u32_list(const char *s, uint32_t *out, uint32_t max, uint32_t *nr)
{
	char buf[32];
	uint64_t v;
	size_t len;

	*nr = 0;
	while (*s) {
		len = strcspn(s, ",");
		if (!len || len >= sizeof(buf) || *nr == max)
			return -EINVAL;
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (util_parse_u64(buf, 0, UINT32_MAX, &v))
			return -EINVAL;
		out[(*nr)++] = v;
		s += len;
		if (*s == ',' && !*++s)
			return -EINVAL;
	}
	return *nr ? 0 : -EINVAL;
}
